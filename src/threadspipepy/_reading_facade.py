"""The reading, managing and insights methods of `ThreadsPipe` (a mixin).

0.4.5's getters keep their names, parameters and raw-Graph-JSON results (with its bugs fixed:
one `since`/`until`/`limit` each, `breakdown` only with `follower_demographics`, encoded
intents on the current host); every getter gains `fields=` and the `before`/`after` cursors,
and `iter_*` walk every page lazily. Arguments are checked before any request (ValidationError);
Meta's failures come back as `{'error': {...}}` results, or raise with `raise_on_error=True`.
Iterators always raise on a failed page: there is no result dict to put the error in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import results
from ._lazy import LazyModule
from ._transport import path_of
from .errors import ThreadsPipeError
from .results import Result

if TYPE_CHECKING:
    from . import insights, reading
    from ._log import Log
    from ._transport import GraphClient
    from .config import ClientConfig
    from .reading import Fields, GraphRequest, TimeLike
else:  # loaded by the first reading or insights call
    insights = LazyModule("threadspipepy.insights")
    reading = LazyModule("threadspipepy.reading")

MAX_PAGE_SIZE = 100  # reading.MAX_PAGE_SIZE, here so that the signatures do not load reading


class ReadingMethods:
    """Getters, reply management, search, profiles, locations, oEmbed, insights, intents."""

    if TYPE_CHECKING:
        _graph: GraphClient
        _config: ClientConfig
        _log: Log

        def _graph_call(self, call: Callable[[], dict[str, Any]]) -> Result: ...

        def _deliver(self, result: Result) -> Result: ...

    # -- your posts and replies -------------------------------------------------------------
    def get_posts(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """One page of your posts, newest first: `{'data': [...], 'paging': {...}}`.

        `limit` is the page size (Meta's default 25, at most 100); pass a page's
        `paging.cursors.after` as `after=` for the next one, or use `iter_posts()`.
        """
        return self._send(
            reading.list_request(
                "me/threads",
                reading.POST_FIELDS,
                fields=fields,
                since=since_date,
                until=until_date,
                limit=limit,
                before=before,
                after=after,
            )
        )

    def get_post(self, post_id: str | int, *, fields: Fields = None) -> Result:
        """One post (yours, or a public one your app may read)."""
        return self._send(reading.object_request(post_id, "post_id", reading.POST_FIELDS, fields))

    def get_profile(self, *, fields: Fields = None) -> Result:
        """Your profile: id, username, name, picture, biography, is_verified."""
        return self._send(
            reading.GraphRequest(
                "GET", "me", {"fields": reading.fields_param(fields, reading.PROFILE_FIELDS)}
            )
        )

    def get_user_replies(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """One page of the replies you wrote, newest first."""
        return self._send(
            reading.list_request(
                "me/replies",
                reading.USER_REPLY_FIELDS,
                fields=fields,
                since=since_date,
                until=until_date,
                limit=limit,
                before=before,
                after=after,
            )
        )

    def get_ghost_posts(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """One page of your ghost posts (with `ghost_post_status` and expiry)."""
        return self._send(
            reading.list_request(
                "me/ghost_posts",
                reading.GHOST_POST_FIELDS,
                fields=fields,
                since=since_date,
                until=until_date,
                limit=limit,
                before=before,
                after=after,
            )
        )

    def get_mentions(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """One page of public posts that mention you (`threads_manage_mentions`)."""
        return self._send(
            reading.list_request(
                "me/mentions",
                reading.PUBLIC_POST_FIELDS,
                fields=fields,
                since=since_date,
                until=until_date,
                limit=limit,
                before=before,
                after=after,
            )
        )

    def get_allowlisted_country_codes(
        self, limit: int | None = None, *, before: str | None = None, after: str | None = None
    ) -> Result:
        """Your posts' ids with the countries each is limited to (geo-gated posts)."""
        return self._send(
            reading.list_request(
                "me/threads",
                reading.ALLOWLISTED_COUNTRY_FIELDS,
                limit=limit,
                before=before,
                after=after,
            )
        )

    # -- replies to a post ------------------------------------------------------------------
    def get_post_replies(
        self,
        post_id: str | int,
        top_levels: bool = True,
        reverse: bool = False,
        *,
        fields: Fields = None,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """Replies to a post: top-level only, or with `top_levels=False` every level (the
        conversation). `reverse=False` is oldest first, as 0.4.5 sent it."""
        edge = "replies" if reading.flag(top_levels, "top_levels") else "conversation"
        return self._send(
            reading.replies_request(
                post_id,
                edge,
                reading.REPLY_FIELDS,
                reverse=reverse,
                fields=fields,
                limit=limit,
                before=before,
                after=after,
            )
        )

    def get_conversation(
        self,
        post_id: str | int,
        reverse: bool = False,
        *,
        fields: Fields = None,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """Every reply at every level under a root post, flattened."""
        return self._send(
            reading.replies_request(
                post_id,
                "conversation",
                reading.REPLY_FIELDS,
                reverse=reverse,
                fields=fields,
                limit=limit,
                before=before,
                after=after,
            )
        )

    def get_pending_replies(
        self,
        post_id: str | int,
        reverse: bool = False,
        approval_status: str | None = None,
        *,
        fields: Fields = None,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """Replies awaiting approval on a post made with `enable_reply_approvals=True`.

        `approval_status`: 'pending' or 'ignored' (default: both).
        """
        status = reading.choice(
            approval_status, reading.APPROVAL_STATUSES, "approval_status", upper=False
        )
        return self._send(
            reading.replies_request(
                post_id,
                "pending_replies",
                reading.PENDING_REPLY_FIELDS,
                reverse=reverse,
                fields=fields,
                limit=limit,
                before=before,
                after=after,
                extra={"approval_status": status},
            )
        )

    def hide_reply(self, reply_id: str | int, hide: bool) -> Result:
        """Hide (`hide=True`) or unhide a top-level reply to your post: `{'success': True}`."""
        node = reading.require_id(reply_id, "reply_id")
        value = reading.flag(hide, "hide")
        return self._send(
            reading.GraphRequest("POST", path_of(node, "manage_reply"), {"hide": value})
        )

    def manage_pending_reply(self, reply_id: str | int, approve: bool) -> Result:
        """Approve (`approve=True`) or ignore a pending reply: `{'success': True}`."""
        node = reading.require_id(reply_id, "reply_id")
        value = reading.flag(approve, "approve")
        return self._send(
            reading.GraphRequest("POST", path_of(node, "manage_pending_reply"), {"approve": value})
        )

    # -- search, profiles, locations, oEmbed -------------------------------------------------
    def keyword_search(
        self,
        q: str,
        search_type: str | None = None,
        search_mode: str | None = None,
        media_type: str | None = None,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        limit: int | None = None,
        author_username: str | None = None,
        fields: Fields = None,
        *,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """Public posts for a keyword (or a topic tag with `search_mode='TAG'`).

        `search_type` TOP (default) or RECENT; `media_type` TEXT, IMAGE or VIDEO. Meta allows
        2,200 searches per rolling 24 h; searches without results do not count.
        """
        return self._send(
            reading.keyword_search_request(
                q,
                search_type,
                search_mode,
                media_type,
                since,
                until,
                limit,
                author_username,
                fields,
                before=before,
                after=after,
            )
        )

    def lookup_profile(self, username: str, *, fields: Fields = None) -> Result:
        """A public profile by exact username, with follower and 7-day counts."""
        params = {
            "username": reading.username(username),
            "fields": reading.fields_param(fields, reading.PROFILE_LOOKUP_FIELDS),
        }
        return self._send(reading.GraphRequest("GET", "profile_lookup", params))

    def get_profile_posts(
        self,
        username: str,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """One page of a public profile's posts, newest first."""
        return self._send(
            reading.list_request(
                "profile_posts",
                reading.PUBLIC_POST_FIELDS,
                fields=fields,
                since=since_date,
                until=until_date,
                limit=limit,
                before=before,
                after=after,
                extra={"username": reading.username(username)},
            )
        )

    def search_locations(
        self,
        q: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        *,
        fields: Fields = None,
    ) -> Result:
        """Places to tag, by name or address (`q`), by coordinates, or both (not paginated)."""
        return self._send(reading.location_search_request(q, latitude, longitude, fields))

    def get_location(self, location_id: str | int, *, fields: Fields = None) -> Result:
        """One place: id, name, address, city, country, latitude, longitude, postal code."""
        return self._send(
            reading.object_request(location_id, "location_id", reading.LOCATION_FIELDS, fields)
        )

    def get_oembed(self, url: str, maxwidth: int | None = None) -> Result:
        """The embed HTML of a public post (`html`, `width`, `provider_name`, ...)."""
        return self._send(reading.oembed_request(url, maxwidth))

    # -- insights ---------------------------------------------------------------------------
    def get_post_insights(self, post_id: str | int, metrics: str | Iterable[str] = "all") -> Result:
        """A post's metrics (views, likes, replies, reposts, quotes, shares).

        Meta's JSON, plus each metric's value by name: `result['likes']` is a number.
        """
        return self._insights(insights.post_insights_request(post_id, metrics))

    def get_user_insights(
        self,
        user_id: str | int | None = None,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        follower_demographic_breakdown: str | None = "country",
        metrics: str | Iterable[str] = "all",
    ) -> Result:
        """Account metrics. `result['views']` is a list of `(end_time, value)`, totals are
        numbers, `follower_demographics` and `clicks` are dicts.

        `follower_demographic_breakdown` (country, city, age or gender) is sent only when
        `follower_demographics` is asked for. Times before 2024-04-13 are refused.
        `followers_count` and `follower_demographics` take no dates: with dates (and the
        default `metrics='all'`) they come from a second request without them.
        """
        requests = insights.user_insights_requests(
            user_id, since_date, until_date, follower_demographic_breakdown, metrics
        )
        bodies = []
        for request in requests:
            try:
                bodies.append(self._graph.get(request.path, request.params))
            except ThreadsPipeError as exc:
                return self._deliver(results.graph_failure(exc))
        names = [n for r in requests for n in str(r.params["metric"]).split(",")]
        return self._deliver(insights.insights_result(insights.merge_bodies(bodies, names)))

    def is_eligible_for_geo_gating(self) -> Result:
        """`{'info': 'success', 'data': {'id', 'is_eligible_for_geo_gating'}, 'message'}`."""
        try:
            body = self._graph.get("me", {"fields": reading.GEO_GATING_FIELDS})
        except ThreadsPipeError as exc:
            self._log.error("Could not get geo-gating eligibility from Threads: %s", exc)
            return self._deliver(
                results.failure("Could not get geogating eligibility from Threads", exc)
            )
        return self._deliver(results.success("Geo-gating eligibility retrieved from Threads", body))

    # -- web intents ------------------------------------------------------------------------
    def get_post_intent(
        self,
        text: str | None = None,
        link: str | None = None,
        *,
        tag: str | None = None,
        reply_control: str | None = None,
        reply_post_shortcode: str | None = None,
        quote_post_shortcode: str | None = None,
    ) -> str:
        """A `https://www.threads.com/intent/post?...` link that opens a prefilled composer."""
        return reading.post_intent_url(
            text,
            link,
            tag=tag,
            reply_control=reply_control,
            reply_post_shortcode=reply_post_shortcode,
            quote_post_shortcode=quote_post_shortcode,
        )

    def get_follow_intent(self, username: str | None = None) -> str:
        """A `https://www.threads.com/intent/follow?username=...` link (default: yours).

        Without `username` the profile is read; if that fails its typed error is raised.
        """
        if username is None:
            profile = self.get_profile(fields="username").raise_for_error()
            username = str(profile.get("username") or "")
        return reading.follow_intent_url(username)

    # -- pagination -------------------------------------------------------------------------
    def iter_posts(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every post of yours, newest first, fetched lazily page by page (100 a page);
        stops after `limit` posts. A failed page raises its typed error."""
        # Each iter_* builds its first request once, unsent: bad arguments raise here, at the
        # call, rather than at the first next().
        reading.list_request(
            "me/threads", reading.POST_FIELDS, fields=fields, since=since_date, until=until_date
        )
        return self.paginate(
            self.get_posts, since_date, until_date, limit=limit, page_size=page_size, fields=fields
        )

    def iter_user_replies(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every reply you wrote, lazily; stops after `limit` replies."""
        reading.list_request(
            "me/replies",
            reading.USER_REPLY_FIELDS,
            fields=fields,
            since=since_date,
            until=until_date,
        )
        return self.paginate(
            self.get_user_replies,
            since_date,
            until_date,
            limit=limit,
            page_size=page_size,
            fields=fields,
        )

    def iter_post_replies(
        self,
        post_id: str | int,
        top_levels: bool = True,
        reverse: bool = False,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every reply to a post (top-level, or all levels), lazily; stops after `limit`."""
        reading.flag(top_levels, "top_levels")
        reading.replies_request(
            post_id, "replies", reading.REPLY_FIELDS, reverse=reverse, fields=fields
        )
        return self.paginate(
            self.get_post_replies,
            post_id,
            top_levels,
            reverse,
            limit=limit,
            page_size=page_size,
            fields=fields,
        )

    def iter_mentions(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every post that mentions you, lazily; stops after `limit`."""
        reading.list_request(
            "me/mentions",
            reading.PUBLIC_POST_FIELDS,
            fields=fields,
            since=since_date,
            until=until_date,
        )
        return self.paginate(
            self.get_mentions,
            since_date,
            until_date,
            limit=limit,
            page_size=page_size,
            fields=fields,
        )

    def iter_search(
        self,
        q: str,
        search_type: str | None = None,
        search_mode: str | None = None,
        media_type: str | None = None,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        limit: int | None = None,
        author_username: str | None = None,
        fields: Fields = None,
        *,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every keyword-search result, lazily; stops after `limit` (each page is a search
        that counts against the 2,200 a day)."""
        reading.keyword_search_request(
            q, search_type, search_mode, media_type, since, until, None, author_username, fields
        )
        return self.paginate(
            self.keyword_search,
            q,
            search_type,
            search_mode,
            media_type,
            since,
            until,
            limit=limit,
            page_size=page_size,
            author_username=author_username,
            fields=fields,
        )

    def paginate(
        self,
        getter: Callable[..., Result],
        *args: Any,
        limit: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """Iterate the items of any paged getter across all its pages, lazily.

        `tp.paginate(tp.get_conversation, post_id, limit=500)` calls the getter for the first
        page. A page with a `paging.next` link on the configured Threads host is followed
        through this client (same session, token header, retries); otherwise the getter is
        called again with `after=` set to the page's cursor. A getter that takes `limit=`
        gets the page size (so does a followed link). Iteration ends at an empty page, at a
        page with links but no `next`, after `limit` items, or before a cursor would be asked
        for twice. The arguments are checked now, before the first page is fetched.
        """
        import inspect  # only paginate() needs it

        takes_limit = "limit" in inspect.signature(getter).parameters

        def fetch(after: str | None, size: int) -> Result:
            extra: dict[str, Any] = {"after": after}
            if takes_limit:
                extra["limit"] = size
            return getter(*args, **kwargs, **extra)

        def follow(url: str, size: int) -> Result | None:
            return self._follow_link(url, size if takes_limit else None)

        iterator = reading.paginate(fetch, limit, page_size=page_size, follow_link=follow)
        self._check_arguments(getter, args, kwargs, takes_limit)
        return iterator

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, request: GraphRequest) -> Result:
        if request.method == "GET":
            return self._graph_call(lambda: self._graph.get(request.path, request.params))
        # Hiding, unhiding, approving and ignoring set a state: sending one again is harmless.
        return self._graph_call(
            lambda: self._graph.request(
                request.method, request.path, data=request.params, idempotent=True
            )
        )

    def _follow_link(self, url: str, limit: int | None) -> Result | None:
        """GET a `paging.next` URL through this client, or None (page by cursor) when it is
        not on the configured Threads host: the token goes nowhere else."""
        request = reading.link_request(url, self._graph.endpoint.base_url, limit)
        if request is None:
            self._log.warning(
                "Not following paging.next to %s: not the configured Threads host; paging "
                "by cursor instead",
                _origin(url),
            )
            return None
        return self._graph_call(
            lambda: self._graph.request("GET", request.path, params=request.params, versioned=False)
        )

    def _insights(self, request: GraphRequest) -> Result:
        try:
            body = self._graph.get(request.path, request.params)
        except ThreadsPipeError as exc:
            return self._deliver(results.graph_failure(exc))
        return self._deliver(insights.insights_result(body))

    @staticmethod
    def _check_arguments(
        getter: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], limit: bool
    ) -> None:
        """Raise now (TypeError) if the getter could not take these arguments at all."""
        import inspect  # only paginate() needs it

        extra: dict[str, Any] = {"after": None}
        if limit:
            extra["limit"] = 1
        inspect.signature(getter).bind(*args, **kwargs, **extra)


def _origin(url: str) -> str:
    """`host[:port]` of a URL for a log line (never its user info, path or query)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "an unreadable URL"
    if not host:
        return "a URL without a host"
    return f"{host}:{port}" if port else host
