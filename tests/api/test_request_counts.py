"""How many requests a chain costs, and in what order they may go (issue: fewer requests).

Meta's app call budget is counted per user per day, so a request spent for nothing is budget
spent. These tests count what the sandbox received, with the client's clock and sleep faked
(the sandbox's clock moves with them), for the benchmark's shapes; the minimum each is compared
with is: the quota read, one create per container, one status read per carousel item, one
publish per post.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from threadspipepy import ThreadsPipe
from threadspipepy.testing import ThreadsSandbox

from .chain_checks import CREATE, PUBLISH, QUOTA, STATUS, assert_published_once, wait_for
from .conftest import FakeTime

# The sandbox's clock is real time plus what the fake sleeps add, so a read lands a few real
# milliseconds after its offset. Each processing time sits at a read of the schedule (image:
# 1.5, 1.605, 1.717, 1.838 s...; carousel container: 0.1, 0.2 s), so that read sees it done
# and the one before, 0.1 s or more earlier, does not, however busy the machine.
DELAYS = {"TEXT": 0.0, "IMAGE": 1.838, "VIDEO": 8.0, "CAROUSEL": 0.2}
CHAIN_TEXT = " ".join(f"Sentence number {i} of a text that needs three posts." for i in range(22))


def images(count: int, tag: str = "i") -> list[str]:
    return [f"https://cdn.example.com/{tag}/{i}.jpg" for i in range(count)]


@pytest.fixture
def sb() -> Any:
    with ThreadsSandbox(processing_delays=DELAYS) as sandbox:
        yield sandbox


@pytest.fixture
def fake(sb: ThreadsSandbox) -> FakeTime:
    return FakeTime(sb)


@pytest.fixture
def client(sb: ThreadsSandbox, fake: FakeTime) -> Any:
    with fake.install(sb.client()) as tp:
        yield tp


def counts(sb: ThreadsSandbox) -> tuple[int, int, int, int]:
    """(quota reads, creates, status reads, publishes)."""
    stats = sb.stats()
    return stats["quota"], stats["create"], stats["status"], stats["publish"]


def test_a_text_post_is_three_requests_and_no_wait(
    sb: ThreadsSandbox, client: ThreadsPipe, fake: FakeTime
) -> None:
    assert client.pipe("Three requests").ok
    assert counts(sb) == (1, 1, 0, 1)
    assert sb.stats()["total"] == 3
    assert fake.sleeps == []


def test_a_three_part_chain_is_seven_requests(
    sb: ThreadsSandbox, client: ThreadsPipe, fake: FakeTime
) -> None:
    result = client.pipe(CHAIN_TEXT)
    assert result.ok
    assert len(result["data"]["media_ids"]) == 3
    assert counts(sb) == (1, 3, 0, 3)  # the minimum: no status read for text
    assert sb.stats()["total"] == 7
    assert fake.sleeps == []
    assert_published_once(sb, result, client.split_post(CHAIN_TEXT))


def test_a_ten_image_carousel_watches_one_item_and_confirms_the_rest_once(
    sb: ThreadsSandbox, client: ThreadsPipe
) -> None:
    assert client.pipe("Ten images", files=images(10)).ok
    carousel = next(c["id"] for c in sb.containers if c["media_type"] == "CAROUSEL")
    reads = [r.path.rsplit("/", 1)[-1] for r in sb.requests_to("GET", STATUS)]
    watched = max(set(reads) - {carousel}, key=reads.count)
    # One item read on the image schedule until it is ready (1.5 to 1.838 s: 4 reads), every
    # other item read once, the carousel container read at 0.1 s and 0.2 s.
    assert reads.count(watched) == 4
    assert sorted(reads.count(r) for r in set(reads) - {carousel, watched}) == [1] * 9
    assert reads.count(carousel) == 2
    assert counts(sb) == (1, 11, 15, 1)
    minimum = 1 + 11 + 10 + 1  # quota, creates, one read per item, publish
    assert sb.stats()["total"] == 28 <= 1.5 * minimum


def test_a_45_image_chain_stays_within_one_and_a_half_times_the_minimum(
    sb: ThreadsSandbox, client: ThreadsPipe
) -> None:
    result = client.pipe(CHAIN_TEXT, files=images(45))
    assert result.ok, result
    assert [p["media_type"] for p in sb.posts] == ["CAROUSEL_ALBUM"] * 3
    quota, creates, reads, publishes = counts(sb)
    assert reads >= 45  # every item read at least once
    assert (quota, creates, publishes) == (1, 48, 3)
    minimum = 1 + 48 + 45 + 3
    assert sb.stats()["total"] <= 1.5 * minimum


def test_a_client_learns_what_processing_takes(sb: ThreadsSandbox, client: ThreadsPipe) -> None:
    assert client.pipe("First carousel", files=images(3, "a")).ok
    first = sb.stats()["status"]
    sb.clear_requests()
    assert client.pipe("Second carousel", files=images(3, "b")).ok
    # It now reads the watched item at what it measured (between 1.717 and 1.838 s: at most one
    # read in the middle, one at the end) instead of starting from its 1.5 s guess.
    assert sb.stats()["status"] < first
    assert sb.stats()["status"] <= 2 + 2 + 2  # watched item, the other two, the carousel


def test_nothing_is_published_before_the_quota_says_the_chain_fits(
    sb: ThreadsSandbox, client: ThreadsPipe
) -> None:
    held = sb.hold("GET", QUOTA)
    done: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: done.update(result=client.pipe("Waits for quota")))
    worker.start()
    try:
        assert held.wait_arrived(5)
        wait_for(lambda: len(sb.requests_to("POST", CREATE)) == 1)  # created meanwhile...
        assert sb.requests_to("POST", PUBLISH) == []  # ...but not published
        assert sb.publish_attempts == 0
    finally:
        held.release()
        worker.join(10)
    assert done["result"].ok
    assert len(sb.posts) == 1


def test_a_quota_read_failing_on_resume_keeps_the_part_in_doubt(
    sb: ThreadsSandbox, client: ThreadsPipe
) -> None:
    sb.fail("POST", PUBLISH, times=3)  # every publish of the call gets a 500: in doubt
    result = client.pipe("Doubtful")
    doubt = result["data"]["in_doubt"]
    sb.fail("GET", QUOTA, times=None)
    again = client.resume_pipe(result)
    assert again["message"] == "Could not check the publishing quota"
    assert again["data"]["in_doubt"] == doubt  # still to settle before anything is sent
    assert again["data"]["parts"][0]["state"] == "in_doubt"
    sb.clear_faults()
    final = client.resume_pipe(again)
    assert final.ok
    assert_published_once(sb, final, ["Doubtful"])


def test_a_lost_answer_for_a_container_still_processing_is_settled_by_waiting(
    fake: FakeTime,
) -> None:
    with ThreadsSandbox(processing_delays={"TEXT": 2.0}) as sb:
        fake.sandbox = sb
        tp = fake.install(sb.client())
        sb.fail("POST", PUBLISH, after=True)  # refused as not ready, but the answer is a 500
        result = tp.pipe("Still processing")
    assert result.ok, result
    assert_published_once(sb, result, ["Still processing"])
    assert sb.publish_attempts == 2  # sent again only after the status showed FINISHED
    assert len(sb.containers) == 1


def test_a_bad_file_in_a_later_carousel_stops_the_chain_before_anything_is_live(
    sb: ThreadsSandbox, client: ThreadsPipe
) -> None:
    files = [*images(24), "https://nowhere.invalid/broken.jpg"]  # item 25: the 2nd carousel
    result = client.pipe("Two carousels", files=files)
    assert not result.ok
    assert result["error"]["error_class"] == "MediaProcessingError"
    assert result["message"].startswith("Could not publish part 2 of 2")
    assert [p["state"] for p in result["data"]["parts"]] == ["not_sent", "not_sent"]
    assert sb.requests_to("POST", PUBLISH) == []
    assert sb.posts == []


def test_a_background_wait_ends_with_the_call(fake: FakeTime) -> None:
    # The second carousel holds a video that never finishes; the first carousel's container
    # is refused, so the call ends while its items are still being waited for.
    with ThreadsSandbox(processing_delays={**DELAYS, "VIDEO": 10**6}) as sb:
        fake.sandbox = sb
        tp = fake.install(sb.client(container_timeout=10**6))
        sb.fail("POST", CREATE, code=100, params={"media_type": "CAROUSEL"})
        files = [*images(24), "https://cdn.example.com/v/never.mp4"]
        result = tp.pipe("Two carousels", files=files)
        assert not result.ok and result["error"]["code"] == 100

        def waiting() -> bool:
            return any(t.name.startswith("threadspipepy-items") for t in threading.enumerate())

        wait_for(lambda: not waiting())
        reads = len(sb.requests_to("GET", STATUS))
        assert reads < 60  # stopped at its next pause, not after a million seconds of reads
        assert sb.posts == []
