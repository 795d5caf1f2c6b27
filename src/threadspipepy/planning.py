"""Planning a chain: text parts + media batches + per-post options -> a list of posts. Pure.

The plan is what `dry_run=True` returns and what publishing walks. Every placement rule of
`pipe()` lives here, so it can be tested without a server:

- media go in batches of at most 20 (a batch of one is a single post), batch i on part i;
  batches left over when the text runs out become further posts without text;
- `file_captions[i]` is the alt text of file i (global index);
- `link_attachments[i]` goes on text part i, which must carry no media (Meta allows link
  attachments on text posts only);
- the quote goes on part 0, or on every text part with `persist_quoted_post`;
- reply control, country codes, topic tag and reply approvals go on every post;
- attachments Threads allows on text posts only (poll, GIF, text attachment) go on the last
  text part, which must carry no media; location goes on the first post;
- the chain is linear: post i+1 replies to post i, post 0 to `reply_to_id` when given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ValidationError

MEDIA_PER_POST = 20


@dataclass(frozen=True)
class PlannedMedia:
    """One file of the call: its global index, URL, kind and alt text."""

    index: int
    url: str
    kind: str | None  # "IMAGE" or "VIDEO"; None while unknown (dry run of an untyped URL)
    alt_text: str | None = None
    source: str | None = None  # a local file's label; its url is "" until it is hosted
    path: str | None = None  # a local file on disk: where to read it again on resume

    def to_dict(self) -> dict[str, Any]:
        out = {"index": self.index, "url": self.url, "kind": self.kind, "alt_text": self.alt_text}
        if self.source is not None:
            out["source"] = self.source
        if self.path is not None:
            out["path"] = self.path
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedMedia:
        return cls(
            int(data["index"]),
            str(data["url"]),
            data.get("kind"),
            data.get("alt_text"),
            data.get("source"),
            data.get("path"),
        )


@dataclass(frozen=True)
class PlannedPost:
    """One post of the chain: text (or None), its media and its container options."""

    index: int
    text: str | None
    media: tuple[PlannedMedia, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        if len(self.media) > 1:
            return "CAROUSEL"
        if self.media:
            return self.media[0].kind or "MEDIA"
        return "TEXT"

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "media_type": self.media_type,
            "text": self.text,
            "media": [m.to_dict() for m in self.media],
            "options": dict(self.options),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedPost:
        """Rebuild a post from `to_dict()` output (what a failed result's `remaining` holds)."""
        return cls(
            index=int(data["index"]),
            text=data.get("text"),
            media=tuple(PlannedMedia.from_dict(m) for m in data.get("media") or ()),
            options=dict(data.get("options") or {}),
        )


@dataclass(frozen=True)
class ChainPlan:
    """The whole chain, plus what was left out on purpose and why."""

    posts: tuple[PlannedPost, ...]
    reply_to_id: str | None = None
    unposted_text: tuple[str, ...] = ()
    unposted_media: tuple[PlannedMedia, ...] = ()
    notes: tuple[str, ...] = ()

    def quota_needs(self) -> tuple[int, int]:
        """(root posts, replies) this chain publishes: every post after the first is a reply."""
        if not self.posts:
            return 0, 0
        if self.reply_to_id is not None:
            return 0, len(self.posts)
        return 1, len(self.posts) - 1

    def with_hosted_urls(self, urls: Mapping[int, str]) -> ChainPlan:
        """The same plan with each local file's URL filled in (file index -> URL)."""
        posts = tuple(
            replace(
                post,
                media=tuple(
                    replace(m, url=urls[m.index]) if m.index in urls else m for m in post.media
                ),
            )
            for post in self.posts
        )
        return replace(self, posts=posts)

    @property
    def local_media(self) -> tuple[PlannedMedia, ...]:
        return tuple(m for post in self.posts for m in post.media if m.source is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reply_to_id": self.reply_to_id,
            "posts": [p.to_dict() for p in self.posts],
            "unposted_text": list(self.unposted_text),
            "unposted_media": [m.to_dict() for m in self.unposted_media],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class PostOptions:
    """Per-post options of a `pipe()` call, already validated and in Graph's form."""

    every_post: Mapping[str, Any] = field(default_factory=dict)
    first_post: Mapping[str, Any] = field(default_factory=dict)
    last_text_post: Mapping[str, Any] = field(default_factory=dict)
    media_posts: Mapping[str, Any] = field(default_factory=dict)
    link_attachments: Sequence[str | None] = ()
    quote_post_id: str | None = None
    persist_quoted_post: bool = False


def batch_media(media: Sequence[PlannedMedia]) -> list[tuple[PlannedMedia, ...]]:
    """Batches of at most 20 files, in order."""
    return [tuple(media[i : i + MEDIA_PER_POST]) for i in range(0, len(media), MEDIA_PER_POST)]


def plan_chain(
    parts: Sequence[str],
    media: Sequence[PlannedMedia],
    options: PostOptions,
    *,
    reply_to_id: str | None = None,
    chained_post: bool = True,
) -> ChainPlan:
    """Lay out the chain. Raises ValidationError when an option cannot be placed."""
    batches = batch_media(media)
    notes: list[str] = []
    unposted_text: tuple[str, ...] = ()
    unposted_media: tuple[PlannedMedia, ...] = ()
    if not chained_post:
        unposted_text, parts = tuple(parts[1:]), parts[:1]
        unposted_media = tuple(m for batch in batches[1:] for m in batch)
        batches = batches[:1]
        if unposted_text or unposted_media:
            notes.append(
                f"chained_post=False: only the first post was planned; {len(unposted_text)} "
                f"text part(s) and {len(unposted_media)} file(s) were not posted."
            )
    count = max(len(parts), len(batches))
    texts = [parts[i] if i < len(parts) else None for i in range(count)]
    media_of = [batches[i] if i < len(batches) else () for i in range(count)]
    _check_links(options.link_attachments, texts, media_of)
    last_text = _last_text_post(texts, media_of, options.last_text_post)
    posts = tuple(
        PlannedPost(
            index=i,
            text=texts[i],
            media=media_of[i],
            options=_options_for(i, texts[i], media_of[i], options, last_text),
        )
        for i in range(count)
    )
    return ChainPlan(posts, reply_to_id, unposted_text, unposted_media, tuple(notes))


def _options_for(
    i: int,
    text: str | None,
    media: tuple[PlannedMedia, ...],
    options: PostOptions,
    last_text: int | None,
) -> dict[str, Any]:
    out: dict[str, Any] = dict(options.every_post)
    if i == 0:
        out.update(options.first_post)
    if media:
        out.update(options.media_posts)
    if text is not None:
        link = options.link_attachments[i] if i < len(options.link_attachments) else None
        if link:
            out["link_attachment"] = link
        if options.quote_post_id and (i == 0 or options.persist_quoted_post):
            out["quote_post_id"] = options.quote_post_id
    elif i == 0 and options.quote_post_id:
        out["quote_post_id"] = options.quote_post_id  # a media-only first post still quotes
    if i == last_text:
        out.update(options.last_text_post)
    return {k: v for k, v in out.items() if v is not None}


def _check_links(
    links: Sequence[str | None],
    texts: Sequence[str | None],
    media_of: Sequence[tuple[PlannedMedia, ...]],
) -> None:
    text_parts = sum(1 for t in texts if t is not None)
    given = [i for i, link in enumerate(links) if link]
    if given and given[-1] >= text_parts:
        raise ValidationError(
            f"link_attachments has a link for text part {given[-1]} but the text makes "
            f"{text_parts} part(s); link i goes on text part i.",
            parameter="link_attachments",
        )
    for i in given:
        if media_of[i]:
            raise ValidationError(
                f"link_attachments[{i}] cannot go on part {i}, which carries media: Threads "
                "accepts link attachments on text-only posts. Move the link to a part without "
                "media or leave it in the text.",
                parameter=f"link_attachments[{i}]",
            )


def _last_text_post(
    texts: Sequence[str | None],
    media_of: Sequence[tuple[PlannedMedia, ...]],
    attachments: Mapping[str, Any],
) -> int | None:
    """Where text-only attachments go: the last text part, which must carry no media."""
    wanted = [name for name, value in attachments.items() if value is not None]
    if not wanted:
        return None
    text_indexes = [i for i, t in enumerate(texts) if t is not None]
    if not text_indexes and not any(media_of):
        return None
    if not text_indexes or media_of[text_indexes[-1]]:
        name = _PARAMETER_OF.get(wanted[0], wanted[0])
        raise ValidationError(
            f"{name} goes on the last text part, which must carry no media (Threads allows it "
            "on text-only posts); add text after the media or post it separately.",
            parameter=name,
        )
    return text_indexes[-1]


_PARAMETER_OF = {
    "poll_attachment": "poll",
    "gif_attachment": "gif",
    "text_attachment": "text_attachment",
}
