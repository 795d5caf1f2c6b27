"""Parsing notifications into typed events: every topic's payload (threads-api.md §9),
batches, Graph's entry/changes envelope, unknown fields and topics, odd values."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from threadspipepy.webhooks import (
    DeleteEvent,
    GenericEvent,
    MentionEvent,
    PayloadError,
    PublishEvent,
    ReplyEvent,
    WebhookEvent,
    parse_payload,
)

ENVELOPE = {
    "app_id": "1234567890",
    "target_id": "17841400000000001",
    "time": 1754300000,
    "subscription_id": "2345678901",
    "has_uid_field": False,
}
REPLY = {
    "id": "17900000000000101",
    "username": "a_fan",
    "text": "Love this",
    "media_type": "TEXT_POST",
    "permalink": "https://www.threads.com/@a_fan/post/DAbc123",
    "replied_to": {"id": "17900000000000100"},
    "root_post": {"id": "17900000000000100", "owner_id": "17841400000000001", "username": "me"},
    "shortcode": "DAbc123",
    "timestamp": "2025-08-04T10:33:16+0000",
    "is_verified": True,
    "profile_picture_url": "https://cdn.example.com/p.jpg",
}
MENTION = {
    "id": "17900000000000201",
    "username": "someone",
    "text": "Hey @me, look",
    "media_type": "IMAGE",
    "permalink": "https://www.threads.com/@someone/post/DXyz",
    "shortcode": "DXyz",
    "timestamp": "2025-08-04T11:00:00+0000",
    "has_replies": False,
    "is_reply": True,
    "is_quote_post": False,
    "replied_to": {"id": "17900000000000200"},
    "root_post": {"id": "17900000000000199", "owner_id": "17841400000000009", "username": "x"},
}
PUBLISH = {
    "id": "17900000000000301",
    "media_type": "TEXT_POST",
    "permalink": "https://www.threads.com/@me/post/DPub",
    "timestamp": "2025-08-15T09:00:00+0000",
    "username": "me",
}
DELETE = {
    "id": "17900000000000401",
    "owner": {"owner_id": "17841400000000001"},
    "deleted_at": "2025-08-20T12:00:05+0000",
    "timestamp": "2025-08-20T11:00:00+0000",
    "username": "me",
}


def notification(topic: str, field: str, value: Any, **envelope: Any) -> dict[str, Any]:
    return {**ENVELOPE, "topic": topic, **envelope, "values": {"value": value, "field": field}}


def one(payload: Any) -> WebhookEvent:
    (event,) = parse_payload(json.dumps(payload).encode())
    return event


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_a_replies_notification() -> None:
    event = one(notification("moderate", "replies", REPLY))
    assert isinstance(event, ReplyEvent)
    assert (event.field, event.topic, event.id) == ("replies", "moderate", REPLY["id"])
    assert (event.target_id, event.app_id, event.subscription_id) == (
        "17841400000000001",
        "1234567890",
        "2345678901",
    )
    assert event.time == datetime.fromtimestamp(1754300000, timezone.utc)
    assert (event.username, event.text, event.media_type) == ("a_fan", "Love this", "TEXT_POST")
    assert event.permalink == REPLY["permalink"] and event.shortcode == "DAbc123"
    assert event.timestamp == utc("2025-08-04T10:33:16")
    assert event.replied_to_id == "17900000000000100"
    assert (event.root_post_id, event.root_post_owner_id, event.root_post_username) == (
        "17900000000000100",
        "17841400000000001",
        "me",
    )
    assert event.is_verified is True and event.profile_picture_url == REPLY["profile_picture_url"]
    assert event.extra == {} and event.value == REPLY
    assert event.envelope == {"has_uid_field": False}


def test_a_mentions_notification() -> None:
    event = one(notification("interaction", "mentions", MENTION))
    assert isinstance(event, MentionEvent)
    assert event.mentioned_user_id == event.target_id == "17841400000000001"
    assert (event.id, event.username, event.text) == (MENTION["id"], "someone", "Hey @me, look")
    assert (event.is_reply, event.has_replies, event.is_quote_post) == (True, False, False)
    assert (event.replied_to_id, event.root_post_id, event.root_post_owner_id) == (
        "17900000000000200",
        "17900000000000199",
        "17841400000000009",
    )
    assert event.timestamp == utc("2025-08-04T11:00:00") and event.extra == {}


def test_a_publish_notification() -> None:
    event = one(notification("interaction", "publish", PUBLISH))
    assert isinstance(event, PublishEvent)
    assert (event.id, event.media_type, event.username) == (PUBLISH["id"], "TEXT_POST", "me")
    assert event.permalink == PUBLISH["permalink"]
    assert event.timestamp == utc("2025-08-15T09:00:00")
    assert event.text is None and event.extra == {}


def test_a_delete_notification() -> None:
    event = one(notification("moderate", "delete", DELETE))
    assert isinstance(event, DeleteEvent)
    assert (event.id, event.owner_id, event.username) == (DELETE["id"], "17841400000000001", "me")
    assert event.deleted_at == utc("2025-08-20T12:00:05")
    assert event.timestamp == utc("2025-08-20T11:00:00") and event.extra == {}


def test_values_as_a_list_give_one_event_each_in_order() -> None:
    payload = {
        **ENVELOPE,
        "topic": "interaction",
        "values": [
            {"field": "mentions", "value": MENTION},
            {"field": "publish", "value": PUBLISH},
            {"field": "mentions", "value": {**MENTION, "id": "17900000000000202"}},
        ],
    }
    events = parse_payload(json.dumps(payload))
    assert [type(e) for e in events] == [MentionEvent, PublishEvent, MentionEvent]
    assert [e.id for e in events] == [MENTION["id"], PUBLISH["id"], "17900000000000202"]
    assert all(e.subscription_id == "2345678901" for e in events)


def test_an_array_of_notifications() -> None:
    payload = [
        notification("moderate", "replies", REPLY),
        notification("moderate", "delete", DELETE, target_id="99"),
    ]
    events = parse_payload(json.dumps(payload).encode())
    assert [type(e) for e in events] == [ReplyEvent, DeleteEvent]
    assert events[1].target_id == "99"


def test_graphs_entry_changes_envelope() -> None:
    payload = {
        "object": "threads",
        "entry": [
            {
                "id": "17841400000000001",
                "time": 1754300001,
                "changes": [
                    {"field": "replies", "value": REPLY},
                    {"field": "publish", "value": PUBLISH},
                ],
            },
            {
                "id": "17841400000000002",
                "time": 1754300002,
                "changes": [{"field": "x", "value": 1}],
            },
            {"id": "3", "messaging": [{"text": "a Messenger entry"}]},
        ],
    }
    events = parse_payload(payload)
    assert [type(e) for e in events] == [ReplyEvent, PublishEvent, GenericEvent, GenericEvent]
    assert [e.target_id for e in events] == [
        "17841400000000001",
        "17841400000000001",
        "17841400000000002",
        "3",
    ]
    assert events[0].time == datetime.fromtimestamp(1754300001, timezone.utc)
    assert events[0].envelope == {"object": "threads"}
    assert events[2].extra == {"value": 1}
    assert events[3].value["messaging"] == [{"text": "a Messenger entry"}]


def test_unknown_fields_are_kept_and_mistyped_ones_left_to_extra() -> None:
    value = {**REPLY, "quoted_post": {"id": "5"}, "text": {"rich": True}, "is_verified": "yes"}
    event = one(notification("moderate", "replies", value, brand_new_key=[1]))
    assert isinstance(event, ReplyEvent)
    assert event.text is None and event.is_verified is None
    assert event.extra == {"quoted_post": {"id": "5"}, "text": {"rich": True}, "is_verified": "yes"}
    assert event.value["text"] == {"rich": True}
    assert event.envelope == {"has_uid_field": False, "brand_new_key": [1]}


def test_numeric_ids_become_strings() -> None:
    event = one(notification("moderate", "delete", {**DELETE, "id": 17, "owner": {"owner_id": 8}}))
    assert isinstance(event, DeleteEvent)
    assert (event.id, event.owner_id) == ("17", "8")
    flagged = one(notification("moderate", "delete", {**DELETE, "id": True}))
    assert flagged.id is None and flagged.extra == {"id": True}


def test_an_unknown_field_or_topic_is_a_generic_event() -> None:
    event = one(notification("future_topic", "reactions", {"id": "9", "emoji": "x"}))
    assert type(event) is GenericEvent
    assert (event.field, event.topic, event.id) == ("reactions", "future_topic", "9")
    assert event.extra == {"emoji": "x"} and event.dedupe_key == "reactions:9"
    typed = one(notification("new_topic_name", "publish", PUBLISH))
    assert isinstance(typed, PublishEvent) and typed.topic == "new_topic_name"


@pytest.mark.parametrize(
    "payload",
    [
        notification("moderate", "replies", "not an object"),
        notification("moderate", "replies", None),
        {**ENVELOPE, "values": ["a string value"]},
        {"something": "else entirely"},
        [42],
    ],
)
def test_odd_shapes_become_generic_events_not_exceptions(payload: Any) -> None:
    (event,) = parse_payload(json.dumps(payload))
    assert type(event) is GenericEvent
    assert event.dedupe_key.startswith(f"{event.field}:")


def test_a_bare_field_and_value_object() -> None:
    event = one({"field": "mentions", "value": MENTION, "topic": "interaction"})
    assert isinstance(event, MentionEvent) and event.id == MENTION["id"]


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b'"a string"', b"42", b"null"])
def test_a_body_that_is_not_a_json_object_or_array_is_refused(body: bytes) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_payload(body)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-08-04T10:33:16+0000", utc("2025-08-04T10:33:16")),
        ("2025-08-04T10:33:16Z", utc("2025-08-04T10:33:16")),
        ("2025-08-04T12:33:16+02:00", utc("2025-08-04T10:33:16")),
        ("2025-08-04T10:33:16", utc("2025-08-04T10:33:16")),
        (1754303596, utc("2025-08-04T10:33:16")),
    ],
)
def test_timestamps_in_every_format_meta_uses(raw: Any, expected: datetime) -> None:
    event = one(notification("interaction", "publish", {**PUBLISH, "timestamp": raw}))
    assert isinstance(event, PublishEvent) and event.timestamp == expected


def test_an_unreadable_timestamp_is_left_to_extra() -> None:
    event = one(notification("interaction", "publish", {**PUBLISH, "timestamp": "yesterday"}))
    assert isinstance(event, PublishEvent)
    assert event.timestamp is None and event.extra == {"timestamp": "yesterday"}
    late = one({**notification("interaction", "publish", PUBLISH), "time": "soon"})
    assert late.time is None


def test_events_are_frozen_hashable_and_comparable() -> None:
    payload = notification("interaction", "mentions", MENTION)
    event, again = one(payload), one(payload)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.text = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.value["text"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        event.extra["x"] = 1  # type: ignore[index]
    assert event == again and len({event, again}) == 1
    assert "Hey @me" in repr(event)


def test_dedupe_keys() -> None:
    assert one(notification("interaction", "mentions", MENTION)).dedupe_key == (
        f"mentions:{MENTION['id']}"
    )
    no_id = {k: v for k, v in PUBLISH.items() if k != "id"}
    first = one(notification("interaction", "publish", no_id))
    same = one(notification("interaction", "publish", dict(reversed(list(no_id.items())))))
    other = one(notification("interaction", "publish", {**no_id, "username": "other"}))
    assert first.dedupe_key == same.dedupe_key != other.dedupe_key
    assert first.dedupe_key.startswith("publish:sha256:")


def test_as_dict_is_json_ready() -> None:
    event = one(notification("moderate", "replies", REPLY))
    data = event.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["time"] == 1754300000 and data["value"] == REPLY
    assert data["field"] == "replies" and data["target_id"] == "17841400000000001"
