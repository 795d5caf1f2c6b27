"""ThreadsSandbox: the public face of the offline Threads + GitHub stand-in."""

from __future__ import annotations

import mimetypes
import random
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._faults import CHAOS_KINDS, Chaos, Fault, FaultRegistry, HeldRequest
from ._records import Account, RecordedRequest
from ._seed import ReadingSeeds
from ._server import Dispatcher, SandboxHTTPServer
from ._state import SandboxState
from ._webhook_methods import WebhookMethods

STAT_KINDS = (
    "create",
    "status",
    "publish",
    "quota",
    "repost",
    "delete",
    "read",
    "github",
    "static",
    "other",
)

if TYPE_CHECKING:  # the library imports nothing from here at runtime, and vice versa
    from threadspipepy.threadspipe import ThreadsPipe


class ThreadsSandbox(ReadingSeeds, WebhookMethods):
    """A local HTTP server that behaves like graph.threads.net, api.github.com and a raw host.

    ``with ThreadsSandbox() as sb: tp = sb.client()`` gives a ThreadsPipe wired to it.
    """

    def __init__(
        self,
        processing_delays: Mapping[str, float] | None = None,
        *,
        latency: float = 0.0,
        paging_links: bool = True,
        fetch_media_from: Sequence[str] = (),
    ) -> None:
        """`processing_delays`: sandbox-clock seconds a container of each media type stays
        IN_PROGRESS; `latency`: real seconds before each answer; `paging_links`: whether list
        pages and user insights carry `paging.next`/`paging.previous` URLs (see the
        `paging_links` property); `fetch_media_from`: `host:port` of local servers whose
        media URLs are fetched for real (see `fetch_external_media`)."""
        self._state = SandboxState(dict(processing_delays) if processing_delays else None)
        self._faults = FaultRegistry()
        self._dispatcher = Dispatcher(self._state, self._faults)
        self.latency = latency
        self.paging_links = paging_links
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        if fetch_media_from:
            self.fetch_external_media(*fetch_media_from)

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> ThreadsSandbox:
        if self._server is not None:
            return self
        server = SandboxHTTPServer(self._dispatcher)
        port = int(server.server_address[1])
        self._url = f"http://127.0.0.1:{port}"
        with self._state.lock:
            self._state.port = port
            self._state.base_url = self._url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # stop() waits at most one interval
            name=f"threads-sandbox-{port}",
            daemon=True,
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        self._faults.clear()  # release held requests so no handler thread stays blocked
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._state.webhooks.close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> ThreadsSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def latency(self) -> float:
        """Real seconds the server waits before answering each request (default 0)."""
        return self._dispatcher.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must not be negative")
        self._dispatcher.latency = float(seconds)

    # addresses and credentials -----------------------------------------------------------
    @property
    def url(self) -> str:
        """The Graph base URL (``http://127.0.0.1:PORT``); versioned paths add ``/v1.0``."""
        if self._url is None:
            raise RuntimeError("the sandbox is not started: call start() or use `with`")
        return self._url

    @property
    def github_url(self) -> str:
        return f"{self.url}/github"

    @property
    def raw_url(self) -> str:
        return f"{self.url}/raw"

    @property
    def default_account(self) -> Account:
        return self._state.account(None).account

    @property
    def user_id(self) -> str:
        return self.default_account.user_id

    @property
    def access_token(self) -> str:
        return self.default_account.access_token

    @property
    def gh_token(self) -> str:
        return self._state.gh_token

    @property
    def gh_username(self) -> str:
        return self._state.gh_username

    @property
    def gh_repo_name(self) -> str:
        return self._state.gh_repo_name

    # the registered Threads app and its authorization window ----------------------------
    @property
    def app_id(self) -> str:
        """The Threads App ID of the Meta app registered in the sandbox."""
        return self._dispatcher.oauth.app.app_id

    @property
    def app_secret(self) -> str:
        """The Threads App Secret of the registered app."""
        return self._dispatcher.oauth.app.app_secret

    @property
    def facebook_app_id(self) -> str:
        """The same Meta app's Facebook app id: exchanging a code with it is error 1349026."""
        return self._dispatcher.oauth.app.facebook_app_id

    @property
    def redirect_uri(self) -> str:
        """The app's first valid OAuth redirect URI (redirects must match one exactly)."""
        return self._dispatcher.oauth.app.redirect_uris[0]

    def add_redirect_uri(self, uri: str) -> None:
        """Add a valid OAuth redirect URI to the app's settings."""
        with self._state.lock:
            if uri not in self._dispatcher.oauth.app.redirect_uris:
                self._dispatcher.oauth.app.redirect_uris.append(uri)

    def authorize(
        self,
        url: str | None = None,
        *,
        scopes: str | list[str] | tuple[str, ...] | None = None,
        state: str | None = None,
        redirect_uri: str | None = None,
        user_id: str | None = None,
    ) -> str:
        """The user opens the authorization window and clicks Allow: returns the redirect URL
        (``{redirect_uri}?code=...&state=...#_``) their browser is sent to.

        Pass the authorization URL your code built (its client_id, redirect_uri, scope and
        state are checked as Meta checks them), or leave it out and give `scopes` (raw names,
        a list or a comma string; default every Threads scope), `state` and `redirect_uri`
        (default `redirect_uri`). `user_id` picks the account that signs in (default the
        default account). A request Meta would refuse raises ValueError with Meta's JSON.
        """
        with self._state.lock:
            return self._dispatcher.oauth.authorize(
                url, scopes=scopes, state=state, redirect_uri=redirect_uri, user_id=user_id
            )

    def deny(
        self, url: str | None = None, *, state: str | None = None, redirect_uri: str | None = None
    ) -> str:
        """The user clicks Cancel: returns the redirect URL with ``error=access_denied``."""
        with self._state.lock:
            return self._dispatcher.oauth.deny(url, state=state, redirect_uri=redirect_uri)

    def token_info(self, access_token: str) -> dict[str, Any] | None:
        """What the sandbox knows about a token it issued through OAuth (None otherwise):
        ``user_id``, ``scopes``, ``long_lived``, ``issued_at``/``expires_at`` (sandbox clock)."""
        with self._state.lock:
            token = self._dispatcher.oauth.tokens.get(access_token)
            if token is None:
                return None
            return {
                "user_id": token.user_id,
                "scopes": list(token.scopes),
                "long_lived": token.long_lived,
                "issued_at": token.issued_at,
                "expires_at": token.expires_at,
            }

    def set_tester(self, user_id: str | None = None, tester: bool = True) -> None:
        """Give or take the Threads Tester role of the app (every account has it at first).
        debug_token refuses a caller without it, as Meta does for an app in Live mode."""
        with self._state.lock:
            uid = self._state.account(user_id).account.user_id
            if tester:
                self._dispatcher.oauth.non_testers.discard(uid)
            else:
                self._dispatcher.oauth.non_testers.add(uid)

    def client(self, **options: Any) -> ThreadsPipe:
        """A ThreadsPipe pointed at this sandbox with the default account; options override."""
        from threadspipepy.threadspipe import ThreadsPipe  # lazy: keeps the sandbox standalone

        kwargs: dict[str, Any] = {
            "user_id": self.user_id,
            "access_token": self.access_token,
            "gh_bearer_token": self.gh_token,
            "gh_username": self.gh_username,
            "gh_repo_name": self.gh_repo_name,
            "threads_base_url": self.url,
            "gh_base_url": self.github_url,
        }
        kwargs.update(options)
        return ThreadsPipe(**kwargs)

    # accounts, quotas, clock -------------------------------------------------------------
    def add_account(
        self,
        user_id: str | None = None,
        access_token: str | None = None,
        username: str | None = None,
        *,
        quota_total: int = 250,
        reply_quota_total: int = 1000,
        delete_quota_total: int = 100,
        geo_gating_eligible: bool = True,
    ) -> Account:
        return self._state.add_account(
            user_id,
            access_token,
            username,
            quota_total=quota_total,
            reply_quota_total=reply_quota_total,
            delete_quota_total=delete_quota_total,
            geo_gating_eligible=geo_gating_eligible,
        )

    def set_quota_usage(
        self,
        user_id: str | None = None,
        *,
        posts: int | None = None,
        replies: int | None = None,
        deletes: int | None = None,
    ) -> None:
        """Set the rolling-24 h usage (stamped now, so it rolls off 86400 clock seconds later)."""
        self._state.set_usage(user_id, posts, replies, deletes)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (processing delays, 24 h expiry, quota windows, and the
        age of OAuth codes and tokens)."""
        self._state.advance(seconds)

    def now(self) -> float:
        """The sandbox clock: time.monotonic() plus everything advance() added."""
        return self._state.now()

    def wall_time(self) -> datetime:
        """The sandbox clock as a UTC datetime: the real time plus everything advance() added.
        A client's `_now = sb.wall_time` makes its token keep-alive age with the sandbox."""
        with self._state.lock:
            return self._state.wall(self._state.now())

    # containers and posts ----------------------------------------------------------------
    @property
    def containers(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return [self._state.container_snapshot(c) for c in self._state.containers.values()]

    def container(self, container_id: str) -> dict[str, Any]:
        with self._state.lock:
            return self._state.container_snapshot(self._state.containers[container_id])

    def fail_container(
        self, container_id: str, status: str = "ERROR", error_message: str = "UNKNOWN"
    ) -> None:
        """Force a container into ERROR (with error_message) or EXPIRED."""
        self._state.fail_container(container_id, status, error_message)

    def fail_next_container(
        self,
        status: str = "ERROR",
        error_message: str = "FAILED_DOWNLOADING_VIDEO",
        media_type: str | None = None,
    ) -> None:
        """The next container created (of media_type, if given) ends in `status` when processed."""
        self._state.fail_next(status, error_message, media_type)

    def lose_container(self, container_id: str) -> None:
        """Make a container vanish, as Meta sometimes does: reading its status is then Graph's
        100/33 "does not exist" error and publishing it is code 24, subcode 4279009."""
        self._state.lose_container(container_id)

    @property
    def posts(self) -> list[dict[str, Any]]:
        with self._state.lock:
            state = self._state
            return [state.post_snapshot(state.media[pid]) for pid in state.post_order]

    @property
    def deleted(self) -> list[str]:
        """Ids of the posts deleted with DELETE /{media-id}, in order."""
        with self._state.lock:
            return list(self._state.deleted)

    @property
    def publish_attempts(self) -> int:
        with self._state.lock:
            return self._state.publish_attempts

    # static files and GitHub -------------------------------------------------------------
    def host_file(self, path: str, data: bytes, content_type: str | None = None) -> str:
        """Serve `data` at ``{url}/media/{path}`` (for media URLs in tests); returns the URL."""
        path = path.lstrip("/")
        kind = content_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
        with self._state.lock:
            self._state.hosted[path] = (bytes(data), kind)
        return f"{self.url}/media/{quote(path)}"

    def fetch_external_media(self, *hosts: str) -> None:
        """Fetch media URLs on these local servers for real, as Meta fetches media.

        Each host is `host:port` on the loopback interface (`127.0.0.1:9000`, `localhost:8080`;
        anything else is refused with ValueError, so nothing ever leaves the machine). A media
        URL on one of them is fetched with a GET when its container is created and again
        when processing ends (on the first request after the processing delay), outside the
        sandbox's lock; an answer other than 2xx (an expired or wrongly signed presigned URL,
        a deleted file) makes the container ERROR with FAILED_DOWNLOADING_VIDEO (videos) or
        UNKNOWN (images), and a content type other than JPEG/PNG or MP4/MOV fails processing.
        Redirects are not followed. Every fetch is listed in `media_fetches`.
        """
        self._state.fetcher.allow(list(hosts))

    @property
    def media_fetches(self) -> list[dict[str, Any]]:
        """Every real fetch of an external media URL, in order: `url`, `stage` ("create" or
        "processing"), `status` (0 when no answer came), `content_type`, `size`, `error`."""
        with self._state.lock:
            return [fetch.to_dict() for fetch in self._state.media_fetches]

    def set_media_type(self, url: str, content_type: str | None) -> None:
        """What the media probe says `url` is (None: it cannot be fetched, HTTP 404).

        A client pointed at the sandbox never sends a HEAD to a media URL's host: for a URL
        without a file extension it asks the sandbox (``HEAD {url}/media-probe?url=...``),
        which answers from this map, its own hosted files, the URL's extension, and last
        ``image/jpeg``.
        """
        with self._state.lock:
            self._state.media_types[url] = content_type

    @property
    def github_files(self) -> dict[str, bytes]:
        """Path -> bytes of the files now in the default fake repository."""
        with self._state.lock:
            key = (self._state.gh_username, self._state.gh_repo_name)
            return dict(self._state.repos[key])

    # request log -------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return [entry for _, entry in sorted(self._state.log, key=lambda item: item[0])]

    def requests_to(
        self, method: str | None = None, path: str | None = None
    ) -> list[RecordedRequest]:
        """Logged requests whose method matches and whose path matches the fnmatch glob."""
        return [
            r
            for r in self.requests
            if (method in (None, "*") or r.method == str(method).upper())
            and (path is None or fnmatchcase(r.path, path))
        ]

    def clear_requests(self) -> None:
        """Empty the request log (and with it the counts stats() reports)."""
        with self._state.lock:
            self._state.log.clear()

    def stats(self) -> dict[str, int]:
        """Request counts by kind since the start or the last clear_requests(), for benchmarks.

        Keys: ``create`` (POST /{user}/threads), ``status`` (GET /{container-id}), ``publish``
        (POST /{user}/threads_publish), ``quota`` (GET /{user}/threads_publishing_limit),
        ``repost``, ``delete``, ``read`` (other Graph GETs), ``github``, ``static`` (/raw,
        /media and the media probe), ``other``; plus ``total`` and ``errors`` (answers >= 400
        or dropped).
        """
        counts = dict.fromkeys(STAT_KINDS, 0)
        errors = 0
        for request in self.requests:
            counts[request.kind] = counts.get(request.kind, 0) + 1
            errors += request.status >= 400 or request.status == 0
        counts["total"] = sum(counts.values())
        counts["errors"] = errors
        return counts

    # fault injection ---------------------------------------------------------------------
    # Every fault takes: `times` (how many matching requests it applies to; None: every one
    # until clear_faults(), a fault that persists), `skip` (let that many matching requests
    # pass first, whatever other fault they meet: skip=1 hits the second publish of a
    # chain) and `params` (only requests
    # whose query/form/JSON parameters include these values, e.g. {"media_type": "CAROUSEL"}).
    def fail(
        self,
        method: str,
        path: str,
        status: int | None = None,
        *,
        times: int | None = 1,
        html: bool = False,
        after: bool = False,
        code: int | None = None,
        subcode: int | None = None,
        message: str | None = None,
        error_type: str | None = None,
        skip: int = 0,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next `times` matching requests with an error. after=True processes the
        request first (it takes effect; only the answer is lost).

        Without `code`: a transient server error (HTTP 500 by default; Graph code 1, or 2 for
        503). With `code` (and optionally `subcode`, `message`, `error_type`): that Graph error,
        with HTTP 400 by default, e.g. ``code=24, subcode=4279009`` for a lost container or
        ``code=506`` for a duplicate post. html=True answers with a proxy's HTML page instead.
        """
        if html and code is not None:
            raise ValueError("html=True answers with an HTML page: it cannot carry a Graph code")
        if status is None:
            status = 500 if code is None else 400
        self._add_fault(
            Fault(
                "fail",
                method,
                path,
                times,
                after=after,
                status=status,
                html=html,
                error_code=code,
                subcode=subcode,
                message=message,
                error_type=error_type,
            ),
            skip,
            params,
        )

    def rate_limit(
        self,
        method: str,
        path: str,
        *,
        retry_after: float | None = None,
        code: int = 4,
        status: int = 429,
        times: int | None = 1,
        skip: int = 0,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Answer with Graph's rate-limit envelope (code 4/17/32/613), plus Retry-After."""
        fault = Fault(
            "rate_limit", method, path, times, status=status, retry_after=retry_after, code=code
        )
        self._add_fault(fault, skip, params)

    def drop(
        self,
        method: str,
        path: str,
        *,
        times: int | None = 1,
        after: bool = False,
        skip: int = 0,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Close the connection without any HTTP response (after=True: once processed)."""
        self._add_fault(Fault("drop", method, path, times, after=after), skip, params)

    def reset(
        self,
        method: str,
        path: str,
        *,
        times: int | None = 1,
        after: bool = False,
        skip: int = 0,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Abort the connection with a TCP reset, no HTTP response (after=True: once processed)."""
        self._add_fault(Fault("reset", method, path, times, after=after), skip, params)

    def redirect(
        self,
        method: str,
        path: str,
        location: str,
        *,
        status: int = 307,
        times: int | None = 1,
        skip: int = 0,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Answer with a redirect (307 by default; 301, 302, 303, 308 too) to `location`, as a
        moved host or a hostile proxy would. Nothing is processed."""
        if status not in (301, 302, 303, 307, 308):
            raise ValueError("status must be a redirect: 301, 302, 303, 307 or 308")
        fault = Fault("redirect", method, path, times, status=status, location=location)
        self._add_fault(fault, skip, params)

    def delay(
        self,
        method: str,
        path: str,
        seconds: float,
        *,
        times: int | None = 1,
        after: bool = False,
        skip: int = 0,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """Sleep `seconds` of real time, then process and answer normally: longer than the
        client's timeout, the request lands after the client gave up on it. after=True
        processes it at once and only the answer comes late."""
        fault = Fault("delay", method, path, times, seconds=seconds, after=after)
        self._add_fault(fault, skip, params)

    def hold(
        self,
        method: str,
        path: str,
        *,
        times: int | None = 1,
        skip: int = 0,
        params: Mapping[str, str] | None = None,
    ) -> HeldRequest:
        """Hold matching requests unprocessed and unanswered until the returned handle's
        `release()` (or clear_faults(), or 120 s). `wait_arrived()` blocks until one is held:
        the moment to kill the client, or to let it time out, before the request lands."""
        held = HeldRequest()
        fault = Fault("hold", method, path, times)
        fault.held = held
        self._add_fault(fault, skip, params)
        return held

    def _add_fault(self, fault: Fault, skip: int, params: Mapping[str, str] | None) -> None:
        fault.skip = skip
        fault.params = dict(params) if params else None
        self._faults.add(fault)

    def chaos(
        self,
        rate: float,
        *,
        seed: int | None = None,
        kinds: Sequence[str] | None = None,
        path: str = "*",
    ) -> None:
        """Fail a random share of requests: each request no other fault matched fails with
        probability `rate` (0 stops it), with a kind drawn from `kinds` (default: all of
        5xx, 5xx-after, html-502, html-502-after, 429, drop, drop-after, reset, reset-after;
        "-after" ones take effect first). `seed` makes the draws repeatable; `path` (a glob)
        limits it to some requests. For soak tests of code that must survive anything."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        chosen = tuple(kinds) if kinds is not None else tuple(CHAOS_KINDS)
        unknown = [k for k in chosen if k not in CHAOS_KINDS]
        if unknown or not chosen:
            raise ValueError(f"kinds must be some of {', '.join(CHAOS_KINDS)}")
        self._faults.chaos = Chaos(rate, random.Random(seed), chosen, path) if rate > 0 else None

    @property
    def chaos_injected(self) -> int:
        """How many random faults the current chaos() setting has injected."""
        chaos = self._faults.chaos
        return chaos.injected if chaos is not None else 0

    @property
    def faults_pending(self) -> int:
        """How many requests the injected faults have still to hit (-1 while one persists):
        0 means every fault fired, a check that a test really exercised what it injected."""
        return self._faults.pending()

    def clear_faults(self) -> None:
        """Forget every fault not yet used, and release every held request."""
        self._faults.clear()
