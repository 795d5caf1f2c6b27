"""The walking skeleton: a single text post published through the facade over real HTTP."""

from __future__ import annotations

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.testing import ThreadsSandbox

from .conftest import FakeTime


def paths(sb: ThreadsSandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sb.requests]


def test_text_post_lands_with_three_requests_in_two_round_trips(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    result = tp.pipe("Hello, Threads")

    assert result["info"] == "success", result
    assert result.ok
    assert result["message"] == "Post piped to Instagram Threads successfully!"
    [post] = sandbox.posts
    assert post["text"] == "Hello, Threads"
    assert result["data"]["media_ids"] == [post["id"]]
    assert result["data"]["posts"] == [
        {"id": post["id"], "text": "Hello, Threads", "media": [], "reply_to_id": None}
    ]
    uid = sandbox.user_id
    container = sandbox.containers[0]["id"]
    # The quota is read while the container is created (in either order); a text container
    # is ready at once, so it is published without a status read.
    first_two, publish = paths(sandbox)[:2], paths(sandbox)[2:]
    assert sorted(first_two) == [
        f"GET /v1.0/{uid}/threads_publishing_limit",
        f"POST /v1.0/{uid}/threads",
    ]
    assert publish == [f"POST /v1.0/{uid}/threads_publish"]
    create = sandbox.requests_to("POST", f"/v1.0/{uid}/threads")[0]
    assert create.form["media_type"] == "TEXT"
    assert create.form["text"] == "Hello, Threads"
    assert sandbox.requests[2].form["creation_id"] == container
    assert sandbox.publish_attempts == 1


def test_token_travels_in_the_authorization_header_never_in_a_url(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    tp.pipe("Header only")
    assert sandbox.requests
    for request in sandbox.requests:
        assert request.headers.get("Authorization") == f"Bearer {sandbox.access_token}"
        assert "access_token" not in request.query
        assert "access_token" not in request.form


def test_post_options_reach_the_container(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    first = tp.pipe("The root post")
    root_id = first["data"]["media_ids"][0]
    result = tp.pipe(
        "A reply with everything",
        reply_to_id=root_id,
        who_can_reply="followers_only",
        link_attachments=["https://example.com/a?b=1&c=2"],
        quote_post_id=root_id,
        topic_tag="#python",
        allowed_country_codes=["us", "ca"],
    )
    assert result.ok, result
    form = sandbox.requests_to("POST", "/v1.0/*/threads")[-1].form
    assert form["reply_to_id"] == root_id
    assert form["reply_control"] == "followers_only"
    assert form["link_attachment"] == "https://example.com/a?b=1&c=2"
    assert form["quote_post_id"] == root_id
    assert form["topic_tag"] == "python"
    assert form["allowlisted_country_codes"] == "US,CA"
    assert result["data"]["posts"][0]["reply_to_id"] == root_id
    assert sandbox.posts[-1]["reply_to_id"] == root_id


def test_geo_gating_needs_eligibility(sandbox: ThreadsSandbox, fake_time: FakeTime) -> None:
    account = sandbox.add_account(geo_gating_eligible=False)
    tp = fake_time.install(
        sandbox.client(user_id=account.user_id, access_token=account.access_token)
    )
    result = tp.pipe("Only for some", allowed_country_codes="US")
    assert result["info"] == "error"
    assert "not eligible for geo-gating" in result["message"]
    assert sandbox.requests_to("POST") == []


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"post": ""}, "post"),
        ({"post": "   "}, "post"),
        ({"post": "ok", "who_can_reply": "friends"}, "who_can_reply"),
        ({"post": "ok", "allowed_country_codes": ["USA"]}, "allowed_country_codes"),
        ({"post": "ok", "topic_tag": "a.b"}, "topic_tag"),
        ({"post": "ok", "link_attachments": ["not a url"]}, "link_attachments[0]"),
        ({"post": "ok", "reply_to_id": ""}, "reply_to_id"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, kwargs: dict[str, object], parameter: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        tp.pipe(**kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter
    assert sandbox.requests == []


def test_emoji_count_as_utf8_bytes_when_splitting(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    assert tp.pipe("a" * 496 + " 👍").ok  # 497 + 4 bytes = 501 as Threads counts: two posts
    assert len(sandbox.posts) == 2
    assert tp.pipe("b" * 495 + " 👍").ok  # exactly 500: one post
    assert len(sandbox.posts) == 3


def test_container_error_ends_the_wait_and_nothing_is_published(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail_next_container(status="ERROR", error_message="UNKNOWN")
    result = tp.pipe("This one fails")
    assert result["info"] == "error"
    error = result["error"]
    assert error["error_class"] == "MediaProcessingError"
    assert error["status"] == "ERROR" and error["container_error_message"] == "UNKNOWN"
    # Published without a poll, refused; one status read says why. Nothing is live.
    [publish] = sandbox.requests_to("POST", "/v1.0/*/threads_publish")
    assert publish.status == 400
    container = sandbox.containers[0]["id"]
    assert len(sandbox.requests_to("GET", f"/v1.0/{container}")) == 1
    assert sandbox.posts == []


def test_a_text_container_not_ready_yet_is_waited_for_then_published_once(
    fake_time: FakeTime,
) -> None:
    with ThreadsSandbox(processing_delays={"TEXT": 3.0}) as sb:
        fake_time.sandbox = sb
        tp = fake_time.install(sb.client())
        result = tp.pipe("Takes a moment")
    assert result.ok, result
    # Published at once and refused as not ready (Graph code 9007, subcode 2207027), then
    # read on the schedule until finished and published again: live once.
    refused, accepted = sb.requests_to("POST", "/v1.0/*/threads_publish")
    assert (refused.status, accepted.status) == (400, 200)
    assert len(sb.posts) == 1
    reads = sb.requests_to("GET", f"/v1.0/{sb.containers[0]['id']}")
    assert [r.status for r in reads] == [200] * len(reads)
    assert 3 <= len(reads) <= 12
    assert fake_time.sleeps[0] == pytest.approx(0.25)  # text is expected ready at once
    assert 3.0 <= sum(fake_time.sleeps) <= 4.5  # ready at 3 s, seen at most 1.5x that


def test_container_timeout_bounds_the_wait(fake_time: FakeTime) -> None:
    with ThreadsSandbox(processing_delays={"TEXT": 10_000.0}) as sb:
        tp = fake_time.install(sb.client(container_timeout=40, post_publish_wait_time=8))
        result = tp.pipe("Never ready")
    assert result["info"] == "error"
    assert result["error"]["error_class"] == "MediaProcessingError"
    assert "not ready after 40 s" in result["error"]["message"]
    assert fake_time.sleeps[:3] == pytest.approx([0.25, 0.1, 0.1])
    assert max(fake_time.sleeps) == pytest.approx(8)  # post_publish_wait_time caps each pause
    assert sum(fake_time.sleeps) == pytest.approx(40)
    # The one publish sent before the wait was refused as not ready: nothing is live.
    [refused] = sb.requests_to("POST", "/v1.0/*/threads_publish")
    assert refused.status == 400
    assert sb.posts == []


def test_raise_on_error_raises_the_typed_exception(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    from threadspipepy import MediaProcessingError

    tp = fake_time.install(sandbox.client(raise_on_error=True))
    sandbox.fail_next_container(status="EXPIRED", error_message=None)
    with pytest.raises(MediaProcessingError, match="EXPIRED"):
        tp.pipe("Expires")
