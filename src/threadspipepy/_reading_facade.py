"""The reading, managing and insights methods of `ThreadsPipe` (a mixin).

0.4.5's getters keep their names, parameters and raw-Graph-JSON results (with its bugs fixed:
one `since`/`until`/`limit` each, `breakdown` only with `follower_demographics`, encoded
intents on the current host); every getter gains `fields=` and the `before`/`after` cursors,
and `iter_*` walk every page lazily. Arguments are checked before any request (ValidationError);
Meta's failures come back as `{'error': {...}}` results, or raise with `raise_on_error=True`.
Iterators always raise on a failed page: there is no result dict to put the error in.

Each endpoint is described once, as a `reading.ReadSpec` (path, default fields, options, scope,
paging): a getter keeps its explicit 0.4.5-compatible signature and hands its arguments to
`_read(spec, ...)`; every paged spec has an `iter_*` that hands the same arguments to
`_items(spec, ...)`, whose page fetch raises the typed error itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

from . import results, validation
from ._lazy import LazyModule
from ._urls import origin, path_of
from .errors import ThreadsPipeError, ValidationError
from .results import Result
from .shapes import (
    ApprovalStatus,
    DemographicBreakdown,
    Post,
    Reply,
    SearchMediaType,
    SearchMode,
    SearchType,
)

ItemT = TypeVar("ItemT")

if TYPE_CHECKING:
    from . import insights, reading
    from ._log import Log
    from ._transport import GraphClient
    from .config import ClientConfig
    from .insights import InsightsResult
    from .reading import Fields, GraphRequest, ReadSpec, TimeLike
else:  # loaded by the first reading or insights call
    insights = LazyModule("threadspipepy.insights")
    reading = LazyModule("threadspipepy.reading")


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

        Pass a page's `paging.cursors.after` as `after=` for the next one, or use `iter_posts()`.

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            page = tp.get_posts(since_date="2024-06-01", limit=50)
            ids = [post["id"] for post in page["data"]]
        """
        return self._read(
            reading.POSTS,
            since=since_date,
            until=until_date,
            limit=limit,
            fields=fields,
            before=before,
            after=after,
        )

    def get_post(self, post_id: str | int, *, fields: Fields = None) -> Result:
        """One post (yours, or a public one your app may read).

        Args:
            post_id: The post's id.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.

        Example:
            tp.get_post("17900000000000001", fields="text,permalink")["permalink"]
        """
        return self._read(reading.POST, node=post_id, fields=fields)

    def get_profile(self, *, fields: Fields = None) -> Result:
        """Your profile: id, username, name, picture, biography, is_verified.

        Args:
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.

        Example:
            tp.get_profile()["username"]
        """
        return self._read(reading.PROFILE, fields=fields)

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
        """One page of the replies you wrote, newest first.

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_user_replies(limit=10)["data"]
        """
        return self._read(
            reading.USER_REPLIES,
            since=since_date,
            until=until_date,
            limit=limit,
            fields=fields,
            before=before,
            after=after,
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
        """One page of your ghost posts (with `ghost_post_status` and its expiry).

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_ghost_posts()["data"]
        """
        return self._read(
            reading.GHOST_POSTS,
            since=since_date,
            until=until_date,
            limit=limit,
            fields=fields,
            before=before,
            after=after,
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
        """One page of public posts that mention you (needs `threads_manage_mentions`).

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_mentions(since_date="2024-06-01")["data"]
        """
        return self._read(
            reading.MENTIONS,
            since=since_date,
            until=until_date,
            limit=limit,
            fields=fields,
            before=before,
            after=after,
        )

    def get_allowlisted_country_codes(
        self, limit: int | None = None, *, before: str | None = None, after: str | None = None
    ) -> Result:
        """Your posts' ids with the countries each is limited to (geo-gated posts).

        Args:
            limit: The page size: Meta's default is 25, at most 100.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_allowlisted_country_codes(limit=25)["data"]
        """
        return self._read(reading.ALLOWLISTED_COUNTRIES, limit=limit, before=before, after=after)

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
        """Replies to a post: top-level only, or with `top_levels=False` every level.

        Args:
            post_id: The post whose replies to read.
            top_levels: True: the direct replies (`/replies`); False: every reply at every level
                (`/conversation`).
            reverse: False (0.4.5's default) lists the oldest first; True the newest first.
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_post_replies("17900000000000001", top_levels=False)["data"]
        """
        spec = (
            reading.REPLIES if validation.flag(top_levels, "top_levels") else reading.CONVERSATION
        )
        return self._read(
            spec,
            node=post_id,
            reverse=reverse,
            fields=fields,
            limit=limit,
            before=before,
            after=after,
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
        """Every reply at every level under a root post, flattened.

        Args:
            post_id: The root post.
            reverse: False lists the oldest first; True the newest first.
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_conversation("17900000000000001")["data"]
        """
        return self._read(
            reading.CONVERSATION,
            node=post_id,
            reverse=reverse,
            fields=fields,
            limit=limit,
            before=before,
            after=after,
        )

    def get_pending_replies(
        self,
        post_id: str | int,
        reverse: bool = False,
        approval_status: ApprovalStatus | None = None,
        *,
        fields: Fields = None,
        limit: int | None = None,
        before: str | None = None,
        after: str | None = None,
    ) -> Result:
        """Replies awaiting approval on a post made with `enable_reply_approvals=True`.

        Args:
            post_id: The post made with reply approvals.
            reverse: False lists the oldest first; True the newest first.
            approval_status: `'pending'` or `'ignored'` (default: both).
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_pending_replies("17900000000000001", approval_status="pending")["data"]
        """
        return self._read(
            reading.PENDING_REPLIES,
            approval_status=approval_status,
            node=post_id,
            reverse=reverse,
            fields=fields,
            limit=limit,
            before=before,
            after=after,
        )

    def hide_reply(self, reply_id: str | int, hide: bool) -> Result:
        """Hide (`hide=True`) or unhide a top-level reply to your post: `{'success': True}`.

        Args:
            reply_id: The reply to hide or unhide.
            hide: True hides it, False shows it again.

        Example:
            tp.hide_reply("17900000000000009", True)
        """
        node = validation.node_id(reply_id, "reply_id")
        value = validation.flag(hide, "hide")
        return self._send(
            reading.GraphRequest("POST", path_of(node, "manage_reply"), {"hide": value})
        )

    def manage_pending_reply(self, reply_id: str | int, approve: bool) -> Result:
        """Approve (`approve=True`) or ignore a pending reply: `{'success': True}`.

        Args:
            reply_id: The pending reply.
            approve: True approves it (it shows), False ignores it.

        Example:
            tp.manage_pending_reply("17900000000000009", approve=True)
        """
        node = validation.node_id(reply_id, "reply_id")
        value = validation.flag(approve, "approve")
        return self._send(
            reading.GraphRequest("POST", path_of(node, "manage_pending_reply"), {"approve": value})
        )

    # -- search, profiles, locations, oEmbed -------------------------------------------------
    def keyword_search(
        self,
        q: str,
        search_type: SearchType | None = None,
        search_mode: SearchMode | None = None,
        media_type: SearchMediaType | None = None,
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

        Meta allows 2,200 searches per rolling 24 hours; searches without results do not count.

        Args:
            q: The keyword (or the tag's text with `search_mode='TAG'`).
            search_type: TOP (default, Meta's) or RECENT.
            search_mode: KEYWORD (default) or TAG.
            media_type: Only TEXT, IMAGE or VIDEO posts.
            since: Only posts from this time on (the forms of `since_date`).
            until: Only posts before this time.
            limit: The page size: Meta's default is 25, at most 100.
            author_username: Only posts by this user.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.keyword_search("python", search_type="RECENT", limit=10)["data"]
        """
        return self._read(
            reading.KEYWORD_SEARCH,
            q=q,
            search_type=search_type,
            search_mode=search_mode,
            media_type=media_type,
            since=since,
            until=until,
            limit=limit,
            author_username=author_username,
            fields=fields,
            before=before,
            after=after,
        )

    def lookup_profile(self, username: str, *, fields: Fields = None) -> Result:
        """A public profile by exact username, with follower and 7-day counts.

        Args:
            username: The username, without `@`.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.

        Example:
            tp.lookup_profile("meta")["follower_count"]
        """
        return self._read(reading.PROFILE_LOOKUP, username=username, fields=fields)

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
        """One page of a public profile's posts, newest first.

        Args:
            username: The username, without `@`.
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: The page size: Meta's default is 25, at most 100.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            before: A page's `paging.cursors.before`: fetch the page before it.
            after: A page's `paging.cursors.after`: fetch the page after it.

        Example:
            tp.get_profile_posts("meta", limit=5)["data"]
        """
        return self._read(
            reading.PROFILE_POSTS,
            username=username,
            since=since_date,
            until=until_date,
            limit=limit,
            fields=fields,
            before=before,
            after=after,
        )

    def search_locations(
        self,
        q: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        *,
        fields: Fields = None,
    ) -> Result:
        """Places to tag, by name or address (`q`), by coordinates, or both (not paginated).

        Args:
            q: A place name or address.
            latitude: The latitude, with `longitude`.
            longitude: The longitude, with `latitude`.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.

        Example:
            place = tp.search_locations("Menlo Park")["data"][0]["id"]
        """
        return self._send(reading.location_search_request(q, latitude, longitude, fields))

    def get_location(self, location_id: str | int, *, fields: Fields = None) -> Result:
        """One place: id, name, address, city, country, latitude, longitude, postal code.

        Args:
            location_id: The place's id (`search_locations()`).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.

        Example:
            tp.get_location("110843418940484")["name"]
        """
        return self._read(reading.LOCATION, node=location_id, fields=fields)

    def get_oembed(self, url: str, maxwidth: int | None = None) -> Result:
        """The embed HTML of a public post (`html`, `width`, `provider_name`, ...).

        Args:
            url: The post's permalink.
            maxwidth: The widest the embed may be, in pixels (320 to 658).

        Example:
            tp.get_oembed("https://www.threads.com/@meta/post/ABC123")["html"]
        """
        return self._send(reading.oembed_request(url, maxwidth))

    # -- insights ---------------------------------------------------------------------------
    def get_post_insights(
        self, post_id: str | int, metrics: str | Iterable[str] = "all"
    ) -> InsightsResult:
        """A post's metrics (views, likes, replies, reposts, quotes, shares).

        Args:
            post_id: The post.
            metrics: `'all'`, or the names to read as a list or a comma string (see
                `threads_post_insight_metrics`).

        Returns:
            An `InsightsResult`: Meta's JSON, plus each metric's value by name
            (`result['likes']` is a number; `result.total('likes')` the same, typed).

        Example:
            tp.get_post_insights("17900000000000001")["views"]
        """
        return self._insights(insights.post_insights_request(post_id, metrics))

    def get_user_insights(
        self,
        user_id: str | int | None = None,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        follower_demographic_breakdown: DemographicBreakdown | None = "country",
        metrics: str | Iterable[str] = "all",
    ) -> InsightsResult:
        """Your account's metrics, over a period or now.

        `follower_demographic_breakdown` is sent only when `follower_demographics` is asked for.
        Times before 2024-04-13 are refused. `followers_count` and `follower_demographics` take no
        dates: with dates (and the default `metrics='all'`) they come from a second request.

        Args:
            user_id: Whose insights (default: yours, `me`).
            since_date: The start of the period (the forms of `get_posts`).
            until_date: The end of the period.
            follower_demographic_breakdown: The breakdown of `follower_demographics`: country,
                city, age or gender.
            metrics: `'all'`, or names from `threads_user_insight_metrics` as a list or a comma
                string.

        Returns:
            An `InsightsResult`: Meta's JSON, plus each metric by name: `result['views']` a list of
            `(end_time, value)` (Meta stamps each day with its end; `result.daily('views')` gives
            the day covered), totals numbers, `follower_demographics` and `clicks` dicts.

        Example:
            insights = tp.get_user_insights(since_date="2024-06-01", until_date="2024-07-01")
            best = max(insights.daily("views"), key=lambda point: point[1])
        """
        requests = insights.user_insights_requests(
            user_id, since_date, until_date, follower_demographic_breakdown, metrics
        )
        bodies = []
        for request in requests:
            try:
                bodies.append(self._graph.get(request.path, request.params))
            except ValidationError:  # bad input or no credentials: raised, always
                raise
            except ThreadsPipeError as exc:
                return self._deliver_insights(insights.insights_failure(exc))
        names = [n for r in requests for n in str(r.params["metric"]).split(",")]
        return self._deliver_insights(
            insights.insights_result(insights.merge_bodies(bodies, names))
        )

    def is_eligible_for_geo_gating(self) -> Result:
        """Whether you may geo-gate posts: `{'info': 'success', 'data': {'id',
        'is_eligible_for_geo_gating'}, 'message'}`.

        Example:
            tp.is_eligible_for_geo_gating()["data"]["is_eligible_for_geo_gating"]
        """
        try:
            body = self._graph.get("me", {"fields": reading.GEO_GATING_FIELDS})
        except ValidationError:  # bad input or no credentials: raised, always
            raise
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
        """A `https://www.threads.com/intent/post?...` link that opens a prefilled composer.

        Args:
            text: The text to prefill.
            link: A link to attach.
            tag: A topic tag.
            reply_control: Who may reply: everyone, accounts_you_follow, mentioned_only or
                followers_only.
            reply_post_shortcode: Make it a reply to the post with this shortcode.
            quote_post_shortcode: Quote the post with this shortcode.

        Example:
            tp.get_post_intent("Read this", link="https://example.com/article")
        """
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

        Args:
            username: Whose follow link (default: yours).

        Example:
            tp.get_follow_intent("meta")
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
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Post]:
        """Every post of yours, newest first, fetched lazily page by page.

        A failed page raises its typed error.

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Post` dicts.

        Example:
            for post in tp.iter_posts(since_date="2024-06-01", limit=200):
                print(post["id"], post.get("text", ""))
        """
        return self._items(
            reading.POSTS, limit, page_size, since=since_date, until=until_date, fields=fields
        )

    def iter_user_replies(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Reply]:
        """Every reply you wrote, lazily, newest first.

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Reply` dicts.

        Example:
            replies = list(tp.iter_user_replies(limit=50))
        """
        return self._items(
            reading.USER_REPLIES,
            limit,
            page_size,
            since=since_date,
            until=until_date,
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
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Reply]:
        """Every reply to a post (top-level, or all levels), lazily.

        Args:
            post_id: The post whose replies to read.
            top_levels: True: the direct replies; False: every level.
            reverse: False lists the oldest first; True the newest first.
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Reply` dicts.

        Example:
            for reply in tp.iter_post_replies("17900000000000001"):
                print(reply.get("username"), reply.get("text"))
        """
        spec = (
            reading.REPLIES if validation.flag(top_levels, "top_levels") else reading.CONVERSATION
        )
        return self._items(spec, limit, page_size, node=post_id, reverse=reverse, fields=fields)

    def iter_mentions(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Post]:
        """Every post that mentions you, lazily, newest first.

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Post` dicts.

        Example:
            for post in tp.iter_mentions(limit=20):
                print(post["id"])
        """
        return self._items(
            reading.MENTIONS, limit, page_size, since=since_date, until=until_date, fields=fields
        )

    def iter_ghost_posts(
        self,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Post]:
        """Every ghost post of yours, lazily, newest first.

        Args:
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Post` dicts (with `ghost_post_status`).

        Example:
            active = [p for p in tp.iter_ghost_posts() if p.get("ghost_post_status") == "ACTIVE"]
        """
        return self._items(
            reading.GHOST_POSTS, limit, page_size, since=since_date, until=until_date, fields=fields
        )

    def iter_conversation(
        self,
        post_id: str | int,
        reverse: bool = False,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Reply]:
        """Every reply at every level under a root post, lazily.

        Args:
            post_id: The root post.
            reverse: False lists the oldest first; True the newest first.
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Reply` dicts.

        Example:
            for reply in tp.iter_conversation("17900000000000001", limit=500):
                print(reply["id"], reply.get("replied_to"))
        """
        return self._items(
            reading.CONVERSATION,
            limit,
            page_size,
            node=post_id,
            reverse=reverse,
            fields=fields,
        )

    def iter_pending_replies(
        self,
        post_id: str | int,
        reverse: bool = False,
        approval_status: ApprovalStatus | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Reply]:
        """Every reply awaiting approval on a post made with `enable_reply_approvals=True`,
        lazily.

        Args:
            post_id: The post made with reply approvals.
            reverse: False lists the oldest first; True the newest first.
            approval_status: `'pending'` or `'ignored'` (default: both).
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Reply` dicts (with `reply_approval_status`).

        Example:
            for reply in tp.iter_pending_replies("17900000000000001", approval_status="pending"):
                tp.manage_pending_reply(reply["id"], approve=True)
        """
        return self._items(
            reading.PENDING_REPLIES,
            limit,
            page_size,
            node=post_id,
            reverse=reverse,
            approval_status=approval_status,
            fields=fields,
        )

    def iter_profile_posts(
        self,
        username: str,
        since_date: TimeLike | None = None,
        until_date: TimeLike | None = None,
        limit: int | None = None,
        *,
        fields: Fields = None,
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Post]:
        """Every post of a public profile, lazily, newest first.

        Args:
            username: The username, without `@`.
            since_date: Only items from this time on: `'YYYY-MM-DD'`, an ISO time, a date, a
                datetime (naive means UTC) or a Unix time.
            until_date: Only items before this time (the same forms).
            limit: Stop after this many items (None: every item).
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Post` dicts.

        Example:
            texts = [post.get("text") for post in tp.iter_profile_posts("meta", limit=50)]
        """
        return self._items(
            reading.PROFILE_POSTS,
            limit,
            page_size,
            username=username,
            since=since_date,
            until=until_date,
            fields=fields,
        )

    def iter_search(
        self,
        q: str,
        search_type: SearchType | None = None,
        search_mode: SearchMode | None = None,
        media_type: SearchMediaType | None = None,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        limit: int | None = None,
        author_username: str | None = None,
        fields: Fields = None,
        *,
        page_size: int = validation.MAX_PAGE_SIZE,
    ) -> Iterator[Post]:
        """Every keyword-search result, lazily (each page is a search counted against the 2,200 a
        day).

        Args:
            q: The keyword (or the tag's text with `search_mode='TAG'`).
            search_type: TOP (default) or RECENT.
            search_mode: KEYWORD (default) or TAG.
            media_type: Only TEXT, IMAGE or VIDEO posts.
            since: Only posts from this time on.
            until: Only posts before this time.
            limit: Stop after this many items (None: every item).
            author_username: Only posts by this user.
            fields: The fields to ask for, as a list or a comma string; None asks for this
                method's default list.
            page_size: Items asked for per page (at most 100).

        Returns:
            An iterator of `shapes.Post` dicts.

        Example:
            texts = [post.get("text") for post in tp.iter_search("python", limit=100)]
        """
        return self._items(
            reading.KEYWORD_SEARCH,
            limit,
            page_size,
            q=q,
            search_type=search_type,
            search_mode=search_mode,
            media_type=media_type,
            since=since,
            until=until,
            author_username=author_username,
            fields=fields,
        )

    def paginate(
        self,
        getter: Callable[..., Result],
        *args: Any,
        limit: int | None = None,
        page_size: int = validation.MAX_PAGE_SIZE,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """Iterate the items of any paged getter across all its pages, lazily.

        The getter is called for the first page. A page with a `paging.next` link on the configured
        Threads host is followed through this client (same session, token header, retries);
        otherwise the getter is called again with `after=` set to the page's cursor. Iteration ends
        at an empty page, at a page with links but no `next`, after `limit` items, or before a
        cursor would be asked for twice. The arguments are checked now, before the first page.

        Args:
            getter: A getter of this client that returns a page (`tp.get_conversation`, ...).
            *args: Its positional arguments.
            limit: Stop after this many items (None: every item).
            page_size: The page size given to a getter that takes `limit=` (at most 100).
            **kwargs: Its keyword arguments.

        Example:
            for reply in tp.paginate(tp.get_conversation, "17900000000000001", limit=500):
                print(reply["id"])
        """
        import inspect  # only paginate() needs it

        takes_limit = "limit" in inspect.signature(getter).parameters

        def fetch(after: str | None, size: int) -> Result:
            extra: dict[str, Any] = {"after": after}
            if takes_limit:
                extra["limit"] = size
            return getter(*args, **kwargs, **extra)

        def follow(url: str, size: int) -> dict[str, Any] | None:
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

    def _read(self, spec: ReadSpec[Any], **arguments: Any) -> Result:
        """A getter's request: the spec's GET with these arguments, as a result."""
        return self._send(reading.request_for(spec, **arguments))

    def _items(
        self, spec: ReadSpec[ItemT], limit: int | None, page_size: int, **arguments: Any
    ) -> Iterator[ItemT]:
        """An iterator's items: every page of the spec, lazily. Bad arguments raise now, at the
        call; a failed page raises its typed error where it is fetched."""
        reading.request_for(spec, **arguments)  # built once, unsent: the checks run here

        def fetch(after: str | None, size: int) -> dict[str, Any]:
            request = reading.request_for(spec, **arguments, limit=size, after=after)
            return self._graph.get(request.path, request.params)

        items = reading.paginate(fetch, limit, page_size=page_size, follow_link=self._follow_link)
        return cast(Iterator[ItemT], items)  # the items are Meta's JSON objects

    def _follow_link(self, url: str, limit: int | None) -> dict[str, Any] | None:
        """GET a `paging.next` URL through this client (raising on failure), or None (page by
        cursor) when it is not on the configured Threads host: the token goes nowhere else."""
        request = reading.link_request(url, self._graph.endpoint.base_url, limit)
        if request is None:
            self._log.warning(
                "Not following paging.next to %s: not the configured Threads host; paging "
                "by cursor instead",
                origin(url),
            )
            return None
        return self._graph.request("GET", request.path, params=request.params, versioned=False)

    def _insights(self, request: GraphRequest) -> InsightsResult:
        try:
            body = self._graph.get(request.path, request.params)
        except ValidationError:  # bad input or no credentials: raised, always
            raise
        except ThreadsPipeError as exc:
            return self._deliver_insights(insights.insights_failure(exc))
        return self._deliver_insights(insights.insights_result(body))

    def _deliver_insights(self, result: InsightsResult) -> InsightsResult:
        self._deliver(result)
        return result

    @staticmethod
    def _check_arguments(
        getter: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], limit: bool
    ) -> None:
        """Raise now (TypeError) if the getter could not take these arguments at all."""
        import inspect  # only paginate() needs it: not loaded by `import threadspipepy`

        extra: dict[str, Any] = {"after": None}
        if limit:
            extra["limit"] = 1
        inspect.signature(getter).bind(*args, **kwargs, **extra)
