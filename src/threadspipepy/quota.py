"""Publishing quota: read `threads_publishing_limit`, decide whether a chain fits, wait.

Meta enforces 250 posts and 1,000 replies per rolling 24 hours on `threads_publish`. The
library reads the quota once per `pipe()` and posts nothing when the whole chain does not fit,
so a chain is never cut off half way by the quota.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._log import Log
from ._transport import GraphClient
from ._urls import path_of
from .errors import RateLimitError

POST_FIELDS = "quota_usage,config"
REPLY_FIELDS = "reply_quota_usage,reply_config"
ALL_FIELDS = (
    "quota_usage,config,reply_quota_usage,reply_config,delete_quota_usage,delete_config,"
    "location_search_quota_usage,location_search_config"
)
DEFAULT_POST_TOTAL = 250
DEFAULT_REPLY_TOTAL = 1000
DEFAULT_DURATION = 86400
# Longest pause between two quota re-checks while waiting for room.
RECHECK_INTERVAL = 300.0


@dataclass(frozen=True)
class QuotaUsage:
    """What the publishing quota allows right now."""

    posts_used: int
    posts_total: int
    replies_used: int
    replies_total: int
    duration: int
    # Of the used ones, how many other calls reserved and have not published yet
    # (quota_reservations): counted as used, and named in the shortfall.
    posts_reserved: int = 0
    replies_reserved: int = 0

    def shortfall(self, posts: int, replies: int) -> str | None:
        """Why `posts` root posts and `replies` replies do not fit, or None if they do."""
        problems = []
        if posts and self.posts_used + posts > self.posts_total:
            problems.append(
                f"{self.posts_used} of {self.posts_total} posts used"
                f"{_reserved(self.posts_reserved)}, {posts} needed"
            )
        if replies and self.replies_used + replies > self.replies_total:
            problems.append(
                f"{self.replies_used} of {self.replies_total} replies used"
                f"{_reserved(self.replies_reserved)}, {replies} needed"
            )
        return "; ".join(problems) or None


def _reserved(count: int) -> str:
    return f" ({count} reserved by chains in progress)" if count else ""


def parse_publishing_limit(body: Mapping[str, Any]) -> QuotaUsage:
    """Read the `threads_publishing_limit` response; missing fields take Meta's defaults."""
    rows = body.get("data") or [{}]
    row: Mapping[str, Any] = rows[0] if isinstance(rows[0], Mapping) else {}
    config = row.get("config") or {}
    reply_config = row.get("reply_config") or {}
    return QuotaUsage(
        posts_used=int(row.get("quota_usage") or 0),
        posts_total=int(config.get("quota_total") or DEFAULT_POST_TOTAL),
        replies_used=int(row.get("reply_quota_usage") or 0),
        replies_total=int(reply_config.get("quota_total") or DEFAULT_REPLY_TOTAL),
        duration=int(config.get("quota_duration") or DEFAULT_DURATION),
    )


def fetch_publishing_limit(graph: GraphClient, user_id: str, fields: str) -> dict[str, Any]:
    return graph.get(path_of(user_id, "threads_publishing_limit"), {"fields": fields})


def read_quota(graph: GraphClient, user_id: str) -> QuotaUsage:
    """One request that covers both the post and the reply quota."""
    body = fetch_publishing_limit(graph, user_id, f"{POST_FIELDS},{REPLY_FIELDS}")
    return parse_publishing_limit(body)


def ensure_room(
    read: Callable[[], QuotaUsage],
    posts: int,
    replies: int,
    *,
    wait: bool,
    max_wait: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    log: Log,
) -> QuotaUsage:
    """Return the quota once the chain fits; raise RateLimitError if it does not.

    With `wait`, re-check every few minutes for at most `max_wait` seconds instead of
    sleeping a whole quota window blindly.
    """
    quota = read()
    reason = quota.shortfall(posts, replies)
    deadline = clock() + max_wait
    while reason is not None:
        remaining = deadline - clock()
        if not wait or remaining <= 0:
            raise RateLimitError(
                f"Publishing quota exceeded: {reason} in the last 24 hours. Nothing was "
                "posted; try later or pass wait_on_rate_limit=True."
            )
        pause = min(RECHECK_INTERVAL, remaining)
        log.info("Publishing quota full (%s); checking again in %.0f s", reason, pause)
        sleep(pause)
        quota = read()
        reason = quota.shortfall(posts, replies)
    return quota
