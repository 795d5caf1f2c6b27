"""What the reading side of the sandbox knows beyond posts: profiles, locations, reply
moderation, insight seeds, discovery quotas, and the seeding that fills them.

Lives next to SandboxState (owned by the Graph app's ReadingApp) and, like it, is only touched
with `SandboxState.lock` held. Values nobody seeded are deterministic pseudo-random numbers
derived from ids and dates, so two runs of a test see the same insights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ._errors import GraphError
from ._pacific import pacific_date
from ._state import POST_MEDIA_TYPES, REPOST, AccountState, Post, SandboxState
from ._validate import validate_create

HOUR = 3600.0
MEDIA_METRICS = ("views", "likes", "replies", "reposts", "quotes", "shares")
DAILY_METRICS = ("views", "likes", "replies", "reposts", "quotes")
BREAKDOWNS = ("country", "city", "age", "gender")
LOCATION_FIELDS = (
    "id",
    "name",
    "address",
    "city",
    "country",
    "latitude",
    "longitude",
    "postal_code",
)
PROFILE_COUNT_FIELDS = (
    "likes_count",
    "quotes_count",
    "replies_count",
    "reposts_count",
    "views_count",
)
SEED_MEDIA_TYPES = {
    "TEXT": "TEXT",
    "TEXT_POST": "TEXT",
    "IMAGE": "IMAGE",
    "VIDEO": "VIDEO",
    "CAROUSEL": "CAROUSEL",
    "CAROUSEL_ALBUM": "CAROUSEL",
}

# Default follower demographics are spread over these buckets (Instagram-style values).
DEMOGRAPHIC_BUCKETS: dict[str, tuple[str, ...]] = {
    "country": ("US", "GB", "IN", "BR", "DE", "JP", "MX", "CA"),
    "city": (
        "Los Angeles, California",
        "New York, New York",
        "London, England",
        "São Paulo, São Paulo (state)",
        "Mumbai, Maharashtra",
        "Berlin, Berlin",
    ),
    "age": ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "gender": ("F", "M", "U"),
}

DEFAULT_LOCATIONS: tuple[dict[str, Any], ...] = (
    {
        "name": "Facebook Headquarters",
        "address": "1 Hacker Way",
        "city": "Menlo Park",
        "country": "USA",
        "latitude": 37.4848,
        "longitude": -122.1484,
        "postal_code": "94025",
    },
    {
        "name": "Golden Gate Park",
        "address": "501 Stanyan St",
        "city": "San Francisco",
        "country": "USA",
        "latitude": 37.7694,
        "longitude": -122.4862,
        "postal_code": "94117",
    },
    {
        "name": "Eiffel Tower",
        "address": "Champ de Mars, 5 Av. Anatole France",
        "city": "Paris",
        "country": "France",
        "latitude": 48.8584,
        "longitude": 2.2945,
        "postal_code": "75007",
    },
    {
        "name": "British Museum",
        "address": "Great Russell St",
        "city": "London",
        "country": "United Kingdom",
        "latitude": 51.5194,
        "longitude": -0.127,
        "postal_code": "WC1B 3DG",
    },
    {
        "name": "Tokyo Tower",
        "address": "4 Chome-2-8 Shibakoen",
        "city": "Tokyo",
        "country": "Japan",
        "latitude": 35.6586,
        "longitude": 139.7454,
        "postal_code": "105-0011",
    },
)


def pseudo(*parts: object, lo: int, hi: int) -> int:
    """A deterministic number in [lo, hi] derived from `parts`."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return lo + int.from_bytes(digest[:8], "big") % (hi - lo + 1)


@dataclass
class Profile:
    """Public-profile facts the Graph API has no write endpoint for."""

    followers: int
    name: str | None = None
    biography: str | None = None
    is_verified: bool = False
    private: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # likes_count ... overrides


@dataclass
class Location:
    id: str
    name: str
    address: str | None
    city: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    postal_code: str | None

    def values(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "address": self.address,
            "city": self.city,
            "country": self.country,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "postal_code": self.postal_code,
        }


@dataclass
class UserSeries:
    """Seeded user insights: daily values, fixed totals, link clicks, demographics."""

    daily: dict[str, dict[date, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    clicks: list[tuple[str, int]] | None = None
    demographics: dict[str, dict[str, int]] | None = None


class ReadStore:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.profiles: dict[str, Profile] = {}
        self.locations: dict[str, Location] = {}
        self._location_seq = 106000000000000
        self.hide: dict[str, str] = {}  # top-level reply id -> HIDDEN | UNHUSHED
        self.approval: dict[str, str] = {}  # reply id -> approved | ignored
        self.media_insights: dict[str, dict[str, int]] = {}
        self.default_media_insights: dict[str, int] = {}
        self.user_series: dict[str, UserSeries] = {}
        self.keyword_log: dict[str, list[float]] = {}
        self.location_log: dict[str, list[float]] = {}
        self.profile_log: dict[str, list[float]] = {}
        self.oembed_log: list[float] = []
        self.recent_keywords: dict[str, dict[str, int]] = {}  # user -> query -> ms timestamp
        self.repeat_last_cursor = False
        self.paging_links = True  # paging.next/previous on lists and user insights
        self.add_locations(DEFAULT_LOCATIONS)

    # clock -------------------------------------------------------------------------------
    def wall_now(self) -> datetime:
        return self.state.wall(self.state.now())

    def unix(self, post: Post) -> float:
        return self.state.wall(post.created_at).timestamp()

    def moment(self, unix: float) -> float:
        """The sandbox-clock value of a wall-clock Unix time."""
        # Offsets as timedeltas (exact microseconds), not as 1.8e9-sized floats, so the post's
        # timestamp reads back as the very second it was seeded at.
        now = self.state.now()
        target = datetime.fromtimestamp(unix, timezone.utc)
        moment = now + (target - self.state.wall(now)).total_seconds()
        for _ in range(3):  # absorb a microsecond lost to float rounding
            drift = (target - self.state.wall(moment)).total_seconds()
            if not drift:
                break
            moment += drift
        return moment

    def log(self, logs: dict[str, list[float]], user_id: str) -> list[float]:
        return logs.setdefault(user_id, [])

    # profiles ----------------------------------------------------------------------------
    def profile(self, user_id: str) -> Profile:
        found = self.profiles.get(user_id)
        if found is None:
            found = Profile(followers=pseudo(user_id, "followers", lo=150, hi=5000))
            self.profiles[user_id] = found
        return found

    def account_named(self, username: str) -> AccountState | None:
        for acct in self.state.accounts.values():
            if acct.account.username == username:
                return acct
        return None

    def author(self, username: str | None) -> AccountState:
        """The account with this username (created if new); the default account for None."""
        if username is None:
            return self.state.account(None)
        found = self.account_named(username)
        if found is not None:
            return found
        account = self.state.add_account(username=username)
        return self.state.accounts[account.user_id]

    def is_private(self, user_id: str) -> bool:
        profile = self.profiles.get(user_id)
        return profile is not None and profile.private

    # locations ---------------------------------------------------------------------------
    def add_locations(self, entries: Iterable[Mapping[str, Any]]) -> list[Location]:
        added = []
        for entry in entries:
            unknown = set(entry) - set(LOCATION_FIELDS)
            if unknown:
                raise ValueError(f"unknown location keys {sorted(unknown)}")
            if not entry.get("name"):
                raise ValueError("every location needs a name")
            if "id" in entry:
                location_id = str(entry["id"])
                if not location_id.isdigit():
                    raise ValueError("location ids are digits (location_id must be numeric)")
            else:
                self._location_seq += 1
                location_id = str(self._location_seq)
            latitude, longitude = entry.get("latitude"), entry.get("longitude")
            location = Location(
                id=location_id,
                name=str(entry["name"]),
                address=_opt_str(entry.get("address")),
                city=_opt_str(entry.get("city")),
                country=_opt_str(entry.get("country")),
                latitude=float(latitude) if latitude is not None else None,
                longitude=float(longitude) if longitude is not None else None,
                postal_code=_opt_str(entry.get("postal_code")),
            )
            self.locations[location_id] = location
            added.append(location)
        return added

    # reply moderation --------------------------------------------------------------------
    def root_of(self, post: Post) -> Post:
        current, seen = post, {post.id}
        while current.reply_to_id and current.reply_to_id in self.state.media:
            current = self.state.media[current.reply_to_id]
            if current.id in seen:
                break
            seen.add(current.id)
        return current

    def top_level_reply(self, post: Post) -> Post | None:
        """The reply directly under the root that `post` belongs to (itself if top-level)."""
        if not post.reply_to_id:
            return None
        current = post
        while current.reply_to_id:
            parent = self.state.media.get(current.reply_to_id)
            if parent is None or not parent.reply_to_id:
                return current
            current = parent
        return current

    def approval_status(self, post: Post) -> str | None:
        """pending | ignored for a reply awaiting its root owner's approval, else None."""
        if not post.reply_to_id:
            return None
        explicit = self.approval.get(post.id)
        if explicit == "approved":
            return None
        root = self.root_of(post)
        if not root.flag("enable_reply_approvals") or post.owner == root.owner:
            return None
        return explicit or "pending"

    def hide_status(self, post: Post) -> str | None:
        top = self.top_level_reply(post)
        if top is None:
            return None
        status = self.hide.get(top.id)
        if status == "HIDDEN":
            return "HIDDEN"
        if status == "UNHUSHED" and top.id == post.id:
            return "UNHUSHED"
        return "NOT_HUSHED"

    # insights ----------------------------------------------------------------------------
    def media_metric(self, post: Post, name: str) -> int:
        seeded = self.media_insights.get(post.id, {})
        if name in seeded:
            return seeded[name]
        if name in self.default_media_insights:
            return self.default_media_insights[name]
        if name == "replies":
            return self.reply_count(post)
        views = pseudo(post.id, "views", lo=50, hi=5000)
        if name == "views":
            return views
        ceiling = {"likes": 10, "reposts": 40, "quotes": 80, "shares": 60}[name]
        return pseudo(post.id, name, lo=0, hi=max(1, views // ceiling))

    def reply_count(self, post: Post) -> int:
        """Replies in the sandbox: every level under a root post, direct ones under a reply."""
        media = self.state.media.values()
        if post.reply_to_id:
            return sum(1 for m in media if m.reply_to_id == post.id)
        return sum(
            1 for m in media if m.reply_to_id and m.id != post.id and self.root_of(m) is post
        )

    def series(self, user_id: str) -> UserSeries | None:
        return self.user_series.get(user_id)

    def daily_value(self, user_id: str, metric: str, day: date) -> int:
        series = self.series(user_id)
        if series is not None and metric in series.daily:
            return series.daily[metric].get(day, 0)
        hi = 400 if metric == "views" else 60
        return pseudo(user_id, metric, day.isoformat(), lo=0, hi=hi)

    def followers(self, user_id: str) -> int:
        return self.profile(user_id).followers

    def demographics(self, user_id: str, breakdown: str) -> dict[str, int]:
        series = self.series(user_id)
        if series is not None and series.demographics is not None:
            return dict(series.demographics.get(breakdown, {}))
        total = self.followers(user_id)
        buckets = DEMOGRAPHIC_BUCKETS[breakdown]
        weights = [pseudo(user_id, breakdown, b, lo=1, hi=100) for b in buckets]
        values = [total * w // sum(weights) for w in weights]
        values[0] += total - sum(values)
        return {b: v for b, v in zip(buckets, values, strict=True) if v > 0}

    def clicks(self, user_id: str) -> list[tuple[str, int]]:
        series = self.series(user_id)
        if series is not None and series.clicks is not None:
            return list(series.clicks)
        links = []
        for pid in self.state.post_order:
            post = self.state.media.get(pid)
            url = post.params.get("link_attachment") if post is not None else None
            if post is not None and post.owner == user_id and url and url not in links:
                links.append(url)
        return [(url, pseudo(user_id, url, lo=1, hi=200)) for url in links]

    # seeding -----------------------------------------------------------------------------
    def seed_posts(
        self,
        n: int,
        *,
        start: datetime | float | str | None,
        spacing: float,
        media_type: str,
        text: str | None,
        username: str | None,
        params: Mapping[str, Any],
    ) -> list[Post]:
        if n < 0:
            raise ValueError("n must not be negative")
        if spacing <= 0:
            raise ValueError("spacing must be positive")
        author = self.author(username)
        now = self.wall_now().timestamp()
        first = _unix(start) if start is not None else now - n * spacing
        if n and first + (n - 1) * spacing > now:
            raise ValueError("seeded posts would lie in the future of the sandbox clock")
        posts = []
        for i in range(1, n + 1):
            values = {k: _param_text(v) for k, v in params.items()}
            if text is not None:
                values["text"] = text.format(i=i)
            posts.append(
                self.make_post(author, media_type, values, first + (i - 1) * spacing, tag=i)
            )
        return posts

    def make_post(
        self,
        author: AccountState,
        media_type: str,
        params: dict[str, str],
        unix: float,
        *,
        tag: object = 0,
    ) -> Post:
        """A published post at wall time `unix`, validated like a container (ValueError)."""
        kind = SEED_MEDIA_TYPES.get(media_type.upper())
        if kind is None:
            raise ValueError(f"media_type must be one of {sorted(SEED_MEDIA_TYPES)}")
        values = dict(params)
        values["media_type"] = kind
        if kind == "IMAGE":
            values.setdefault("image_url", f"https://cdn.example.com/seed/{tag}.jpg")
        elif kind == "VIDEO":
            values.setdefault("video_url", f"https://cdn.example.com/seed/{tag}.mp4")
        elif kind == "TEXT":
            values.setdefault("text", f"Seeded post {tag}")
        moment = self.moment(unix)
        children: list[Post] = []
        if kind == "CAROUSEL":
            for number in (1, 2):
                item = {
                    "media_type": "IMAGE",
                    "image_url": f"https://cdn.example.com/seed/{tag}-{number}.jpg",
                    "is_carousel_item": "true",
                }
                children.append(self._new_post(author, item, moment, None))
            values["children"] = ",".join(c.id for c in children)
        post = self._new_post(author, values, moment, children)
        self.state.post_order.append(post.id)
        return post

    def _new_post(
        self,
        author: AccountState,
        values: dict[str, str],
        moment: float,
        children: list[Post] | None,
    ) -> Post:
        try:
            spec = validate_create(values)
        except GraphError as exc:
            raise ValueError(exc.message) from None
        post = Post(
            id=self.state.next_id("media"),
            owner=author.user_id,
            media_type=POST_MEDIA_TYPES[spec.media_type],
            container_id=None,
            params=values,
            created_at=moment,
            children=[c.id for c in children or ()],
            spec=spec,
        )
        for child in children or ():
            child.parent_id = post.id
        self.state.media[post.id] = post
        return post

    def seed_replies(
        self,
        post_id: str,
        n: int,
        *,
        depth: int,
        hidden: bool,
        username: str | None,
        text: str,
        spacing: float,
    ) -> list[Post]:
        parent = self.state.media.get(str(post_id))
        if parent is None or parent.parent_id is not None or parent.media_type == REPOST:
            raise ValueError(f"{post_id} is not a post that can be replied to")
        if n < 0 or depth < 1:
            raise ValueError("n must not be negative and depth must be at least 1")
        author = self.author(username)
        # After the post and after any reply already in its thread, so seeding twice appends.
        root = self.root_of(parent)
        thread = [m for m in self.state.media.values() if m.reply_to_id and self.root_of(m) is root]
        base = max(self.unix(p) for p in (parent, *thread))
        now = self.wall_now().timestamp()
        total = n * depth
        step = min(spacing, (now - base) / (total + 1)) if total else spacing
        made: list[Post] = []
        for i in range(1, n + 1):
            target, label = parent, str(i)
            for level in range(depth):
                if level:
                    label = f"{label}.1"
                values = {"text": text.format(i=label), "reply_to_id": target.id}
                reply = self.make_post(author, "TEXT", values, base + step * (len(made) + 1))
                made.append(reply)
                if level == 0 and hidden and not parent.reply_to_id:
                    self.hide[reply.id] = "HIDDEN"
                target = reply
        return made

    def seed_user_insights(self, user_id: str, values: Mapping[str, Any]) -> None:
        series = self.user_series.setdefault(user_id, UserSeries())
        today = pacific_date(self.wall_now().timestamp())  # Meta's days are Pacific days
        for metric in DAILY_METRICS:
            value = values.get(metric)
            if value is None:
                continue
            if isinstance(value, bool):
                raise ValueError(f"{metric} must be a number, a list or a mapping")
            if isinstance(value, int):
                series.totals[metric] = _count(metric, value)
                series.daily.pop(metric, None)
            else:
                series.daily[metric] = _daily(metric, value, today)
                series.totals.pop(metric, None)
        clicks = values.get("clicks")
        if clicks is not None:
            pairs = clicks.items() if isinstance(clicks, Mapping) else clicks
            series.clicks = [(str(url), _count("clicks", n)) for url, n in pairs]
        followers = values.get("followers_count")
        if followers is not None:
            self.profile(user_id).followers = _count("followers_count", followers)
        demographics = values.get("demographics")
        if demographics is not None:
            unknown = set(demographics) - set(BREAKDOWNS)
            if unknown:
                raise ValueError(f"demographics keys must be among {BREAKDOWNS}; got {unknown}")
            series.demographics = {
                key: {str(k): _count(key, v) for k, v in buckets.items()}
                for key, buckets in demographics.items()
            }


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} values must be non-negative integers; got {value!r}")
    return value


def _daily(metric: str, value: Any, today: date) -> dict[date, int]:
    """Daily values: a sequence ending today, or a mapping of date (or YYYY-MM-DD) -> value."""
    if isinstance(value, Mapping):
        out = {}
        for key, count in value.items():
            day = key if isinstance(key, date) else date.fromisoformat(str(key))
            out[day] = _count(metric, count)
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        size = len(value)
        return {
            today - timedelta(days=size - 1 - k): _count(metric, v) for k, v in enumerate(value)
        }
    raise ValueError(f"{metric} must be an int (a total), a list of daily values or a mapping")


def _unix(value: datetime | float | str) -> float:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    if isinstance(value, str):
        day = datetime.fromisoformat(value)
        return (day if day.tzinfo else day.replace(tzinfo=timezone.utc)).timestamp()
    return float(value)


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
