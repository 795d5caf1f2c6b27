"""threadspipepy: a typed, tested client for Meta's Threads API.

`from threadspipepy import ThreadsPipe`. Importing configures no logging beyond the
library's own NullHandler, opens no connection and reads no `.env` file.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    AuthenticationError,
    AuthorizationDeniedError,
    DuplicatePostError,
    EnvFileError,
    JournalBusyError,
    JournalError,
    JournalLeaseLostError,
    MediaHostingError,
    MediaProcessingError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StateMismatchError,
    ThreadsAPIError,
    ThreadsConnectionError,
    ThreadsPipeError,
    TokenExpiredError,
    TokenStoreError,
    ValidationError,
)
from .results import Result
from .threadspipe import ThreadsPipe

if TYPE_CHECKING:
    from ._credentials import Credentials
    from .journal import JournalStore, SqliteJournal
    from .tokens import EnvFileTokenStore, JsonFileTokenStore, TokenStore

# Public names of the credentials, journal and token keep-alive side, imported when first used
# (PEP 562): a script that only posts never loads them.
_LATER = {
    "Credentials": "._credentials",
    "JournalStore": ".journal",
    "SqliteJournal": ".journal",
    "EnvFileTokenStore": ".tokens",
    "JsonFileTokenStore": ".tokens",
    "TokenStore": ".tokens",
}


def __getattr__(name: str) -> Any:
    if name in _LATER:
        value = getattr(importlib.import_module(_LATER[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


logging.getLogger("threadspipepy").addHandler(logging.NullHandler())

__all__ = [
    "AuthenticationError",
    "AuthorizationDeniedError",
    "Credentials",
    "DuplicatePostError",
    "EnvFileError",
    "EnvFileTokenStore",
    "JournalBusyError",
    "JournalError",
    "JournalLeaseLostError",
    "JournalStore",
    "JsonFileTokenStore",
    "MediaHostingError",
    "MediaProcessingError",
    "NotFoundError",
    "OAuthError",
    "PermissionDeniedError",
    "RateLimitError",
    "Result",
    "ServerError",
    "SqliteJournal",
    "StateMismatchError",
    "ThreadsAPIError",
    "ThreadsConnectionError",
    "ThreadsPipe",
    "ThreadsPipeError",
    "TokenExpiredError",
    "TokenStore",
    "TokenStoreError",
    "ValidationError",
    "__version__",
]
