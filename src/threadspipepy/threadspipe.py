"""ThreadsPipe: the facade. Thin methods that validate, delegate and shape results.

Configuration lives here; per-call state lives in each call's locals, so one instance can
serve several threads at once and nothing from one `pipe()` leaks into the next.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from . import results, validation
from ._auth_facade import AuthMethods
from ._credentials import DEFAULT_REFRESH_AFTER, utcnow
from ._lazy import LazyClassValue, LazyModule
from ._log import logger_for
from ._polling import ProcessingTimes
from ._reading_facade import ReadingMethods
from ._redaction import Redactor
from ._retry import RetryPolicy
from ._transport import Endpoint, GraphClient
from ._urls import path_of
from .config import (
    ALLOW_INSECURE_HTTP_ENV,
    DEFAULT_GITHUB_BASE_URL,
    DEFAULT_THREADS_BASE_URL,
    GITHUB_BASE_URL_ENV,
    MEDIA_HOST_ENV,
    THREADS_BASE_URL_ENV,
    ClientConfig,
    env_flag,
    resolve_base_url,
    user_id_text,
)
from .errors import ThreadsPipeError, ValidationError
from .results import PipeResult, Result
from .shapes import ContainerMediaType, WhoCanReply

if TYPE_CHECKING:
    from . import _pipe, hosting, insights, journal, publishing, splitting, tokens
    from . import media as media_mod
    from . import quota as quota_mod
    from ._credentials import Credentials
    from .hosting import MediaHost
    from .journal import JournalStore
    from .publishing import Publisher
    from .quota_reservations import QuotaReservations
else:  # each feature is loaded by its first call: `import threadspipepy` stays light
    _pipe = LazyModule("threadspipepy._pipe")
    hosting = LazyModule("threadspipepy.hosting")
    insights = LazyModule("threadspipepy.insights")
    journal = LazyModule("threadspipepy.journal")
    media_mod = LazyModule("threadspipepy.media")
    publishing = LazyModule("threadspipepy.publishing")
    quota_mod = LazyModule("threadspipepy.quota")
    splitting = LazyModule("threadspipepy.splitting")
    tokens = LazyModule("threadspipepy.tokens")


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
    ALLOW_INSECURE_HTTP_ENV: "allow_insecure_http",
    MEDIA_HOST_ENV: "media_host",  # a URI: s3://bucket/prefix?... or dir:///folder?base_url=...
}


class ThreadsPipe(AuthMethods, ReadingMethods):
    """A client for Meta's Threads API, compatible with ThreadsPipe-py 0.4.5.

    One instance holds the configuration, one HTTP session and no per-call state, so it can
    serve several threads at once. Use it as a context manager (or call `close()`) to close its
    session. `ThreadsPipe()` without `user_id`/`access_token` (and without `credentials=` or
    `token_store=`) raises TypeError, as in 0.4.5; empty strings are allowed, for the OAuth flow
    (posting and reading then raise ValidationError naming the missing value, before any
    request). Every option can be changed later with `update_param()`.

    Args:
        user_id: The Threads user id (digits; `get_access_tokens()` returns it). Required unless
            `credentials=` or `token_store=` gives it; `''` for a client that only runs the
            OAuth flow.
        access_token: A Threads user access token, short- or long-lived (long-lived lasts 60
            days). Sent in the Authorization header, never in a URL.
        disable_logging: Silence this instance's records of the `threadspipepy` logger (never
            the host application's logging).
        wait_before_post_publish: Poll a post's container until Meta has processed it before
            publishing; False publishes at once (fine for text, risky for media).
        post_publish_wait_time: The longest pause, in seconds, between two polls of a post's
            container; polling starts at 0.25 s and grows 1.5 times each poll up to this.
        wait_before_media_item_publish: The same as `wait_before_post_publish`, for the items
            of a carousel.
        media_item_publish_wait_time: The longest pause between two polls of a carousel item.
        handle_hashtags: Take trailing `#tags` off the text and put one on each part of a
            chain (a line of its own).
        auto_handle_hashtags: Like `handle_hashtags`, but a part that already holds a hashtag
            gets none and its tag moves on to the next part.
        gh_bearer_token: A GitHub token that can write to `gh_repo_name`: local files are
            uploaded there for a moment so that Threads can fetch them, then deleted.
        gh_api_version: The `X-GitHub-Api-Version` header of GitHub requests.
        gh_repo_name: The public GitHub repository for those temporary uploads.
        gh_username: The owner (user or organisation) of `gh_repo_name`.
        gh_upload_timeout: Seconds to wait for one GitHub upload or delete.
        wait_on_rate_limit: When the chain does not fit the publishing quota, wait (re-checking
            every few minutes, at most `max_rate_limit_wait` seconds) instead of failing.
        check_rate_limit_before_post: Read the publishing quota once before a chain and post
            nothing if the whole chain does not fit.
        threads_api_version: The Graph API version in every path, such as `'v1.0'`.
        threads_base_url: Where Threads requests go: the argument, else
            `$THREADS_API_BASE_URL`, else `https://graph.threads.net` (a loopback URL points the
            client at the sandbox).
        gh_base_url: Where GitHub requests go: the argument, else `$GITHUB_API_BASE_URL`, else
            `https://api.github.com`.
        timeout: Seconds to wait for an answer to one request before it fails with a
            `ThreadsConnectionError` (kind `timeout`).
        max_retries: How many times a request that is safe to repeat (reads, status polls, a
            connection that failed before sending) is retried, with backoff.
        container_timeout: Seconds one container may take to be processed before its part
            fails with a `MediaProcessingError`.
        max_rate_limit_wait: The most seconds `wait_on_rate_limit` waits for quota.
        raise_on_error: Raise the typed exception (`ThreadsAPIError` and subclasses) instead of
            returning `{'error': ...}` results.
        media_host: Where local files are published for Threads to fetch: any object with
            `upload(data, filename, mime) -> (url, handle)` and `delete(handle)`; None uses a
            GitHub host built from the `gh_*` options.
        session: A `requests.Session` to send through (proxies, adapters); the client does not
            close a session it was given. None makes one.
        credentials: `Credentials` giving `user_id` and `access_token` (they fill whichever of
            the two is not given).
        journal: Where `pipe(idempotency_key=...)` records each step: a `JournalStore`, a path
            of a SQLite file, or None for the default file (`$THREADSPIPEPY_JOURNAL`, else
            `~/.local/state/threadspipepy/journal.sqlite3`).
        journal_wait: Seconds to wait while another process works on the same idempotency key
            before giving up.
        token_store: Keep a long-lived token alive: a `.env` path, a `.json` path of
            `Credentials` or a `tokens.TokenStore`. The client takes its user id and token from
            the store (the arguments only fill an empty store) and refreshes the token when it
            is older than `refresh_after`, once across every client sharing the store.
        refresh_after: The token age (a timedelta, or seconds: 24 hours to under 60 days) after
            which `token_store` refreshes it.
        allow_insecure_http: Allow a plain-http base URL to a host that is not loopback (the
            token would travel in clear); off by default.
        quota_reservations: Share the publishing quota with the other clients of the account
            (`quota_reservations.LocalQuota()` within a process, `redis_stores.RedisQuota`
            across workers): each `pipe()` reserves its chain's posts and replies before
            publishing and gives back what it did not use, so no chain starts that the quota
            cannot finish (docs/16-scaling.md). The quota is then read before every chain.

    Example:
        with ThreadsPipe(user_id="1784...", access_token="THAA...") as tp:
            tp.pipe("Hello, Threads")
    """

    # 0.4.5's class attributes, brought up to date (the lists live in insights.py, read when
    # first used; __threads_auth_scope__ comes from AuthMethods).
    threads_post_insight_metrics = LazyClassValue(lambda: list(insights.POST_METRICS))
    threads_user_insight_metrics = LazyClassValue(lambda: list(insights.USER_METRICS))
    threads_follower_demographic_breakdown_list = LazyClassValue(lambda: list(insights.BREAKDOWNS))
    who_can_reply_list: ClassVar[list[str]] = list(validation.REPLY_CONTROLS)
    # 0.4.5's test suite used these two helpers: what counts as a web address (with or
    # without its scheme) and as base64 content.
    __file_url_reg__ = LazyClassValue(lambda: media_mod.WEB_ADDRESS)

    @staticmethod
    def __is_base64__(value: Any) -> bool:
        """Whether `value` is a base64 string of a file recognised by its content (0.4.5)."""
        return media_mod.is_base64_file(value)

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
        credentials: Credentials | None = None,
        journal: JournalStore | str | os.PathLike[str] | None = None,
        journal_wait: float = 30.0,
        token_store: tokens.TokenStore | str | os.PathLike[str] | None = None,
        refresh_after: timedelta | float = DEFAULT_REFRESH_AFTER,
        allow_insecure_http: bool = False,
        quota_reservations: QuotaReservations | None = None,
    ) -> None:
        store, kept_age = None, DEFAULT_REFRESH_AFTER
        if token_store is not None:  # the store's token wins; the arguments only fill it
            # Empty strings (0.4.5's "fill these in later") leave the store's values in place.
            user_id = None if user_id == "" else user_id
            access_token = None if access_token == "" else access_token
            kept_age = tokens.check_refresh_after(refresh_after)
            store = tokens.as_token_store(token_store)
            credentials = tokens.stored_credentials(store, user_id, access_token, credentials)
            user_id, access_token = credentials.user_id, credentials.access_token
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
        if session is not None and not isinstance(session, requests.Session):
            raise ValidationError(
                f"session must be a requests.Session (or None), got {type(session).__name__}.",
                parameter="session",
            )
        self._config = ClientConfig(
            user_id=user_id_text(user_id),
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
            journal=journal,
            journal_wait=journal_wait,
            allow_insecure_http=allow_insecure_http,
            quota_reservations=quota_reservations,
        )
        self._config.check()
        # Time is injectable so tests never sleep for real; replace both together.
        self._sleep: Callable[[float], None] = time.sleep
        self._clock: Callable[[], float] = time.monotonic
        self._now: Callable[[], datetime] = utcnow  # the token keep-alive's wall clock (UTC)
        self._lock = threading.Lock()
        self._times = ProcessingTimes()  # what this client learns about processing times
        self._journal_store: JournalStore | None = None
        self._journal_source: Any = None
        self._keeper: tokens.TokenKeeper | None = None
        self._graph = GraphClient(
            access_token=lambda: self._config.access_token,  # the token lives in the config
            endpoint=self._endpoint(),
            timeout=self._config.timeout,
            retry=RetryPolicy(max_retries=self._config.max_retries),
            session=session,
            sleep=lambda seconds: self._sleep(seconds),
            redactor=Redactor(self._secrets()),
            log=logger_for("transport", enabled=not disable_logging),
        )
        self._log = logger_for("", enabled=not disable_logging)
        if store is not None and credentials is not None:
            self._keeper = tokens.TokenKeeper(
                store,
                self._graph,
                credentials,
                refresh_after=kept_age,
                now=lambda: self._now(),
                adopt=self._adopt_token,
                log=logger_for("tokens", enabled=not disable_logging),
            )
            self._graph.token_hook = self._keeper

    # -- construction helpers ---------------------------------------------------------------
    @classmethod
    def from_credentials(
        cls, credentials: Credentials | Mapping[str, Any] | str, **options: Any
    ) -> ThreadsPipe:
        """Build a client from `Credentials`, or from their `to_json()` text or dict.

        Args:
            credentials: `Credentials`, or the JSON text or dict `Credentials.to_json()` wrote.
            **options: Any other constructor option (`gh_username=...`, `timeout=...`).

        Returns:
            A `ThreadsPipe` with the credentials' user id and token.

        Example:
            tp = ThreadsPipe.from_credentials(Path("threads-credentials.json").read_text())
        """
        if isinstance(credentials, str | Mapping):
            from ._credentials import Credentials

            credentials = Credentials.from_json(credentials)
        return cls(credentials=credentials, **options)

    @classmethod
    def from_env(
        cls, env_file: str | os.PathLike[str] | None = ".env", **overrides: Any
    ) -> ThreadsPipe:
        """Build a client from environment variables and, if present, a `.env` file.

        Reads `THREADS_USER_ID`, `THREADS_ACCESS_TOKEN`, `GH_BEARER_TOKEN`, `GH_USERNAME`,
        `GH_REPO_NAME`, `GH_API_VERSION`, `THREADS_API_VERSION`, `THREADS_API_BASE_URL`,
        `GITHUB_API_BASE_URL`, `THREADS_ALLOW_INSECURE_HTTP` and `THREADS_MEDIA_HOST`.
        Precedence: `overrides` > the process environment > the `.env` file. The file is read
        only here, never at import. `THREADS_MEDIA_HOST` (or `media_host=` given as a URI)
        chooses where local media is hosted: `s3://BUCKET/PREFIX?endpoint_url=...&region=...`
        or `dir:///FOLDER?base_url=https://...` (docs/05-media-and-github.md); without it,
        GitHub is used when the GH_* variables are set.

        Args:
            env_file: The `.env` file to read if it exists; None reads the environment only.
            **overrides: Constructor options that win over both (`timeout=60`, ...).

        Raises:
            ValidationError: The user id or the token is in neither place.

        Example:
            with ThreadsPipe.from_env() as tp:
                tp.pipe("Posted by cron")
        """
        from dotenv import dotenv_values  # imported lazily: reading .env is opt-in

        values: dict[str, Any] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v})
        values.update({k: v for k, v in os.environ.items() if k in ENV_VARIABLES and v})
        options = {ENV_VARIABLES[k]: v for k, v in values.items() if k in ENV_VARIABLES}
        if "allow_insecure_http" in options:
            options["allow_insecure_http"] = env_flag(options["allow_insecure_http"])
        options.update(overrides)
        if "user_id" not in options or "access_token" not in options:
            raise ValidationError(
                "from_env() needs THREADS_USER_ID and THREADS_ACCESS_TOKEN in the environment "
                f"or in {os.fspath(env_file) if env_file else 'a .env file'}.",
                parameter="env_file",
            )
        if isinstance(options.get("media_host"), str):
            options["media_host"] = hosting.media_host_from_setting(
                options["media_host"],
                setting="media_host" if "media_host" in overrides else MEDIA_HOST_ENV,
                container_timeout=options.get("container_timeout", ClientConfig.container_timeout),
            )
        return cls(**options)

    def update_param(
        self,
        user_id: int | str | None = None,
        access_token: str | None = None,
        disable_logging: bool | None = None,
        wait_before_post_publish: bool | None = None,
        post_publish_wait_time: float | None = None,
        wait_before_media_item_publish: bool | None = None,
        media_item_publish_wait_time: float | None = None,
        handle_hashtags: bool | None = None,
        auto_handle_hashtags: bool | None = None,
        gh_bearer_token: str | None = None,
        gh_api_version: str | None = None,
        gh_repo_name: str | None = None,
        gh_username: str | None = None,
        gh_upload_timeout: float | None = None,
        wait_on_rate_limit: bool | None = None,
        check_rate_limit_before_post: bool | None = None,
        threads_api_version: str | None = None,
        **options: Any,
    ) -> None:
        """Change constructor options; every later request uses the new values.

        Takes the constructor's options by the same names (the first 17 also by position, as in
        0.4.5: `update_param(user_id, access_token)`). An option left None keeps its value. Unknown
        names raise ValidationError.

        Args:
            user_id: The new Threads user id.
            access_token: The new access token (with `token_store=`, it is saved to the store too).
            disable_logging: Silence (True) or restore (False) this instance's log records.
            wait_before_post_publish: See the constructor.
            post_publish_wait_time: See the constructor.
            wait_before_media_item_publish: See the constructor.
            media_item_publish_wait_time: See the constructor.
            handle_hashtags: See the constructor.
            auto_handle_hashtags: See the constructor.
            gh_bearer_token: See the constructor.
            gh_api_version: See the constructor.
            gh_repo_name: See the constructor.
            gh_username: See the constructor.
            gh_upload_timeout: See the constructor.
            wait_on_rate_limit: See the constructor.
            check_rate_limit_before_post: See the constructor.
            threads_api_version: See the constructor.
            **options: The keyword-only constructor options (`timeout=`, `media_host=`,
                `journal=`, ...).

        Example:
            tp.update_param(
                user_id=tokens["user_id"],
                access_token=tokens["tokens"]["long_lived"]["access_token"],
            )
        """
        changes: dict[str, Any] = {
            "user_id": user_id,
            "access_token": access_token,
            "disable_logging": disable_logging,
            "wait_before_post_publish": wait_before_post_publish,
            "post_publish_wait_time": post_publish_wait_time,
            "wait_before_media_item_publish": wait_before_media_item_publish,
            "media_item_publish_wait_time": media_item_publish_wait_time,
            "handle_hashtags": handle_hashtags,
            "auto_handle_hashtags": auto_handle_hashtags,
            "gh_bearer_token": gh_bearer_token,
            "gh_api_version": gh_api_version,
            "gh_repo_name": gh_repo_name,
            "gh_username": gh_username,
            "gh_upload_timeout": gh_upload_timeout,
            "wait_on_rate_limit": wait_on_rate_limit,
            "check_rate_limit_before_post": check_rate_limit_before_post,
            "threads_api_version": threads_api_version,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        changes.update(options)
        with self._lock:
            self._config = self._config.updated(changes)
            graph = self._graph
            graph.endpoint = self._endpoint()
            graph.timeout = self._config.timeout
            graph.retry = RetryPolicy(max_retries=self._config.max_retries)
            graph.redactor.set_secrets(self._secrets())
            if "disable_logging" in changes and changes["disable_logging"] is not None:
                enabled = not self._config.disable_logging
                graph.log = logger_for("transport", enabled=enabled)
                self._log = logger_for("", enabled=enabled)
                if self._keeper is not None:
                    self._keeper.log = logger_for("tokens", enabled=enabled)
        if self._keeper is not None and changes.get("access_token") is not None:
            self._keeper.use(self._config.access_token)  # the store keeps what was given

    def _adopt_token(self, token: str) -> None:
        """The token store gave this client a new token: every later request sends it."""
        with self._lock:
            self._config = self._config.updated({"access_token": token})
            self._graph.redactor.set_secrets(self._secrets())

    def mask_secrets(self, text: str) -> str:
        """`text` with every secret this client holds replaced by `***`: its access token (and
        those the token keep-alive has used), the GitHub token. Only those literal values are
        masked, so ordinary text is left as it is: for printing what a call returned.

        Args:
            text: The text to print.

        Example:
            print(tp.mask_secrets(json.dumps(result)))
        """
        return self._graph.redactor.literals(text)

    def close(self) -> None:
        """Close the HTTP session (unless it was passed in by the caller).

        Example:
            tp.close()  # or: with ThreadsPipe(...) as tp: ...
        """
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
        who_can_reply: WhoCanReply | None = None,
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
        idempotency_key: str | None = None,
    ) -> PipeResult:
        """Split `post` and `files` into a Threads chain and publish it, exactly once.

        Text of any length is cut on paragraph, sentence and word boundaries (500 characters a
        part, emoji counted as Threads counts them); files go in carousels of up to 20; part i+1
        replies to part i. Every argument is checked before the first request (ValidationError).

        Args:
            post: The text, of any length. May be empty when `files` are given.
            files: Images and videos (JPEG, PNG, MP4, MOV): http(s) URLs Threads fetches, local
                paths (str or Path), bytes, base64 strings, data: URIs or binary file objects.
                Local content is hosted by the media host for the moment Threads needs it.
            file_captions: Alt text per file: `file_captions[i]` describes `files[i]`.
            tags: Hashtags for the chain, one per part in order (with `handle_hashtags`); the
                trailing `#tags` of the text are taken off it and follow these.
            reply_to_id: Publish the chain as a reply to this post.
            who_can_reply: Who may reply to every post of the chain: `everyone`,
                `accounts_you_follow`, `mentioned_only`, `parent_post_author_only` or
                `followers_only`.
            chained_post: False publishes only the first part (and first 20 files) and reports
                the rest in `data['unposted_text']` and `data['unposted_media']`.
            persist_tags_multipost: Put every tag on every part.
            allowed_country_codes: Show the posts only in these countries: ISO codes as a list or
                a comma string (needs geo-gating eligibility).
            link_attachments: A link preview per text part: `link_attachments[i]` goes on part i.
            quote_post_id: Quote this post (on the first part).
            persist_quoted_post: Quote it on every text part.
            topic_tag: The topic tag of every post (Meta's `topic_tag`, instead of a `#tag`).
            poll: 2 to 4 poll options, attached to the last text part.
            spoilers: Ranges of the text to hide as spoilers: `(offset, length)` pairs (one part
                only).
            spoiler_media: Blur the media until tapped.
            gif: A GIPHY GIF id, attached to the last text part.
            location_id: Tag the first post with this place (`search_locations()`).
            enable_reply_approvals: Hold replies for your approval before they show.
            text_attachment: A long-form text attachment for the last text part:
                `{'plaintext': ..., 'link_attachment_url': ...}`.
            dry_run: Send nothing; return the plan (each part's text, media and options).
            idempotency_key: A name for this chain (e.g. "daily-2026-12-06"): every step is
                written to the journal before it is taken, so calling pipe() again with the same
                key after a crash finishes the chain with nothing posted twice, and once it is
                complete returns the recorded result without a request.

        Returns:
            A `PipeResult`: `{'info': 'success', 'data': {'media_ids', 'posts'}, 'message'}`, or on
            failure `{'info': 'error', 'error': {...}, 'message', 'data'}` whose `data` says what is
            live (`media_ids`, `parts`) and what is left (`remaining`) for `resume_pipe()`.
            `result.media_ids`, `result.parts` and `result.error_code` give them typed.

        Raises:
            ValidationError: A bad argument, or no credentials; raised before any request.

        Example:
            result = tp.pipe("A long story... #travel", files=["https://cdn.example.com/a.jpg"])
            print(result.media_ids if result.ok else result.error_message)
        """
        request = _pipe.PipeRequest(
            post=post,
            files=media_mod.file_list(files),
            file_captions=file_captions,
            tags=tags,
            reply_to_id=reply_to_id,
            who_can_reply=who_can_reply,
            chained_post=chained_post,
            persist_tags_multipost=persist_tags_multipost,
            allowed_country_codes=allowed_country_codes,
            link_attachments=link_attachments,
            quote_post_id=quote_post_id,
            persist_quoted_post=persist_quoted_post,
            topic_tag=topic_tag,
            poll=poll,
            spoilers=spoilers,
            spoiler_media=spoiler_media,
            gif=gif,
            location_id=location_id,
            enable_reply_approvals=enable_reply_approvals,
            text_attachment=text_attachment,
        )
        config = self._config
        if not dry_run:
            config.require_credentials()
        if idempotency_key is not None:
            idempotency_key = validation.idempotency_key(idempotency_key)
        if tags and not (config.handle_hashtags or config.auto_handle_hashtags):
            self._log.warning(
                "tags= is ignored: handle_hashtags and auto_handle_hashtags are both off, so "
                "the text is posted as written"
            )
        probe = (
            None
            if dry_run
            else media_mod.head_probe(self._graph.session, config.timeout, config.threads_base_url)
        )
        prepared = _pipe.build_plan(request, config, probe, self._media_host(), self._log)
        plan = prepared.plan
        if dry_run:
            return self._deliver_pipe(
                results.success(
                    _pipe.DRY_RUN_MESSAGE,
                    {
                        "dry_run": True,
                        "media_ids": [],
                        "posts": [p.to_dict() for p in plan.posts],
                        "plan": plan.to_dict(),
                    },
                )
            )
        if idempotency_key is None:
            return self._deliver_pipe(_pipe.publish_plan(self._runtime(), prepared))
        return self._deliver_pipe(
            _pipe.publish_journaled(
                self._runtime(),
                prepared,
                self._journal(),
                idempotency_key,
                wait=config.journal_wait,
                fingerprint=_pipe.plan_fingerprint(plan),
            )
        )

    def resume_pipe(self, error_result: Mapping[str, Any] | ThreadsPipeError) -> PipeResult:
        """Publish what a stopped chain left, continuing it; nothing is published twice.

        A part whose publish answer was lost is settled first by reading its container
        (published: its id is recovered; still unpublished: that same container is sent again;
        gone: a new one is built). Local files are hosted again from the caller's sources (paths
        are read again; content given in memory needs the result of this process).

        Args:
            error_result: The failure result of `pipe()` or `resume_pipe()` (also one read back
                from its JSON), or the exception `raise_on_error=True` raised. Every failure can
                be resumed: a failed quota read or upload, or a stop at any part.

        Returns:
            A `PipeResult` like `pipe()`'s, listing the whole chain: the parts published before and
            now.

        Raises:
            ValidationError: `error_result` has nothing left to publish, or no credentials.

        Example:
            result = tp.pipe(long_text)
            if not result.ok and result.remaining:
                result = tp.resume_pipe(result)
        """
        self._config.require_credentials()
        prepared, progress = _pipe.resume_request(error_result, self._media_host(), self._config)
        key = progress.idempotency_key
        if key is None:
            return self._deliver_pipe(_pipe.publish_plan(self._runtime(), prepared, progress))
        return self._deliver_pipe(
            _pipe.publish_journaled(
                self._runtime(),
                prepared,
                self._journal(),
                key,
                wait=self._config.journal_wait,
                fingerprint=None,
                total=progress.total,
            )
        )

    def split_post(self, post: str, tags: Sequence[str] | None = None) -> list[str]:
        """The parts `pipe()` would post for this text, with this client's hashtag settings.

        Args:
            post: The text to split.
            tags: Hashtags to place, one per part, as `pipe(tags=...)` does.

        Returns:
            The parts, each at most 500 characters as Threads counts them.

        Example:
            parts = tp.split_post("A very long text ...", tags=["#news"])
        """
        config = self._config
        return splitting.split_post(
            post.strip(),
            splitting.normalize_tags(tags or []),
            handle_hashtags=config.handle_hashtags,
            auto_handle_hashtags=config.auto_handle_hashtags,
        )

    __split_post__ = split_post  # 0.4.5's name, used by its tests

    # -- single calls: repost, delete, containers ---------------------------------------------
    def repost_post(self, post_id: str | int) -> Result:
        """Repost a post: `{'info': 'success', 'data': {'id': repost id}, ...}`.

        Args:
            post_id: The post to repost.

        Example:
            tp.repost_post("17900000000000001")
        """
        node = validation.require_id(post_id, "post_id")
        try:
            body = self._graph.post(path_of(node, "repost"))
        except ValidationError:  # bad input or no credentials: raised, always
            raise
        except ThreadsPipeError as exc:
            return self._deliver(results.failure("Could not repost post", exc))
        return self._deliver(results.success("Post reposted successfully", body))

    def delete_post(self, post_id: str | int) -> Result:
        """Delete one of your posts: `{'success': True, 'deleted_id': ...}` (100 per 24 h).

        Args:
            post_id: The post to delete.

        Example:
            tp.delete_post("17900000000000001")
        """
        node = validation.require_id(post_id, "post_id")
        return self._graph_call(lambda: self._graph.request("DELETE", path_of(node)))

    def create_container(
        self,
        media_type: ContainerMediaType,
        text: str | None = None,
        image_url: str | None = None,
        video_url: str | None = None,
        **params: Any,
    ) -> Result:
        """Create one container as given (`{'id': container id}`): the low-level first step.

        Most code calls `pipe()`, which creates, waits for and publishes containers itself.

        Args:
            media_type: TEXT, IMAGE, VIDEO or CAROUSEL.
            text: The post's text.
            image_url: The image to fetch (IMAGE).
            video_url: The video to fetch (VIDEO).
            **params: Any other container parameter Meta takes (`reply_to_id`, `children`,
                `reply_control`, `is_carousel_item`, ...), sent as given.

        Example:
            container = tp.create_container("TEXT", text="Hello")["id"]
        """
        if media_type not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            raise ValidationError(
                "media_type must be TEXT, IMAGE, VIDEO or CAROUSEL.", parameter="media_type"
            )
        self._config.require_credentials()
        fields = {"media_type": media_type, "text": text, "image_url": image_url}
        fields.update(video_url=video_url, **params)
        return self._graph_call(lambda: {"id": self._publisher().create_container(fields)})

    def container_status(self, container_id: str | int) -> Result:
        """A container's `id`, `status` (IN_PROGRESS, FINISHED, PUBLISHED, ERROR, EXPIRED) and
        `error_message`.

        Args:
            container_id: The container to read.

        Example:
            tp.container_status(container)["status"]
        """
        node = validation.require_id(container_id, "container_id")
        return self._graph_call(lambda: self._publisher().status(node))

    def publish_container(self, container_id: str | int) -> Result:
        """Publish a FINISHED container (`{'id': media id}`), never twice.

        Args:
            container_id: The container to publish.

        Example:
            media_id = tp.publish_container(container)["id"]
        """
        node = validation.require_id(container_id, "container_id")
        self._config.require_credentials()

        def publish() -> dict[str, Any]:
            try:
                return {"id": self._publisher().publish(node)}
            except publishing.PublishInDoubt as doubt:
                raise doubt.cause from None

        return self._graph_call(publish)

    def _runtime(self) -> _pipe.PipeRuntime:
        """What one call needs, read once: the config may be replaced by update_param."""
        return _pipe.PipeRuntime(
            self._graph, self._config, self._sleep, self._clock, self._log, times=self._times
        )

    def _media_host(self) -> MediaHost | None:
        """The host for local files: media_host=, else GitHub from the gh_* options."""
        configured: MediaHost | None = self._config.media_host
        return configured or hosting.github_host(
            self._config,
            self._graph.session,
            retry=RetryPolicy(max_retries=self._config.max_retries),
            sleep=lambda seconds: self._sleep(seconds),
        )

    def _journal(self) -> JournalStore:
        """The journal store, opened once per client (its default is a SQLite file)."""
        with self._lock:
            configured = self._config.journal
            if self._journal_store is None or self._journal_source is not configured:
                self._journal_store = journal.journal_store(configured)
                self._journal_source = configured
            return self._journal_store

    def _publisher(self) -> Publisher:
        return self._runtime().publisher()

    # -- quota ------------------------------------------------------------------------------
    def get_quota_usage(self, for_reply: bool = False) -> Result:
        """The post (or, with `for_reply`, the reply) quota as Meta reports it.

        Args:
            for_reply: Read the reply quota (`reply_quota_usage`, `reply_config`) instead.

        Example:
            tp.get_quota_usage()["data"][0]["quota_usage"]
        """
        fields = quota_mod.REPLY_FIELDS if for_reply else quota_mod.POST_FIELDS
        self._config.require_credentials()
        return self._graph_call(
            lambda: quota_mod.fetch_publishing_limit(self._graph, self._config.user_id, fields)
        )

    def get_publishing_limit(self) -> Result:
        """Every quota Meta reports: posts, replies, deletes and location searches.

        Example:
            limits = tp.get_publishing_limit()["data"][0]
        """
        self._config.require_credentials()
        return self._graph_call(
            lambda: quota_mod.fetch_publishing_limit(
                self._graph, self._config.user_id, quota_mod.ALL_FIELDS
            )
        )

    # -- plumbing ---------------------------------------------------------------------------
    def _graph_call(self, call: Callable[[], dict[str, Any]]) -> Result:
        try:
            body = call()
        except ValidationError:
            raise
        except ThreadsPipeError as exc:
            return self._deliver(results.graph_failure(exc))
        except Exception as exc:  # a bug or a malformed answer: still a result, never a crash
            self._log.exception("%s failed unexpectedly", type(exc).__name__)
            return self._deliver(results.graph_failure(results.unexpected(exc)))
        return self._deliver(results.graph(body))

    def _deliver(self, result: Result) -> Result:
        if self._config.raise_on_error:
            result.raise_for_error()
        return result

    def _deliver_pipe(self, result: Result) -> PipeResult:
        typed = results.as_pipe_result(result)
        self._deliver(typed)
        return typed

    def _endpoint(self) -> Endpoint:
        return Endpoint(self._config.threads_base_url, self._config.threads_api_version)

    def _secrets(self) -> list[str | None]:
        kept = self._keeper.tokens if self._keeper is not None else ()
        return [self._config.access_token, self._config.gh_bearer_token, *kept]
