"""threadspipepy: a typed, tested client for Meta's Threads API.

`from threadspipepy import ThreadsPipe`. Importing configures no logging beyond the
library's own NullHandler, opens no connection and reads no `.env` file.
"""

from __future__ import annotations

import logging

from ._version import __version__
from .auth import (
    AuthorizationDeniedError,
    Credentials,
    EnvFileError,
    OAuthError,
    StateMismatchError,
)
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
from .journal import (
    JournalBusyError,
    JournalError,
    JournalLeaseLostError,
    JournalStore,
    SqliteJournal,
)
from .results import Result
from .threadspipe import ThreadsPipe
from .tokens import EnvFileTokenStore, JsonFileTokenStore, TokenStore, TokenStoreError

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
