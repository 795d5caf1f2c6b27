"""threadspipepy: a typed, tested client for Meta's Threads API.

`from threadspipepy import ThreadsPipe`. Importing configures no logging beyond the
library's own NullHandler, opens no connection and reads no `.env` file.
"""

from __future__ import annotations

import logging

from ._version import __version__
from .auth import Credentials
from .errors import (
    AuthenticationError,
    DuplicatePostError,
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

logging.getLogger("threadspipepy").addHandler(logging.NullHandler())

__all__ = [
    "AuthenticationError",
    "Credentials",
    "DuplicatePostError",
    "MediaProcessingError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "Result",
    "ServerError",
    "ThreadsAPIError",
    "ThreadsConnectionError",
    "ThreadsPipe",
    "ThreadsPipeError",
    "TokenExpiredError",
    "ValidationError",
    "__version__",
]
