"""pipe() chains against the sandbox: splitting, media batches, options on the right posts,
partial failure and resume, exactly-once publishing."""

from __future__ import annotations

import json
import time

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.testing import ThreadsSandbox

from .conftest import FakeTime

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. "
)
TEXT_1200 = (LOREM * 6)[:1200].rsplit(" ", 1)[0] + "."


def images(n: int, start: int = 0) -> list[str]:
    return [f"https://cdn.example.com/photos/{i}.jpg" for i in range(start, start + n)]


def creates(sb: ThreadsSandbox) -> list[dict[str, str]]:
    return [r.form for r in sb.requests_to("POST", "/v1.0/*/threads")]


def post_creates(sb: ThreadsSandbox) -> list[dict[str, str]]:
    return [f for f in creates(sb) if f.get("is_carousel_item") != "true"]


def test_long_text_becomes_a_linear_chain(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    result = tp.pipe(TEXT_1200)
    assert result.ok, result
    posts = sandbox.posts
    assert len(posts) == 3
    assert [p["id"] for p in posts] == result["data"]["media_ids"]
    assert posts[0]["reply_to_id"] is None
    assert posts[1]["reply_to_id"] == posts[0]["id"]
    assert posts[2]["reply_to_id"] == posts[1]["id"]
    assert posts[0]["text"].endswith("...") and posts[1]["text"].startswith("...")
    body = " ".join(p["text"].replace("...", "") for p in posts)
    assert body.split() == TEXT_1200.replace("...", "").split()
    # One quota read for the whole chain, covering the root post and the two replies.
    assert len(sandbox.requests_to("GET", "/v1.0/*/threads_publishing_limit")) == 1
    assert sandbox.publish_attempts == 3


def test_25_media_and_long_text(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    result = tp.pipe(TEXT_1200, files=images(25))
    assert result.ok, result
    kinds = [(p["media_type"], len(p.get("children") or [])) for p in sandbox.posts]
    assert kinds == [("CAROUSEL_ALBUM", 20), ("CAROUSEL_ALBUM", 5), ("TEXT_POST", 0)]
    assert all(p["text"] for p in sandbox.posts)
    items = [f for f in creates(sandbox) if f.get("is_carousel_item") == "true"]
    assert sorted(f["image_url"] for f in items) == sorted(images(25))
    # Items are created in parallel, yet each carousel keeps the files' order.
    assert [c["url"] for c in sandbox.posts[0]["children"]] == images(20)
    assert [c["url"] for c in sandbox.posts[1]["children"]] == images(5, start=20)
    assert result["data"]["posts"][0]["media"] == images(20)


def test_21_media_become_a_carousel_of_20_and_a_single_post(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    captions = [None] * 20 + ["the twenty-first"]
    result = tp.pipe("Holiday photos", files=images(21), file_captions=captions)
    assert result.ok, result
    first, second = sandbox.posts
    assert first["media_type"] == "CAROUSEL_ALBUM" and len(first["children"]) == 20
    assert second["media_type"] == "IMAGE" and second["reply_to_id"] == first["id"]
    single = post_creates(sandbox)[-1]
    assert single["image_url"] == images(21)[20]
    assert single["alt_text"] == "the twenty-first"
    assert "text" not in single


def test_options_land_on_the_right_posts(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    quoted = tp.pipe("To be quoted")["data"]["media_ids"][0]
    sandbox.clear_requests()
    result = tp.pipe(
        TEXT_1200,
        files=images(2),
        file_captions=["first photo"],
        who_can_reply="mentioned_only",
        allowed_country_codes=["US", "ng"],
        topic_tag="Travel",
        link_attachments=[None, "https://example.com/second"],
        quote_post_id=quoted,
        location_id="112233",
        enable_reply_approvals=True,
    )
    assert result.ok, result
    forms = post_creates(sandbox)
    assert len(forms) == 3
    for form in forms:
        assert form["reply_control"] == "mentioned_only"
        assert form["allowlisted_country_codes"] == "US,NG"
        assert form["topic_tag"] == "Travel"
        assert form["enable_reply_approvals"] == "true"
    assert forms[0]["media_type"] == "CAROUSEL" and forms[0]["quote_post_id"] == quoted
    assert forms[0]["location_id"] == "112233"
    assert "quote_post_id" not in forms[1] and "location_id" not in forms[1]
    assert forms[1]["link_attachment"] == "https://example.com/second"
    assert "link_attachment" not in forms[0] and "link_attachment" not in forms[2]
    items = {f["image_url"]: f for f in creates(sandbox) if f.get("is_carousel_item") == "true"}
    first, second = images(2)
    assert items[first]["alt_text"] == "first photo" and "alt_text" not in items[second]
    for item in items.values():
        assert "reply_control" not in item and "allowlisted_country_codes" not in item
    # Geo eligibility is read once.
    assert len(sandbox.requests_to("GET", "/v1.0/me")) == 1


def test_persist_quoted_post_quotes_every_text_part(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    quoted = tp.pipe("Quoted")["data"]["media_ids"][0]
    assert tp.pipe(TEXT_1200, quote_post_id=quoted, persist_quoted_post=True).ok
    assert [f.get("quote_post_id") for f in post_creates(sandbox)[1:]] == [quoted] * 3


def test_text_only_attachments_go_on_the_last_text_part(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    assert tp.pipe(TEXT_1200, poll=["Yes", "No", "Maybe"]).ok
    forms = post_creates(sandbox)
    assert "poll_attachment" not in forms[0] and "poll_attachment" not in forms[1]
    assert json.loads(forms[2]["poll_attachment"]) == {
        "option_a": "Yes",
        "option_b": "No",
        "option_c": "Maybe",
    }
    assert tp.pipe("A GIF for you", gif="xT9IgzoKnwFNmISR8I").ok
    assert json.loads(post_creates(sandbox)[-1]["gif_attachment"]) == {
        "gif_id": "xT9IgzoKnwFNmISR8I",
        "provider": "GIPHY",
    }
    attachment = {"plaintext": "A long read. " * 100, "link_attachment_url": "https://x.example"}
    assert tp.pipe("See the attachment", text_attachment=attachment).ok
    sent = json.loads(post_creates(sandbox)[-1]["text_attachment"])
    assert sent["plaintext"] == attachment["plaintext"]


def test_spoilers_and_spoiler_media(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    assert tp.pipe("The butler did it.", spoilers=[(4, 6)]).ok
    entities = json.loads(post_creates(sandbox)[-1]["text_entities"])
    assert entities == [{"entity_type": "SPOILER", "offset": 4, "length": 6}]
    assert tp.pipe("Blurred", files=images(2), spoiler_media=True).ok
    assert post_creates(sandbox)[-1]["is_spoiler_media"] == "true"
    assert sandbox.posts[-1]["is_spoiler_media"] is True


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"post": "Vote", "poll": ["only one"]}, "poll"),
        ({"post": "Vote", "poll": ["a", "b", "c", "d", "e"]}, "poll"),
        ({"post": "Vote", "poll": ["x" * 26, "b"]}, "poll"),
        ({"post": "Vote", "poll": ["a", "b"], "gif": "abc"}, "poll"),
        ({"post": "Photo", "files": images(1), "poll": ["a", "b"]}, "poll"),
        ({"post": TEXT_1200, "spoilers": [(0, 5)]}, "spoilers"),
        ({"post": "short", "spoilers": [(0, 50)]}, "spoilers"),
        ({"post": "short", "spoilers": [(0, 3), (2, 2)]}, "spoilers"),
        ({"post": "no media", "spoiler_media": True}, "spoiler_media"),
        ({"post": "x", "gif": "has space"}, "gif"),
        ({"post": "x", "text_attachment": {"plaintext": ""}}, "text_attachment"),
        ({"post": "x", "files": images(1), "link_attachments": ["https://a.example"]}, None),
        ({"post": "x", "link_attachments": [None, "https://a.example"]}, "link_attachments"),
        ({"post": "x", "files": images(2), "file_captions": ["a", "b", "c"]}, "file_captions"),
        ({"post": "x", "files": ["https://cdn.example.com/anim.gif"]}, "files[0]"),
        ({"post": "", "files": None}, "post"),
    ],
)
def test_bad_options_are_refused_before_any_request(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, kwargs: dict[str, object], parameter: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        tp.pipe(**kwargs)  # type: ignore[arg-type]
    if parameter is not None:
        assert caught.value.parameter == parameter
    else:
        assert (caught.value.parameter or "").startswith("link_attachments")
    assert sandbox.requests == []


def test_dry_run_sends_nothing_and_returns_the_plan(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    result = tp.pipe(TEXT_1200, files=images(21), who_can_reply="everyone", dry_run=True)
    assert sandbox.requests == []
    assert result.ok and result["data"]["dry_run"] is True
    planned = result["data"]["posts"]
    assert [p["media_type"] for p in planned] == ["CAROUSEL", "IMAGE", "TEXT"]
    assert [len(p["media"]) for p in planned] == [20, 1, 0]
    assert all(p["options"]["reply_control"] == "everyone" for p in planned)
    assert result["data"]["media_ids"] == []


def test_chained_post_false_posts_one_and_says_what_was_left(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    result = tp.pipe(TEXT_1200, chained_post=False)
    assert result.ok, result
    assert len(sandbox.posts) == 1
    assert len(result["data"]["unposted_text"]) == 2
    assert "not posted" in result["message"]


def test_untyped_url_is_typed_by_a_head_request(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    url = sandbox.host_file("clips/latest", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4")
    result = tp.pipe("A clip", files=[url])
    assert result.ok, result
    assert sandbox.requests_to("HEAD")
    assert post_creates(sandbox)[0]["media_type"] == "VIDEO"
    assert post_creates(sandbox)[0]["video_url"] == url


def test_unreachable_untyped_url_is_refused_before_posting(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    with pytest.raises(ValidationError, match="404"):
        tp.pipe("Missing", files=[f"{sandbox.url}/media/nothing-here"])
    assert sandbox.requests_to("POST") == []


def test_a_chain_that_does_not_fit_the_quota_posts_nothing(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.set_quota_usage(replies=999)
    result = tp.pipe(TEXT_1200)  # one root post and two replies
    assert result["message"] == "Rate limit exceeded!"
    assert "999 of 1000 replies used, 2 needed" in result["error"]["message"]
    # The quota is read while the first part's container is created (creating spends no
    # quota); nothing is published, and that one container is left to expire unpublished.
    assert sandbox.requests_to("POST", "/v1.0/*/threads_publish") == []
    assert sandbox.posts == []
    assert [(c["media_type"], c["status"]) for c in sandbox.containers] == [("TEXT", "FINISHED")]


def test_a_failure_mid_chain_reports_progress_and_resume_finishes(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    # Part 1 is a carousel; part 2's text container ends in ERROR.
    sandbox.fail_next_container(status="ERROR", error_message="UNKNOWN", media_type="TEXT")
    broken = tp.pipe(TEXT_1200, files=images(20))
    assert broken["info"] == "error"
    assert broken["message"].startswith("Could not publish part 2 of 3; 1 part(s) are live")
    assert broken["error"]["error_class"] == "MediaProcessingError"
    assert broken["error"]["container_error_message"] == "UNKNOWN"
    data = broken["data"]
    assert len(data["media_ids"]) == 1
    assert [p["index"] for p in data["remaining"]] == [1, 2]
    assert data["next_reply_to_id"] == data["media_ids"][0]

    resumed = tp.resume_pipe(broken)
    assert resumed.ok, resumed
    ids = resumed["data"]["media_ids"]
    assert len(ids) == 3 and ids[0] == data["media_ids"][0]
    chain = sandbox.posts[-3:]
    assert [p["id"] for p in chain] == ids
    assert chain[1]["reply_to_id"] == chain[0]["id"] and chain[2]["reply_to_id"] == chain[1]["id"]
    with pytest.raises(ValidationError, match="nothing left"):
        tp.resume_pipe(resumed)


def test_a_bad_file_in_a_later_carousel_stops_before_anything_is_live(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail_next_container(status="ERROR", error_message="UNKNOWN", media_type="VIDEO")
    files = [*images(20), "https://cdn.example.com/clip.mp4", "https://cdn.example.com/x.jpg"]
    broken = tp.pipe(TEXT_1200, files=files)
    assert broken["message"] == "Could not publish part 2 of 3; nothing was published"
    assert "clip.mp4" in broken["error"]["message"]
    assert broken["data"]["media_ids"] == [] and len(broken["data"]["remaining"]) == 3
    assert sandbox.publish_attempts == 0
    assert tp.resume_pipe(broken).ok  # the items are created afresh
    assert len(sandbox.posts) == 3


def test_expired_container_ends_the_call_with_the_ids_so_far(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail_next_container(status="EXPIRED", error_message=None, media_type="TEXT")
    result = tp.pipe(TEXT_1200)
    assert result["error"]["status"] == "EXPIRED"
    assert result["data"]["media_ids"] == []
    assert len(result["data"]["remaining"]) == 3


def test_ambiguous_publish_in_a_chain_is_never_duplicated(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    # The first part's publish lands, but its answer is a 500.
    sandbox.fail("POST", "/v1.0/*/threads_publish", status=500, after=True, times=1)
    result = tp.pipe(TEXT_1200)
    assert result.ok, result
    assert sandbox.publish_attempts == 3
    posts = sandbox.posts
    assert len(posts) == 3 and len({p["text"] for p in posts}) == 3
    assert posts[1]["reply_to_id"] == posts[0]["id"] == result["data"]["media_ids"][0]


def test_a_lost_container_is_rebuilt(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.fail(
        "POST",
        "/v1.0/*/threads_publish",
        status=400,
        code=24,
        subcode=4279009,
        message="The requested resource does not exist",
    )
    result = tp.pipe("Rebuilt once")
    assert result.ok, result
    assert len(post_creates(sandbox)) == 2
    assert sandbox.publish_attempts == 2
    assert len(sandbox.posts) == 1


def test_carousel_items_are_created_in_parallel(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.delay("POST", "/v1.0/*/threads", 0.3, times=10)
    started = time.monotonic()
    result = tp.pipe("Ten at once", files=images(10))
    elapsed = time.monotonic() - started
    assert result.ok, result
    assert elapsed < 1.5  # ten creations of 0.3 s each, one after another, would take 3 s


def test_repost_and_delete(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    media_id = tp.pipe("Repost me")["data"]["media_ids"][0]
    repost = tp.repost_post(media_id)
    assert repost["info"] == "success" and repost["data"]["id"]
    deleted = tp.delete_post(media_id)
    assert deleted == {"success": True, "deleted_id": media_id}
    again = tp.delete_post(media_id)
    assert not again.ok
    failed = tp.repost_post("999999")
    assert failed["info"] == "error" and failed["message"] == "Could not repost post"


def test_low_level_container_calls(sandbox: ThreadsSandbox, fake_time: FakeTime) -> None:
    tp = fake_time.install(sandbox.client())
    created = tp.create_container("TEXT", text="Step by step")
    container_id = created["id"]
    assert tp.container_status(container_id)["status"] == "FINISHED"
    published = tp.publish_container(container_id)
    assert published["id"] == sandbox.posts[0]["id"]
    assert tp.container_status(container_id)["status"] == "PUBLISHED"
    assert not tp.publish_container(container_id).ok  # never twice
    assert len(sandbox.posts) == 1
    with pytest.raises(ValidationError):
        tp.create_container("STORY")


def test_split_post_is_public(tp: ThreadsPipe) -> None:
    parts = tp.split_post(TEXT_1200 + " #one #two")
    assert len(parts) == 3
    assert parts[0].endswith("\n#one") and parts[1].endswith("\n#two")
    assert tp.__split_post__("short") == ["short"]


def test_invalid_children_rebuild_the_whole_carousel(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", "/v1.0/*/threads_publish", code=100, subcode=4279004, times=1)
    result = tp.pipe("Carousel rebuilt", files=images(3))
    assert result.ok, result
    items = [f for f in creates(sandbox) if f.get("is_carousel_item") == "true"]
    assert len(items) == 6  # every item was created again
    assert len(post_creates(sandbox)) == 2
    assert len(sandbox.posts) == 1 and len(sandbox.posts[0]["children"]) == 3


def test_rebuilding_is_bounded(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.fail("POST", "/v1.0/*/threads_publish", code=24, subcode=4279009, times=10)
    result = tp.pipe("Lost every time")
    assert result["error"]["code"] == 24
    assert len(post_creates(sandbox)) == 3  # the first build and two rebuilds
    assert sandbox.posts == []
