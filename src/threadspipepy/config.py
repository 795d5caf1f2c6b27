"""Client configuration: every constructor option in one frozen value.

`update_param` replaces fields and the facade rebuilds what depends on them, so every later
request sees the new values (0.4.5 kept stale tokens in prebuilt URLs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from . import validation
from .errors import ValidationError

DEFAULT_THREADS_BASE_URL = "https://graph.threads.net"
DEFAULT_GITHUB_BASE_URL = "https://api.github.com"
THREADS_BASE_URL_ENV = "THREADS_API_BASE_URL"
GITHUB_BASE_URL_ENV = "GITHUB_API_BASE_URL"
# "1"/"true"/"yes"/"on" here lets from_env() and the CLI use a plain-http base URL that is not
# loopback (allow_insecure_http=True in Python).
ALLOW_INSECURE_HTTP_ENV = "THREADS_ALLOW_INSECURE_HTTP"
# Where local files are hosted, as a URI (read by hosting.media_host_from_setting).
MEDIA_HOST_ENV = "THREADS_MEDIA_HOST"
_TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y"})
_API_VERSION = re.compile(r"v\d+(\.\d+)?")


@dataclass(frozen=True)
class ClientConfig:
    """Everything a ThreadsPipe was configured with. Secrets are excluded from repr."""

    user_id: str
    access_token: str
    disable_logging: bool = False
    wait_before_post_publish: bool = True
    post_publish_wait_time: float = 35
    wait_before_media_item_publish: bool = True
    media_item_publish_wait_time: float = 35
    handle_hashtags: bool = True
    auto_handle_hashtags: bool = False
    gh_bearer_token: str | None = None
    gh_api_version: str = "2022-11-28"
    gh_repo_name: str | None = None
    gh_username: str | None = None
    gh_upload_timeout: float = 300
    wait_on_rate_limit: bool = False
    check_rate_limit_before_post: bool = True
    threads_api_version: str = "v1.0"
    threads_base_url: str = DEFAULT_THREADS_BASE_URL
    gh_base_url: str = DEFAULT_GITHUB_BASE_URL
    timeout: float = 30.0
    max_retries: int = 2
    container_timeout: float = 300.0
    max_rate_limit_wait: float = 3600.0
    raise_on_error: bool = False
    media_host: Any = None
    journal: Any = None  # a JournalStore, a SQLite path, or None: the default file
    journal_wait: float = 30.0
    allow_insecure_http: bool = False
    quota_reservations: Any = None  # a quota_reservations.QuotaReservations, or None: none

    def __repr__(self) -> str:
        return f"ClientConfig(user_id={self.user_id!r}, threads_base_url={self.threads_base_url!r})"

    def updated(self, changes: Mapping[str, Any]) -> ClientConfig:
        """A copy with `changes` applied (None values are ignored, as in 0.4.5)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValidationError(
                f"update_param() got unknown parameter(s) {', '.join(unknown)}; "
                f"valid names are the constructor's: {', '.join(sorted(known))}.",
                parameter=unknown[0],
            )
        applied = {k: v for k, v in changes.items() if v is not None}
        if "user_id" in applied:
            applied["user_id"] = user_id_text(applied["user_id"])
        new = replace(self, **applied)
        new.check()
        return new

    def check(self) -> None:
        """Reject values that would make requests fail, hang or leak, naming the parameter."""
        # Empty credentials are allowed, as in 0.4.5's README: a client built with
        # user_id='' and access_token='' runs the OAuth flow; require_credentials() stops a
        # call that needs them, before any request.
        self._check_types()
        for name in ("timeout", "container_timeout", "gh_upload_timeout"):
            if not _positive(getattr(self, name)):
                raise ValidationError(
                    f"{name} must be a positive number of seconds.", parameter=name
                )
        for name in (
            "post_publish_wait_time",
            "media_item_publish_wait_time",
            "max_rate_limit_wait",
            "journal_wait",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValidationError(f"{name} must be a number of seconds >= 0.", parameter=name)
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValidationError("max_retries must be an integer >= 0.", parameter="max_retries")
        check_base_url(
            self.threads_base_url,
            "threads_base_url",
            allow_insecure_http=self.allow_insecure_http,
            env_name=THREADS_BASE_URL_ENV,
        )
        check_base_url(
            self.gh_base_url,
            "gh_base_url",
            allow_insecure_http=self.allow_insecure_http,
            env_name=GITHUB_BASE_URL_ENV,
        )
        validation.github_owner(self.gh_username)
        validation.github_repo(self.gh_repo_name)

    def require_credentials(self, *, user_id: bool = True) -> None:
        """Raise before any request if a credential this call needs is empty.

        A client built with empty credentials (for the OAuth flow) can authorize, exchange
        codes and refresh tokens; posting and reading need the token (and posting the user id).
        """
        missing = [
            name
            for name, value, needed in (
                ("user_id", self.user_id, user_id),
                ("access_token", self.access_token, True),
            )
            if needed and not str(value).strip()
        ]
        if missing:
            raise ValidationError(
                validation.missing_credentials_message(missing), parameter=missing[0]
            )

    def _check_types(self) -> None:
        """Values of the wrong type, which would otherwise fail later, in a request."""
        if not isinstance(self.access_token, str):
            raise ValidationError(
                f"access_token must be a string (a Threads user access token), got "
                f"{type(self.access_token).__name__}.",
                parameter="access_token",
            )
        for name in ("gh_bearer_token", "gh_api_version"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValidationError(
                    f"{name} must be a string, got {type(value).__name__}.", parameter=name
                )
        version: Any = self.threads_api_version  # typed str, but callers pass anything
        if not isinstance(version, str) or not _API_VERSION.fullmatch(version):
            hint = f" (did you mean 'v{version}.0'?)" if isinstance(version, int) else ""
            raise ValidationError(
                f"threads_api_version must be a version string such as 'v1.0', got "
                f"{version!r}{hint}.",
                parameter="threads_api_version",
            )
        if not isinstance(self.allow_insecure_http, bool):
            raise ValidationError(
                "allow_insecure_http must be True or False.", parameter="allow_insecure_http"
            )
        reservations = self.quota_reservations
        if reservations is not None and not all(
            callable(getattr(reservations, m, None)) for m in ("reserve", "settle", "release")
        ):
            raise ValidationError(
                "quota_reservations must be None, a LocalQuota (threadspipepy."
                "quota_reservations), a RedisQuota (threadspipepy.redis_stores) or an object "
                "with reserve, settle and release methods.",
                parameter="quota_reservations",
            )


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def resolve_base_url(argument: str | None, env_name: str, default: str) -> str:
    """Argument > environment variable > default, as openai-python does."""
    if argument:
        return argument
    return os.environ.get(env_name) or default


def user_id_text(value: Any) -> str:
    """A user id given as str or int (digits, or Graph's "me"), as the string paths use."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError(
            f"user_id must be the Threads user id as a string or int (e.g. '1234567890'), "
            f"got {type(value).__name__} {value!r}.",
            parameter="user_id",
        )
    return str(value)


def env_flag(value: Any) -> bool:
    """An environment variable's yes/no: 1, true, yes, on (any case) mean yes."""
    return isinstance(value, str) and value.strip().lower() in _TRUE_WORDS


def check_base_url(
    url: Any,
    parameter: str,
    *,
    allow_insecure_http: bool = False,
    env_name: str | None = None,
) -> str:
    """An http(s) base URL; plain http only to a loopback host unless the caller opts in.

    Over plain http the access token (or GitHub token) would cross the network in clear, so
    `http://` is refused for any host but `localhost` and loopback addresses (the sandbox) unless
    `allow_insecure_http=True`. User info (`user:pass@`) is refused: it would end up in logs.
    """
    where = f" (the argument or ${env_name})" if env_name else ""
    example = DEFAULT_GITHUB_BASE_URL if parameter.startswith("gh") else DEFAULT_THREADS_BASE_URL
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        host = parts.hostname if parts is not None else None
    except ValueError:
        parts = host = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ValidationError(
            f"{parameter}{where} must be an http(s) URL such as {example!r}, got {url!r}.",
            parameter=parameter,
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            f"{parameter}{where} must not carry a user name or password (user:pass@host): "
            "credentials in a URL end up in logs.",
            parameter=parameter,
        )
    if parts.scheme == "http" and not allow_insecure_http and not validation.host_is_loopback(host):
        raise ValidationError(
            f"{parameter}{where} is plain http to {host}: the token would travel in clear. Use "
            f"https (such as {example!r}), a loopback address (http://127.0.0.1:PORT, "
            "http://localhost), or opt in with allow_insecure_http=True "
            f"(${ALLOW_INSECURE_HTTP_ENV}=1 for from_env() and the command line).",
            parameter=parameter,
        )
    return str(url)
