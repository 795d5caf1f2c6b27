"""Client configuration: every constructor option in one frozen value.

`update_param` replaces fields and the facade rebuilds what depends on them, so every later
request sees the new values (0.4.5 kept stale tokens in prebuilt URLs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .errors import ValidationError

DEFAULT_THREADS_BASE_URL = "https://graph.threads.net"
DEFAULT_GITHUB_BASE_URL = "https://api.github.com"
THREADS_BASE_URL_ENV = "THREADS_API_BASE_URL"
GITHUB_BASE_URL_ENV = "GITHUB_API_BASE_URL"


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
            applied["user_id"] = str(applied["user_id"])
        new = replace(self, **applied)
        new.check()
        return new

    def check(self) -> None:
        """Reject values that would make requests fail or hang, naming the parameter."""
        if not self.user_id:
            raise ValidationError(
                "user_id must be a non-empty Threads user id.", parameter="user_id"
            )
        if not isinstance(self.access_token, str) or not self.access_token:
            raise ValidationError(
                "access_token must be a non-empty string (a Threads user access token).",
                parameter="access_token",
            )
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
        for name in ("threads_base_url", "gh_base_url"):
            url = getattr(self, name)
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ValidationError(
                    f"{name} must be an http(s) URL such as {DEFAULT_THREADS_BASE_URL!r}.",
                    parameter=name,
                )


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def resolve_base_url(argument: str | None, env_name: str, default: str) -> str:
    """Argument > environment variable > default, as openai-python does."""
    if argument:
        return argument
    return os.environ.get(env_name) or default
