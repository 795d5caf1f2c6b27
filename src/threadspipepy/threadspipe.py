"""ThreadsPipe: the facade. Thin methods that validate, delegate and shape results.

Configuration lives here; per-call state lives in each call's locals, so one instance can
serve several threads at once and nothing from one `pipe()` leaks into the next.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import requests

from . import quota as quota_mod
from . import results, validation
from ._log import logger_for
from ._redaction import Redactor
from ._retry import RetryPolicy
from ._transport import Endpoint, GraphClient
from .config import (
    DEFAULT_GITHUB_BASE_URL,
    DEFAULT_THREADS_BASE_URL,
    GITHUB_BASE_URL_ENV,
    THREADS_BASE_URL_ENV,
    ClientConfig,
    resolve_base_url,
)
from .errors import RateLimitError, ThreadsPipeError, ValidationError
from .publishing import Publisher, WaitPolicy
from .results import Result

SUCCESS_MESSAGE = "Post piped to Instagram Threads successfully!"
NOT_ELIGIBLE_MESSAGE = (
    "You are attempting to send a geo-gated content but you are not eligible for geo-gating"
)

# Variables `from_env` reads, and the constructor option each one fills.
ENV_VARIABLES: dict[str, str] = {
    "THREADS_USER_ID": "user_id",
    "THREADS_ACCESS_TOKEN": "access_token",
    "GH_BEARER_TOKEN": "gh_bearer_token",
    "GH_USERNAME": "gh_username",
    "GH_REPO_NAME": "gh_repo_name",
    "GH_API_VERSION": "gh_api_version",
    "THREADS_API_VERSION": "threads_api_version",
    THREADS_BASE_URL_ENV: "threads_base_url",
    GITHUB_BASE_URL_ENV: "gh_base_url",
}


class ThreadsPipe:
    """A client for Meta's Threads API, compatible with ThreadsPipe-py 0.4.5.

    `with ThreadsPipe(user_id, access_token) as tp: tp.pipe("Hello, Threads")`
    """

    __threads_auth_scope__: ClassVar[dict[str, str]] = {
        "basic": "threads_basic",
        "publish": "threads_content_publish",
        "read_replies": "threads_read_replies",
        "manage_replies": "threads_manage_replies",
        "insights": "threads_manage_insights",
        "keyword_search": "threads_keyword_search",
        "profile_discovery": "threads_profile_discovery",
        "manage_mentions": "threads_manage_mentions",
        "delete": "threads_delete",
        "location_tagging": "threads_location_tagging",
        "share_to_instagram": "threads_share_to_instagram",
    }
    threads_post_insight_metrics: ClassVar[list[str]] = [
        "views",
        "likes",
        "replies",
        "reposts",
        "quotes",
        "shares",
    ]
    threads_user_insight_metrics: ClassVar[list[str]] = [
        "views",
        "likes",
        "replies",
        "reposts",
        "quotes",
        "clicks",
        "followers_count",
        "follower_demographics",
    ]
    threads_follower_demographic_breakdown_list: ClassVar[list[str]] = [
        "country",
        "city",
        "age",
        "gender",
    ]
    who_can_reply_list: ClassVar[list[str]] = list(validation.REPLY_CONTROLS)

    def __init__(
        self,
        user_id: int | str | None = None,
        access_token: str | None = None,
        disable_logging: bool = False,
        wait_before_post_publish: bool = True,
        post_publish_wait_time: float = 35,
        wait_before_media_item_publish: bool = True,
        media_item_publish_wait_time: float = 35,
        handle_hashtags: bool = True,
        auto_handle_hashtags: bool = False,
        gh_bearer_token: str | None = None,
        gh_api_version: str = "2022-11-28",
        gh_repo_name: str | None = None,
        gh_username: str | None = None,
        gh_upload_timeout: float = 300,
        wait_on_rate_limit: bool = False,
        check_rate_limit_before_post: bool = True,
        threads_api_version: str = "v1.0",
        *,
        threads_base_url: str | None = None,
        gh_base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        container_timeout: float = 300.0,
        max_rate_limit_wait: float = 3600.0,
        raise_on_error: bool = False,
        media_host: Any = None,
        session: requests.Session | None = None,
        credentials: Any = None,
    ) -> None:
        if credentials is not None:
            user_id = user_id or getattr(credentials, "user_id", None)
            access_token = access_token or getattr(credentials, "access_token", None)
        if user_id is None or access_token is None:
            missing = [
                n for n, v in (("user_id", user_id), ("access_token", access_token)) if v is None
            ]
            raise TypeError(
                f"ThreadsPipe() missing required argument(s): {', '.join(missing)} "
                "(or pass credentials=)"
            )
        self._config = ClientConfig(
            user_id=str(user_id),
            access_token=access_token,
            disable_logging=disable_logging,
            wait_before_post_publish=wait_before_post_publish,
            post_publish_wait_time=post_publish_wait_time,
            wait_before_media_item_publish=wait_before_media_item_publish,
            media_item_publish_wait_time=media_item_publish_wait_time,
            handle_hashtags=handle_hashtags,
            auto_handle_hashtags=auto_handle_hashtags,
            gh_bearer_token=gh_bearer_token,
            gh_api_version=gh_api_version,
            gh_repo_name=gh_repo_name,
            gh_username=gh_username,
            gh_upload_timeout=gh_upload_timeout,
            wait_on_rate_limit=wait_on_rate_limit,
            check_rate_limit_before_post=check_rate_limit_before_post,
            threads_api_version=threads_api_version,
            threads_base_url=resolve_base_url(
                threads_base_url, THREADS_BASE_URL_ENV, DEFAULT_THREADS_BASE_URL
            ),
            gh_base_url=resolve_base_url(gh_base_url, GITHUB_BASE_URL_ENV, DEFAULT_GITHUB_BASE_URL),
            timeout=timeout,
            max_retries=max_retries,
            container_timeout=container_timeout,
            max_rate_limit_wait=max_rate_limit_wait,
            raise_on_error=raise_on_error,
            media_host=media_host,
        )
        self._config.check()
        # Time is injectable so tests never sleep for real; replace both together.
        self._sleep: Callable[[float], None] = time.sleep
        self._clock: Callable[[], float] = time.monotonic
        self._lock = threading.Lock()
        self._graph = GraphClient(
            access_token=self._config.access_token,
            endpoint=self._endpoint(),
            timeout=self._config.timeout,
            retry=RetryPolicy(max_retries=self._config.max_retries),
            session=session,
            sleep=lambda seconds: self._sleep(seconds),
            redactor=Redactor(self._secrets()),
            log=logger_for("transport", enabled=not disable_logging),
        )
        self._log = logger_for("", enabled=not disable_logging)

    # -- construction helpers ---------------------------------------------------------------
    @classmethod
    def from_credentials(cls, credentials: Any, **options: Any) -> ThreadsPipe:
        """Build a client from a value with `user_id` and `access_token` attributes."""
        return cls(credentials=credentials, **options)

    @classmethod
    def from_env(
        cls, env_file: str | os.PathLike[str] | None = ".env", **overrides: Any
    ) -> ThreadsPipe:
        """Build a client from environment variables and, if present, a `.env` file.

        Precedence: `overrides` > the process environment > the `.env` file. The file is read
        only here, never at import.
        """
        from dotenv import dotenv_values  # imported lazily: reading .env is opt-in

        values: dict[str, Any] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v})
        values.update({k: v for k, v in os.environ.items() if k in ENV_VARIABLES and v})
        options = {ENV_VARIABLES[k]: v for k, v in values.items() if k in ENV_VARIABLES}
        options.update(overrides)
        if "user_id" not in options or "access_token" not in options:
            raise ValidationError(
                "from_env() needs THREADS_USER_ID and THREADS_ACCESS_TOKEN in the environment "
                f"or in {os.fspath(env_file) if env_file else 'a .env file'}.",
                parameter="env_file",
            )
        return cls(**options)

    def update_param(self, **changes: Any) -> None:
        """Change any constructor option; every later request uses the new values."""
        with self._lock:
            self._config = self._config.updated(changes)
            graph = self._graph
            graph.access_token = self._config.access_token
            graph.endpoint = self._endpoint()
            graph.timeout = self._config.timeout
            graph.retry = RetryPolicy(max_retries=self._config.max_retries)
            graph.redactor.set_secrets(self._secrets())
            if "disable_logging" in changes and changes["disable_logging"] is not None:
                enabled = not self._config.disable_logging
                graph.log = logger_for("transport", enabled=enabled)
                self._log = logger_for("", enabled=enabled)

    def close(self) -> None:
        """Close the HTTP session (unless it was passed in by the caller)."""
        self._graph.close()

    def __enter__(self) -> ThreadsPipe:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"ThreadsPipe(user_id={self._config.user_id!r}, "
            f"threads_base_url={self._config.threads_base_url!r}, "
            f"threads_api_version={self._config.threads_api_version!r})"
        )

    # 0.4.5 exposed these "private" names and its tests read them.
    @property
    def __threads_user_id__(self) -> str:
        return self._config.user_id

    @property
    def __threads_access_token__(self) -> str:
        return self._config.access_token

    @property
    def __gh_username__(self) -> str | None:
        return self._config.gh_username

    # -- posting ----------------------------------------------------------------------------
    def pipe(
        self,
        post: str | None = "",
        files: Sequence[Any] | None = None,
        file_captions: Sequence[str | None] | None = None,
        tags: Sequence[str] | None = None,
        reply_to_id: str | int | None = None,
        who_can_reply: str | None = None,
        chained_post: bool = True,
        persist_tags_multipost: bool = False,
        allowed_country_codes: str | Iterable[str] | None = None,
        link_attachments: Sequence[str | None] | None = None,
        quote_post_id: str | int | None = None,
        persist_quoted_post: bool = False,
        *,
        topic_tag: str | None = None,
        poll: Sequence[str] | None = None,
        spoilers: Sequence[Any] | None = None,
        spoiler_media: bool = False,
        gif: str | None = None,
        location_id: str | int | None = None,
        enable_reply_approvals: bool = False,
        text_attachment: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> Result:
        """Publish `post` on Threads and return a 0.4.5-shaped result dict.

        This version publishes one text post of up to 500 characters (as Threads counts
        them), optionally as a reply, a quote, with a link attachment, a reply control, a
        topic tag, a location or geo-gating. Arguments are checked before any request.
        """
        _reject_unsupported(
            files=files,
            file_captions=file_captions,
            tags=tags,
            poll=poll,
            spoilers=spoilers,
            spoiler_media=spoiler_media,
            gif=gif,
            text_attachment=text_attachment,
            dry_run=dry_run,
        )
        if post is not None and not isinstance(post, str):
            raise ValidationError(
                f"post must be a string, got {type(post).__name__}.", parameter="post"
            )
        text = (post or "").strip()
        if not text:
            raise ValidationError(
                "Either text or at least 1 media (image or video) or both must be provided.",
                parameter="post",
            )
        link = (
            validation.http_url(link_attachments[0], "link_attachments[0]")
            if link_attachments and link_attachments[0]
            else None
        )
        validation.post_text(text, link)
        params: dict[str, Any] = {
            "media_type": "TEXT",
            "text": text,
            "reply_to_id": validation.require_id(reply_to_id, "reply_to_id")
            if reply_to_id is not None
            else None,
            "reply_control": validation.reply_control(who_can_reply),
            "allowlisted_country_codes": validation.country_codes(allowed_country_codes),
            "link_attachment": link,
            "quote_post_id": validation.require_id(quote_post_id, "quote_post_id")
            if quote_post_id is not None
            else None,
            "topic_tag": validation.topic_tag(topic_tag),
            "location_id": validation.require_id(location_id, "location_id")
            if location_id is not None
            else None,
            "enable_reply_approvals": True if enable_reply_approvals else None,
        }
        return self._deliver(self._publish_single(params))

    def _publish_single(self, params: dict[str, Any]) -> Result:
        config = self._config
        publisher = Publisher(
            self._graph, config.user_id, sleep=self._sleep, clock=self._clock, log=self._log
        )
        is_reply = params.get("reply_to_id") is not None
        step = "Could not check the publishing quota"
        try:
            if params.get("allowlisted_country_codes"):
                step = "Could not get geogating eligibility from Threads"
                eligibility = self._graph.get("me", {"fields": "id,is_eligible_for_geo_gating"})
                if eligibility.get("is_eligible_for_geo_gating") is not True:
                    return results.failure(
                        NOT_ELIGIBLE_MESSAGE,
                        ValidationError(NOT_ELIGIBLE_MESSAGE, parameter="allowed_country_codes"),
                    )
            if config.check_rate_limit_before_post or config.wait_on_rate_limit:
                step = "Rate limit exceeded!"
                quota_mod.ensure_room(
                    lambda: quota_mod.read_quota(self._graph, config.user_id),
                    posts=0 if is_reply else 1,
                    replies=1 if is_reply else 0,
                    wait=config.wait_on_rate_limit,
                    max_wait=config.max_rate_limit_wait,
                    sleep=self._sleep,
                    clock=self._clock,
                    log=self._log,
                )
            step = "Could not publish post"
            policy = WaitPolicy(
                enabled=config.wait_before_post_publish,
                max_pause=config.post_publish_wait_time,
                timeout=config.container_timeout,
            )
            media_id = publisher.publish_post(params, policy, label="Post 1/1")
        except RateLimitError as exc:
            self._log.error("%s %s", step, exc)
            return results.failure(step, exc)
        except ThreadsPipeError as exc:
            self._log.error("%s: %s", step, exc)
            return results.failure(step, exc)
        self._log.info("Published post 1/1 as %s", media_id)
        post = {
            "id": media_id,
            "text": params["text"],
            "media": [],
            "reply_to_id": params.get("reply_to_id"),
        }
        return results.success(SUCCESS_MESSAGE, {"media_ids": [media_id], "posts": [post]})

    # -- quota ------------------------------------------------------------------------------
    def get_quota_usage(self, for_reply: bool = False) -> Result:
        """The post (or, with for_reply, the reply) quota as Meta reports it."""
        fields = quota_mod.REPLY_FIELDS if for_reply else quota_mod.POST_FIELDS
        return self._graph_call(
            lambda: quota_mod.fetch_publishing_limit(self._graph, self._config.user_id, fields)
        )

    def get_publishing_limit(self) -> Result:
        """Every quota Meta reports: posts, replies, deletes and location searches."""
        return self._graph_call(
            lambda: quota_mod.fetch_publishing_limit(
                self._graph, self._config.user_id, quota_mod.ALL_FIELDS
            )
        )

    # -- plumbing ---------------------------------------------------------------------------
    def _graph_call(self, call: Callable[[], dict[str, Any]]) -> Result:
        try:
            return self._deliver(results.graph(call()))
        except ThreadsPipeError as exc:
            if isinstance(exc, ValidationError):
                raise
            return self._deliver(results.graph_failure(exc))

    def _deliver(self, result: Result) -> Result:
        if self._config.raise_on_error:
            result.raise_for_error()
        return result

    def _endpoint(self) -> Endpoint:
        return Endpoint(self._config.threads_base_url, self._config.threads_api_version)

    def _secrets(self) -> list[str | None]:
        return [self._config.access_token, self._config.gh_bearer_token]


def _reject_unsupported(**options: Any) -> None:
    """Options whose support arrives later: refuse them before anything is sent."""
    for name, value in options.items():
        if value:
            raise NotImplementedError(
                f"pipe({name}=...) is not supported by threadspipepy 0.5.0 yet; "
                "this version publishes a single text post of up to 500 characters."
            )
