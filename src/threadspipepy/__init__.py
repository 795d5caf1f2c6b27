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
    DuplicatePostError,
    MediaHostingError,
    MediaProcessingError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ThreadsAPIError,
    ThreadsConnectionError,
    ThreadsPipeError,
    TokenExpiredError,
    ValidationError,
)
from .results import Result
from .threadspipe import ThreadsPipe

if TYPE_CHECKING:
    from ._credentials import Credentials
    from ._envfile import EnvFileError
    from ._oauth_errors import AuthorizationDeniedError, OAuthError, StateMismatchError
    from .tokens import EnvFileTokenStore, JsonFileTokenStore, TokenStore, TokenStoreError

# Public names of the OAuth and token keep-alive side, imported when first used (PEP 562):
# a script that only posts never loads them.
_LATER = {
    "Credentials": "._credentials",
    "EnvFileError": "._envfile",
    "AuthorizationDeniedError": "._oauth_errors",
    "OAuthError": "._oauth_errors",
    "StateMismatchError": "._oauth_errors",
    "EnvFileTokenStore": ".tokens",
    "JsonFileTokenStore": ".tokens",
    "TokenStore": ".tokens",
    "TokenStoreError": ".tokens",
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
    "JsonFileTokenStore",
    "MediaHostingError",
    "MediaProcessingError",
    "NotFoundError",
    "OAuthError",
    "PermissionDeniedError",
    "RateLimitError",
    "Result",
    "ServerError",
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
