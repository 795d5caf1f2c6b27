"""Webhook notifications as typed, frozen events: one event per value, whatever the envelope.

Meta documents one shape for Threads (threads-api.md §9):

    {"app_id", "topic", "target_id", "time", "subscription_id", "has_uid_field",
     "values": {"value": {...the media...}, "field": "replies|mentions|publish|delete"}}

`values` is an object there. Parsing also accepts, without being told which:

- `values` as a list of `{"value", "field"}` objects (several events from one notification);
- a JSON array of such notifications;
- Graph's general envelope `{"object", "entry": [{"id", "time", "changes": [{"field",
  "value"}]}]}`, which every other Meta product uses (Instagram, Pages, WhatsApp): if Meta
  ever aligns Threads with it, nothing breaks. `entry[].id` becomes `target_id`.

Nothing here raises on content: an unknown topic or field, a value that is not an object or
an attribute of the wrong type becomes a `GenericEvent` or goes to `extra`, never an
exception. Only a body that is not JSON, or JSON that is not an object or array, is refused
(`PayloadError`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from ..errors import PayloadError as PayloadError
from ..errors import WebhookError as WebhookError

REPLIES = "replies"
MENTIONS = "mentions"
PUBLISH = "publish"
DELETE = "delete"
# Field -> topic (threads-api.md §9): where each field is subscribed in Meta's dashboard.
TOPICS: Mapping[str, str] = MappingProxyType(
    {REPLIES: "moderate", DELETE: "moderate", MENTIONS: "interaction", PUBLISH: "interaction"}
)
# The permissions the app user must grant for each field (threads-api.md §9).
SCOPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        REPLIES: ("threads_basic", "threads_read_replies"),
        DELETE: ("threads_basic", "threads_read_replies", "threads_delete"),
        MENTIONS: ("threads_basic", "threads_manage_mentions"),
        PUBLISH: ("threads_basic",),
    }
)


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, kw_only=True)
class WebhookEvent:
    """One notification value. The base of every event, with what every notification carries.

    `id` is the media id in the value; `target_id`, `time` (when Meta sent the notification),
    `app_id` and `subscription_id` come from the envelope. `value` is the value exactly as
    received; `extra` holds its keys that no attribute reads (new fields Meta adds, or a field
    whose type did not match); `envelope` the other top-level keys (`has_uid_field`, ...).
    """

    field: str
    topic: str | None = None
    id: str | None = None
    target_id: str | None = None
    time: datetime | None = None
    app_id: str | None = None
    subscription_id: str | None = None
    value: Mapping[str, Any] = dataclasses.field(
        default_factory=_frozen, repr=False, hash=False, compare=True
    )
    extra: Mapping[str, Any] = dataclasses.field(default_factory=_frozen, hash=False)
    envelope: Mapping[str, Any] = dataclasses.field(default_factory=_frozen, repr=False, hash=False)

    @property
    def dedupe_key(self) -> str:
        """What identifies a redelivery of this event: the field and the media id, or, for an
        event without an id, a digest of the value."""
        if self.id is not None:
            return f"{self.field}:{self.id}"
        canonical = json.dumps(dict(self.value), sort_keys=True, default=str)
        return f"{self.field}:sha256:{hashlib.sha256(canonical.encode()).hexdigest()}"

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data: the envelope's fields and the value as received."""
        return {
            "field": self.field,
            "topic": self.topic,
            "id": self.id,
            "target_id": self.target_id,
            "time": int(self.time.timestamp()) if self.time is not None else None,
            "app_id": self.app_id,
            "subscription_id": self.subscription_id,
            "value": _plain(self.value),
        }


@dataclass(frozen=True, kw_only=True)
class GenericEvent(WebhookEvent):
    """A notification of a field this version does not know (or whose value is not an
    object): everything is in `value` / `extra`, nothing is lost."""


@dataclass(frozen=True, kw_only=True)
class PostEvent(WebhookEvent):
    """The fields shared by reply, mention and publish events (a post's public fields)."""

    username: str | None = None
    text: str | None = None
    media_type: str | None = None
    permalink: str | None = None
    shortcode: str | None = None
    timestamp: datetime | None = None
    is_verified: bool | None = None
    profile_picture_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReplyEvent(PostEvent):
    """`moderate` / `replies`: someone replied to a post the subscribed user owns.

    `id` is the reply; `replied_to_id` the post it answers; `root_post_*` the thread's first
    post and its owner (the subscribed user)."""

    replied_to_id: str | None = None
    root_post_id: str | None = None
    root_post_owner_id: str | None = None
    root_post_username: str | None = None


@dataclass(frozen=True, kw_only=True)
class MentionEvent(PostEvent):
    """`interaction` / `mentions`: a public post tags the subscribed user (`target_id`).

    `id` is the post that mentions them: reply to it with `pipe(..., reply_to_id=event.id)`.
    The reply fields need `threads_read_replies` as well (threads-api.md §9)."""

    is_reply: bool | None = None
    has_replies: bool | None = None
    is_quote_post: bool | None = None
    replied_to_id: str | None = None
    root_post_id: str | None = None
    root_post_owner_id: str | None = None
    root_post_username: str | None = None

    @property
    def mentioned_user_id(self) -> str | None:
        """The user tagged: Meta sends their id as `target_id` for mentions."""
        return self.target_id


@dataclass(frozen=True, kw_only=True)
class PublishEvent(PostEvent):
    """`interaction` / `publish`: the subscribed user published a post (replies included)."""


@dataclass(frozen=True, kw_only=True)
class DeleteEvent(WebhookEvent):
    """`moderate` / `delete`: the subscribed user deleted a post (`id`)."""

    username: str | None = None
    owner_id: str | None = None
    deleted_at: datetime | None = None
    timestamp: datetime | None = None


# Where each attribute is read in a notification value, and how it is converted. A key whose
# JSON value does not fit the conversion is left to `extra`.
_READS: Mapping[str, tuple[tuple[str, ...], str]] = MappingProxyType(
    {
        "id": (("id",), "id"),
        "username": (("username",), "str"),
        "text": (("text",), "str"),
        "media_type": (("media_type",), "str"),
        "permalink": (("permalink",), "str"),
        "shortcode": (("shortcode",), "str"),
        "timestamp": (("timestamp",), "time"),
        "is_verified": (("is_verified",), "bool"),
        "profile_picture_url": (("profile_picture_url",), "str"),
        "is_reply": (("is_reply",), "bool"),
        "has_replies": (("has_replies",), "bool"),
        "is_quote_post": (("is_quote_post",), "bool"),
        "replied_to_id": (("replied_to", "id"), "id"),
        "root_post_id": (("root_post", "id"), "id"),
        "root_post_owner_id": (("root_post", "owner_id"), "id"),
        "root_post_username": (("root_post", "username"), "str"),
        "owner_id": (("owner", "owner_id"), "id"),
        "deleted_at": (("deleted_at",), "time"),
    }
)

EVENT_CLASSES: Mapping[str, type[WebhookEvent]] = MappingProxyType(
    {REPLIES: ReplyEvent, MENTIONS: MentionEvent, PUBLISH: PublishEvent, DELETE: DeleteEvent}
)


# -- conversions: each returns _BAD when the JSON value does not fit --------------------------
_BAD = object()


def _as_id(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _BAD


def _as_str(value: Any) -> Any:
    return value if isinstance(value, str) else _BAD


def _as_bool(value: Any) -> Any:
    return value if isinstance(value, bool) else _BAD


def as_datetime(value: Any) -> datetime | None:
    """Meta's times: ISO 8601 ("2024-08-07T10:33:16+0000", also with "Z" or "+00:00") or
    Unix seconds; None when it is neither."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    for parse in (_strptime_z, datetime.fromisoformat):
        try:
            moment = parse(text)
        except ValueError:
            continue
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return None


def _strptime_z(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def _as_time(value: Any) -> Any:
    moment = as_datetime(value)
    return _BAD if moment is None else moment


_CONVERTERS: Mapping[str, Callable[[Any], Any]] = {
    "id": _as_id,
    "str": _as_str,
    "bool": _as_bool,
    "time": _as_time,
}


def _plain(value: Any) -> Any:
    """Read-only mappings back to dicts, for JSON."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _lookup(value: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    current: Any = value
    for key in keys:
        if not isinstance(current, Mapping) or key not in current:
            return _BAD
        current = current[key]
    return current


# -- building events ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Envelope:
    """What the notification around a value says: topic, target, time, ids, other keys."""

    topic: str | None
    target_id: str | None
    time: datetime | None
    app_id: str | None
    subscription_id: str | None
    rest: Mapping[str, Any]


def make_event(field_name: Any, value: Any, envelope: _Envelope) -> WebhookEvent:
    """The typed event for one value; a GenericEvent when the field or value is unknown."""
    name = field_name if isinstance(field_name, str) else ""
    cls = EVENT_CLASSES.get(name, GenericEvent)
    common: dict[str, Any] = {
        "field": name,
        "topic": envelope.topic,
        "target_id": envelope.target_id,
        "time": envelope.time,
        "app_id": envelope.app_id,
        "subscription_id": envelope.subscription_id,
        "envelope": envelope.rest,
    }
    if not isinstance(value, Mapping):
        extra = {"value": value} if value is not None else {}
        return GenericEvent(**common, extra=_frozen(extra))
    attributes, used = _attributes(cls, value)
    extra = {k: v for k, v in value.items() if k not in used}
    return cls(**common, **attributes, value=_frozen(value), extra=_frozen(extra))


def _attributes(
    cls: type[WebhookEvent], value: Mapping[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """The attributes `cls` reads from `value`, and the top-level keys they consumed.

    A nested object (root_post) counts as read when one of its keys is read; a key whose value
    has the wrong type is not read, so it stays in `extra`."""
    attributes: dict[str, Any] = {}
    used: set[str] = set()
    for spec in dataclasses.fields(cls):
        if spec.name not in _READS:
            continue
        keys, kind = _READS[spec.name]
        raw = _lookup(value, keys)
        converted = _BAD if raw is _BAD else _CONVERTERS[kind](raw)
        if converted is _BAD:
            continue
        attributes[spec.name] = converted
        used.add(keys[0])
    return attributes, used


def _envelope(notification: Mapping[str, Any], skip: tuple[str, ...]) -> _Envelope:
    target = _as_id(notification.get("target_id"))
    app_id = _as_id(notification.get("app_id"))
    subscription = _as_id(notification.get("subscription_id"))
    topic = notification.get("topic")
    known = ("topic", "target_id", "time", "app_id", "subscription_id", *skip)
    return _Envelope(
        topic=topic if isinstance(topic, str) else None,
        target_id=None if target is _BAD else target,
        time=as_datetime(notification.get("time")),
        app_id=None if app_id is _BAD else app_id,
        subscription_id=None if subscription is _BAD else subscription,
        rest=_frozen({k: v for k, v in notification.items() if k not in known}),
    )


def events_from(notification: Any) -> Iterator[WebhookEvent]:
    """Every event in one parsed notification (see the module docstring for the shapes)."""
    if isinstance(notification, list):
        for item in notification:
            yield from events_from(item)
        return
    if not isinstance(notification, Mapping):
        yield make_event("", notification, _envelope({}, ()))
        return
    if "values" in notification:
        yield from _values_events(notification)
    elif isinstance(notification.get("entry"), list):
        yield from _entry_events(notification)
    elif "field" in notification and "value" in notification:
        envelope = _envelope(notification, ("field", "value"))
        yield make_event(notification["field"], notification["value"], envelope)
    else:  # no shape we know: keep the whole object rather than drop it
        yield make_event("", notification, _envelope({}, ()))


def _values_events(notification: Mapping[str, Any]) -> Iterator[WebhookEvent]:
    envelope = _envelope(notification, ("values",))
    values = notification["values"]
    for item in values if isinstance(values, list) else [values]:
        if isinstance(item, Mapping) and ("field" in item or "value" in item):
            yield make_event(item.get("field"), item.get("value"), envelope)
        else:
            yield make_event("", item, envelope)


def _entry_events(notification: Mapping[str, Any]) -> Iterator[WebhookEvent]:
    outer = _envelope(notification, ("entry",))
    for entry in notification["entry"]:
        if not isinstance(entry, Mapping):
            yield make_event("", entry, outer)
            continue
        target = _as_id(entry.get("id"))
        envelope = dataclasses.replace(
            outer,
            target_id=outer.target_id if target is _BAD else target,
            time=as_datetime(entry.get("time")) or outer.time,
        )
        changes = entry.get("changes")
        if not isinstance(changes, list):  # entries of another product (messaging, ...)
            yield make_event("", entry, envelope)
            continue
        for change in changes:
            if isinstance(change, Mapping):
                yield make_event(change.get("field"), change.get("value"), envelope)
            else:
                yield make_event("", change, envelope)


def parse_payload(body: bytes | str | Mapping[str, Any] | list[Any]) -> tuple[WebhookEvent, ...]:
    """The events in a notification body (raw bytes, text, or JSON already decoded).

    Call it only on a body whose signature you have checked (`verify_signature`), or use
    `WebhookReceiver`, which does both in the right order. Raises PayloadError when the body
    is not JSON or not a JSON object or array; never for unknown content.
    """
    data: Any = body
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        try:
            text = bytes(body).decode("utf-8") if not isinstance(body, str) else body
            data = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            raise PayloadError("the body is not valid UTF-8 JSON") from None
    if not isinstance(data, (Mapping, list)):
        raise PayloadError("the body is not a JSON object or array")
    return tuple(events_from(data))
