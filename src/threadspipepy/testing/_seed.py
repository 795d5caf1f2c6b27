"""Seeding for the reading side: posts, reply trees, mentions, profiles, insights, locations.

`ThreadsSandbox` inherits these methods. Seeded posts are ordinary sandbox posts (they show in
`sb.posts` and every list) with timestamps in the past of the sandbox clock; they do not use
the publishing quota. Seeding never goes through HTTP and is not in the request log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ._readstore import MEDIA_METRICS, PROFILE_COUNT_FIELDS, ReadStore

if TYPE_CHECKING:
    from ._server import Dispatcher
    from ._state import Post, SandboxState

DailyValues = int | Sequence[int] | Mapping[date | str, int]


class ReadingSeeds:
    """The seeding half of ThreadsSandbox (see docs/09-testing-with-the-sandbox.md)."""

    _state: SandboxState
    _dispatcher: Dispatcher

    @property
    def _reads(self) -> ReadStore:
        return self._dispatcher.graph.reading.store

    def _snapshots(self, posts: list[Post]) -> list[dict[str, Any]]:
        return [self._state.post_snapshot(p) for p in posts]

    def seed_posts(
        self,
        n: int,
        *,
        start: datetime | float | str | None = None,
        spacing: float = 3600.0,
        media_type: str = "TEXT_POST",
        text: str | None = "Seeded post {i}",
        username: str | None = None,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """Publish `n` posts, oldest first, `spacing` seconds apart, and return them as
        `sb.posts` entries.

        `start` is the first post's time (a datetime, naive meaning UTC; a Unix time; or an
        ISO date string); by default the posts end one `spacing` before now. `media_type` is
        TEXT_POST (or TEXT), IMAGE, VIDEO or CAROUSEL_ALBUM (two image items); `text` is
        formatted with `i` = 1..n (None for no text on media posts). `username` picks the
        author (an account created on first use; default: the default account). Other keyword
        arguments are creation parameters, checked like a container's (`topic_tag="Cats"`,
        `link_attachment=...`, `is_ghost_post=True`, `enable_reply_approvals=True`,
        `location_id=...`). Invalid values raise ValueError.
        """
        with self._state.lock:
            posts = self._reads.seed_posts(
                n,
                start=start,
                spacing=spacing,
                media_type=media_type,
                text=text,
                username=username,
                params=params,
            )
            self._state.webhooks.posts_created(posts)
            return self._snapshots(posts)

    def seed_replies(
        self,
        post_id: str,
        n: int,
        *,
        depth: int = 1,
        hidden: bool = False,
        username: str | None = "reply_author",
        text: str = "Reply {i}",
        spacing: float = 60.0,
    ) -> list[dict[str, Any]]:
        """Add `n` top-level replies to `post_id`, each with a chain of `depth - 1` nested
        replies below it (n * depth replies), and return them in creation order.

        Replies are written by `username` (created on first use; None for the default
        account), after the post and before now, at most `spacing` seconds apart. `text` is
        formatted with `i` = "1", "1.1", "1.1.1", "2", ... `hidden=True` hides the top-level
        replies (and so their nested ones). Replies to a post created with
        `enable_reply_approvals` by someone other than its author start out pending.
        """
        with self._state.lock:
            replies = self._reads.seed_replies(
                str(post_id),
                n,
                depth=depth,
                hidden=hidden,
                username=username,
                text=text,
                spacing=spacing,
            )
            self._state.webhooks.posts_created(replies)
            return self._snapshots(replies)

    def seed_mentions(
        self,
        n: int,
        *,
        username: str = "mention_author",
        user_id: str | None = None,
        start: datetime | float | str | None = None,
        spacing: float = 3600.0,
        text: str = "Great chat with @{username} today ({i})",
    ) -> list[dict[str, Any]]:
        """Publish `n` posts by `username` that tag the account `user_id` (default: the default
        account), for GET /{user-id}/mentions. `text` is formatted with `username` (the
        mentioned account's) and `i` = 1..n."""
        with self._state.lock:
            mentioned = self._state.account(user_id).account.username
            posts = self._reads.seed_posts(
                n,
                start=start,
                spacing=spacing,
                media_type="TEXT_POST",
                text=text.replace("{username}", mentioned),
                username=username,
                params={},
            )
            self._state.webhooks.posts_created(posts)
            return self._snapshots(posts)

    def seed_profile(
        self,
        username: str,
        followers: int = 1000,
        *,
        name: str | None = None,
        biography: str | None = None,
        is_verified: bool = False,
        private: bool = False,
        posts: int = 0,
        likes_count: int | None = None,
        quotes_count: int | None = None,
        replies_count: int | None = None,
        reposts_count: int | None = None,
        views_count: int | None = None,
    ) -> dict[str, Any]:
        """Create (or update) another Threads profile for profile_lookup, profile_posts,
        search and mentions, with `posts` seeded posts. The `*_count` values override what
        profile_lookup computes from the insights of the last 7 days of posts. Also sets the
        author fields of their posts (`is_verified`; `username`/`permalink` are hidden for
        private profiles). Returns `{"id", "username", "name", "biography", "follower_count",
        "is_verified", "private"}`."""
        if followers < 0:
            raise ValueError("followers must not be negative")
        counts = {
            "likes_count": likes_count,
            "quotes_count": quotes_count,
            "replies_count": replies_count,
            "reposts_count": reposts_count,
            "views_count": views_count,
        }
        with self._state.lock:
            reads = self._reads
            acct = reads.author(username)
            profile = reads.profile(acct.user_id)
            profile.followers = followers
            profile.name = name
            profile.biography = biography
            profile.is_verified = is_verified
            profile.private = private
            profile.counts = {k: v for k, v in counts.items() if v is not None}
            assert set(profile.counts) <= set(PROFILE_COUNT_FIELDS)
            if posts:
                reads.seed_posts(
                    posts,
                    start=None,
                    spacing=3600.0,
                    media_type="TEXT_POST",
                    text=f"Post {{i}} by {username}",
                    username=username,
                    params={},
                )
            return {
                "id": acct.user_id,
                "username": username,
                "name": name or acct.name,
                "biography": biography or "",
                "follower_count": followers,
                "is_verified": is_verified,
                "private": private,
            }

    def seed_insights(self, post_id: str | None = None, **values: int) -> None:
        """Fix media insight values (views, likes, replies, reposts, quotes, shares) for one
        post, or with post_id=None for every post not seeded on its own. Unseeded metrics stay
        deterministic pseudo-random (`replies` counts the replies in the sandbox)."""
        unknown = set(values) - set(MEDIA_METRICS)
        if unknown:
            raise ValueError(f"unknown media metrics {sorted(unknown)}; use {MEDIA_METRICS}")
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")
        with self._state.lock:
            reads = self._reads
            if post_id is None:
                reads.default_media_insights.update(values)
                return
            if str(post_id) not in self._state.media:
                raise ValueError(f"no sandbox post {post_id}")
            reads.media_insights.setdefault(str(post_id), {}).update(values)

    def seed_user_insights(
        self,
        user_id: str | None = None,
        *,
        views: DailyValues | None = None,
        likes: DailyValues | None = None,
        replies: DailyValues | None = None,
        reposts: DailyValues | None = None,
        quotes: DailyValues | None = None,
        clicks: Iterable[tuple[str, int]] | Mapping[str, int] | None = None,
        followers_count: int | None = None,
        demographics: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        """Seed an account's user insights (default account when user_id is None).

        `views`, `likes`, `replies`, `reposts`, `quotes`: a list of daily values ending today
        (Meta's days are Pacific days), a mapping of date (or "YYYY-MM-DD") to value (days
        left out are 0), or for the total-value metrics an int returned for any range.
        `clicks`: (url, count) pairs. `followers_count` is the account's follower count (also
        used by profile discovery and the 100-follower rule). `demographics`: {"country":
        {"US": 40, ...}, "city": ..., "age": {"25-34": ...}, "gender": {"F": ..., "M": ...,
        "U": ...}}.
        """
        if isinstance(views, int):
            raise ValueError("views is a time series: give daily values, not a total")
        with self._state.lock:
            uid = self._state.account(user_id).user_id
            self._reads.seed_user_insights(
                uid,
                {
                    "views": views,
                    "likes": likes,
                    "replies": replies,
                    "reposts": reposts,
                    "quotes": quotes,
                    "clicks": clicks,
                    "followers_count": followers_count,
                    "demographics": demographics,
                },
            )

    def seed_locations(self, locations: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Add places for location_search and GET /{location-id}: mappings with `name` and any
        of `id` (digits; generated if absent), `address`, `city`, `country`, `latitude`,
        `longitude`, `postal_code`. Returns them with their ids. Five well-known places are
        there from the start (Facebook Headquarters, Golden Gate Park, Eiffel Tower, British
        Museum, Tokyo Tower)."""
        with self._state.lock:
            return [loc.values() for loc in self._reads.add_locations(locations)]

    @property
    def locations(self) -> list[dict[str, Any]]:
        """Every location the sandbox knows."""
        with self._state.lock:
            return [loc.values() for loc in self._reads.locations.values()]

    def set_discovery_usage(
        self,
        user_id: str | None = None,
        *,
        keyword_searches: int | None = None,
        location_searches: int | None = None,
        profile_requests: int | None = None,
        oembed_tokenless: int | None = None,
    ) -> None:
        """Set rolling usage, stamped now: keyword searches (2,200 per 24 h), location
        searches (500 per 24 h), profile discovery requests (1,000 per 24 h) of an account, and
        tokenless oEmbed requests (1,000 per hour, not per account)."""
        with self._state.lock:
            reads = self._reads
            uid = self._state.account(user_id).user_id
            now = self._state.now()
            logs = (
                (keyword_searches, reads.keyword_log),
                (location_searches, reads.location_log),
                (profile_requests, reads.profile_log),
            )
            for count, logs_by_user in logs:
                if count is not None:
                    logs_by_user[uid] = [now] * count
            if oembed_tokenless is not None:
                reads.oembed_log[:] = [now] * oembed_tokenless

    @property
    def paging_links(self) -> bool:
        """Whether answers carry `paging.next`/`paging.previous` links (default True).

        True: a list page has `next` (an absolute URL with the request's parameters, `limit`
        and `after=`) while items follow and `previous` (with `before=`) while items precede,
        as Meta's sample app and recorded responses show; user insights carry the windows
        before and after the one asked for (`since`/`until`). False: only
        `paging.cursors`, the shape Meta's reference documents. A client should work with
        both: run its tests once each way.
        """
        with self._state.lock:
            return self._reads.paging_links

    @paging_links.setter
    def paging_links(self, value: bool) -> None:
        with self._state.lock:
            self._reads.paging_links = bool(value)

    @property
    def repeat_last_cursor(self) -> bool:
        """A pagination quirk to test clients against (default False). When True, asking for
        the page after the last one (whose `after` cursor every list keeps, as Meta's do)
        answers `{"data": [], "paging": {"cursors": {"before": C, "after": C}}}` with that same
        cursor C: a client must stop on a cursor that repeats."""
        with self._state.lock:
            return self._reads.repeat_last_cursor

    @repeat_last_cursor.setter
    def repeat_last_cursor(self, value: bool) -> None:
        with self._state.lock:
            self._reads.repeat_last_cursor = bool(value)
