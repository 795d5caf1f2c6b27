"""ThreadsPipe: the facade. Thin methods that validate, delegate and shape results.

Configuration lives here; per-call state lives in each call's locals, so one instance can
serve several threads at once and nothing from one `pipe()` leaks into the next.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from . import results, validation
from ._auth_facade import AuthMethods
from ._lazy import LazyClassValue, LazyModule
from ._log import logger_for
from ._polling import ProcessingTimes
from ._reading_facade import ReadingMethods
from ._redaction import Redactor
from ._retry import RetryPolicy
from ._transport import Endpoint, GraphClient, path_of
from .config import (
    DEFAULT_GITHUB_BASE_URL,
    DEFAULT_THREADS_BASE_URL,
    GITHUB_BASE_URL_ENV,
    THREADS_BASE_URL_ENV,
    ClientConfig,
    resolve_base_url,
)
from .errors import ThreadsPipeError, ValidationError
from .results import Result

if TYPE_CHECKING:
    from . import _pipe, hosting, insights, journal, publishing, splitting, tokens
    from . import media as media_mod
    from . import quota as quota_mod
    from ._credentials import Credentials
    from .hosting import MediaHost
    from .journal import JournalStore
    from .publishing import Publisher
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

# tokens.DEFAULT_REFRESH_AFTER, here so that the signature does not load the token modules.
DEFAULT_REFRESH_AFTER = timedelta(days=7)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


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


class ThreadsPipe(AuthMethods, ReadingMethods):
    """A client for Meta's Threads API, compatible with ThreadsPipe-py 0.4.5.

    `with ThreadsPipe(user_id, access_token) as tp: tp.pipe("Hello, Threads")`

    `token_store=` (a `.env` path, a `.json` path of Credentials, or a `tokens.TokenStore`)
    keeps a long-lived token alive: the client takes its user id and token from the store and,
    before a request, refreshes a token older than `refresh_after` (a timedelta or seconds,
    24 hours to under 60 days; default 7 days) once across every client and process sharing
    the store, saves it there and sends it from then on (see `threadspipepy.tokens`).
    """

    # 0.4.5's class attributes, brought up to date (the lists live in insights.py, read when
    # first used; __threads_auth_scope__ comes from AuthMethods).
    threads_post_insight_metrics = LazyClassValue(lambda: list(insights.POST_METRICS))
    threads_user_insight_metrics = LazyClassValue(lambda: list(insights.USER_METRICS))
    threads_follower_demographic_breakdown_list = LazyClassValue(lambda: list(insights.BREAKDOWNS))
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
        credentials: Credentials | None = None,
        journal: JournalStore | str | os.PathLike[str] | None = None,
        journal_wait: float = 30.0,
        token_store: tokens.TokenStore | str | os.PathLike[str] | None = None,
        refresh_after: timedelta | float = DEFAULT_REFRESH_AFTER,
    ) -> None:
        store, kept_age = None, DEFAULT_REFRESH_AFTER
        if token_store is not None:  # the store's token wins; the arguments only fill it
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
            journal=journal,
            journal_wait=journal_wait,
        )
        self._config.check()
        # Time is injectable so tests never sleep for real; replace both together.
        self._sleep: Callable[[float], None] = time.sleep
        self._clock: Callable[[], float] = time.monotonic
        self._now: Callable[[], datetime] = _utcnow  # the token keep-alive's wall clock (UTC)
        self._lock = threading.Lock()
        self._times = ProcessingTimes()  # what this client learns about processing times
        self._journal_store: JournalStore | None = None
        self._journal_source: Any = None
        self._keeper: tokens.TokenKeeper | None = None
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
        """Build a client from `Credentials`, or from their `to_json()` text or dict."""
        if isinstance(credentials, str | Mapping):
            from ._credentials import Credentials

            credentials = Credentials.from_json(credentials)
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
                if self._keeper is not None:
                    self._keeper.log = logger_for("tokens", enabled=enabled)
        if self._keeper is not None and changes.get("access_token") is not None:
            self._keeper.use(self._config.access_token)  # the store keeps what was given

    def _adopt_token(self, token: str) -> None:
        """The token store gave this client a new token: every later request sends it."""
        with self._lock:
            self._config = self._config.updated({"access_token": token})
            self._graph.access_token = token
            self._graph.redactor.set_secrets(self._secrets())

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
        idempotency_key: str | None = None,
    ) -> Result:
        """Split `post` and `files` into a Threads chain and publish it, exactly once.

        Text of any length is cut on paragraph, sentence and word boundaries; files (media
        URLs) go in carousels of up to 20; part i+1 replies to part i. Every argument is
        checked before the first request. `dry_run=True` returns the plan and sends nothing.

        `idempotency_key` (e.g. "daily-2026-12-06") records every step in the journal
        (`journal=` of the constructor; a SQLite file by default) before it is taken: calling
        pipe() again with the same key after a crash finishes the chain with nothing posted
        twice, and once the chain is complete returns its recorded result without a request.
        """
        request = _pipe.PipeRequest(
            post=post,
            files=list(files or []),
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
        if idempotency_key is not None:
            idempotency_key = validation.idempotency_key(idempotency_key)
        if tags and not (config.handle_hashtags or config.auto_handle_hashtags):
            self._log.warning(
                "tags= is ignored: handle_hashtags and auto_handle_hashtags are both off, so "
                "the text is posted as written"
            )
        probe = None if dry_run else media_mod.head_probe(self._graph.session, config.timeout)
        prepared = _pipe.build_plan(request, config, probe, self._media_host())
        plan = prepared.plan
        if dry_run:
            return self._deliver(
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
            return self._deliver(_pipe.publish_plan(self._runtime(), prepared))
        return self._deliver(
            _pipe.publish_journaled(
                self._runtime(),
                prepared,
                self._journal(),
                idempotency_key,
                wait=config.journal_wait,
                fingerprint=_pipe.plan_fingerprint(plan),
            )
        )

    def resume_pipe(self, error_result: Mapping[str, Any] | ThreadsPipeError) -> Result:
        """Publish what a stopped chain left, continuing it; nothing is published twice.

        Args:
            error_result: the failure result of `pipe()` or `resume_pipe()` (also one read
                back from its JSON), or the exception `raise_on_error=True` raised. Every
                failure can be resumed: a failed quota read or upload, or a stop at any part.
                A part whose publish answer was lost is settled first by reading its
                container (published: its id is recovered; still unpublished: that same
                container is sent again; gone: a new one is built). Local files are hosted
                again from the caller's sources (paths are read again; content given in
                memory needs the result of this process).

        Returns:
            A result like `pipe()`'s, listing the whole chain: the parts published before
            and now.
        """
        prepared, progress = _pipe.resume_request(error_result, self._media_host(), self._config)
        key = progress.idempotency_key
        if key is None:
            return self._deliver(_pipe.publish_plan(self._runtime(), prepared, progress))
        return self._deliver(
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
        """The parts `pipe()` would post for this text, with this client's hashtag settings."""
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
        """Repost a post: `{'info': 'success', 'data': {'id': repost id}, ...}`."""
        node = validation.require_id(post_id, "post_id")
        try:
            body = self._graph.post(path_of(node, "repost"))
        except ThreadsPipeError as exc:
            return self._deliver(results.failure("Could not repost post", exc))
        return self._deliver(results.success("Post reposted successfully", body))

    def delete_post(self, post_id: str | int) -> Result:
        """Delete one of your posts: `{'success': True, 'deleted_id': ...}` (100 per 24 h)."""
        node = validation.require_id(post_id, "post_id")
        return self._graph_call(lambda: self._graph.request("DELETE", path_of(node)))

    def create_container(
        self,
        media_type: str,
        text: str | None = None,
        image_url: str | None = None,
        video_url: str | None = None,
        **params: Any,
    ) -> Result:
        """Create one container as given (`{'id': container id}`); the low-level step."""
        if media_type not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            raise ValidationError(
                "media_type must be TEXT, IMAGE, VIDEO or CAROUSEL.", parameter="media_type"
            )
        fields = {"media_type": media_type, "text": text, "image_url": image_url}
        fields.update(video_url=video_url, **params)
        return self._graph_call(lambda: {"id": self._publisher().create_container(fields)})

    def container_status(self, container_id: str | int) -> Result:
        """A container's `id`, `status` and `error_message`."""
        node = validation.require_id(container_id, "container_id")
        return self._graph_call(lambda: self._publisher().status(node))

    def publish_container(self, container_id: str | int) -> Result:
        """Publish a FINISHED container (`{'id': media id}`), never twice."""
        node = validation.require_id(container_id, "container_id")

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
        return configured or hosting.github_host(self._config, self._graph.session)

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
        kept = self._keeper.tokens if self._keeper is not None else ()
        return [self._config.access_token, self._config.gh_bearer_token, *kept]
