"""Types for type checkers: the closed sets the API takes, and the shapes of what it returns.

Results stay the dicts 0.4.5 returned; these only tell a type checker (mypy, pyright) what is
in them. The `Literal` aliases list the values a parameter takes (the library still checks
them at run time, and accepts some in any case); the `TypedDict`s describe the items the
`iter_*` methods yield. Every key is optional (`total=False`): Meta sends the fields that
were asked for (`fields=`) and that the object has. The result dicts themselves have typed
properties: `PipeResult.media_ids`, `Result.error_code`, `InsightsResult.daily(...)` (see
`threadspipepy.results` and `threadspipepy.insights`).
"""

from __future__ import annotations

from typing import Literal, TypedDict

from .results import (
    ErrorDetails,
    GraphErrorBody,
    InDoubtPart,
    PartState,
    PartStateName,
    PublishedPostInfo,
)

__all__ = [
    "ApprovalStatus",
    "Children",
    "ContainerMediaType",
    "DemographicBreakdown",
    "ErrorDetails",
    "GraphErrorBody",
    "InDoubtPart",
    "PartState",
    "PartStateName",
    "Post",
    "PostMetric",
    "PublishedPostInfo",
    "Ref",
    "Reply",
    "SearchMediaType",
    "SearchMode",
    "SearchType",
    "UserMetric",
    "WhoCanReply",
]

# -- closed sets --------------------------------------------------------------------------------
WhoCanReply = Literal[
    "everyone",
    "accounts_you_follow",
    "mentioned_only",
    "parent_post_author_only",
    "followers_only",
]
ContainerMediaType = Literal["TEXT", "IMAGE", "VIDEO", "CAROUSEL"]
SearchType = Literal["TOP", "RECENT"]
SearchMode = Literal["KEYWORD", "TAG"]
SearchMediaType = Literal["TEXT", "IMAGE", "VIDEO"]
ApprovalStatus = Literal["pending", "ignored"]
DemographicBreakdown = Literal["country", "city", "age", "gender"]
PostMetric = Literal["views", "likes", "replies", "reposts", "quotes", "shares"]
UserMetric = Literal[
    "views",
    "likes",
    "replies",
    "reposts",
    "quotes",
    "clicks",
    "followers_count",
    "follower_demographics",
]


# -- what the getters and iterators return ------------------------------------------------------
class Ref(TypedDict, total=False):
    """A reference to another object: `{'id': ...}` (owner, root_post, replied_to, ...)."""

    id: str


class Children(TypedDict, total=False):
    """A carousel's items: `{'data': [{'id': ...}, ...]}`."""

    data: list[Ref]


class Post(TypedDict, total=False):
    """A post (what `iter_posts`, `iter_ghost_posts`, `iter_mentions`, `iter_search` and
    `iter_profile_posts` yield; `get_posts()['data'][i]`)."""

    id: str
    text: str
    timestamp: str  # "2024-07-12T08:00:00+0000"
    permalink: str
    shortcode: str
    username: str
    owner: Ref
    media_product_type: str  # "THREADS"
    media_type: str  # TEXT_POST, IMAGE, VIDEO, CAROUSEL_ALBUM, AUDIO, REPOST_FACADE
    media_url: str
    thumbnail_url: str
    alt_text: str
    children: Children
    is_quote_post: bool
    quoted_post: Ref
    reposted_post: Ref
    link_attachment_url: str
    topic_tag: str
    ghost_post_status: str
    ghost_post_expiration_timestamp: str


class Reply(Post, total=False):
    """A reply (what `iter_user_replies`, `iter_post_replies`, `iter_conversation` and
    `iter_pending_replies` yield; `get_conversation()['data'][i]`)."""

    has_replies: bool
    root_post: Ref
    replied_to: Ref
    is_reply: bool
    is_reply_owned_by_me: bool
    hide_status: str  # NOT_HUSHED, HIDDEN, ...
    reply_audience: str
    reply_approval_status: str
