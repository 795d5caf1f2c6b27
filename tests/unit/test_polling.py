"""The status schedule and what a client learns about processing times: pure logic."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadspipepy._polling import (
    EXPECTED_SECONDS,
    FINE_GROWTH,
    MIN_GAP,
    ProcessingTimes,
    read_offsets,
)


def offsets(first: float, max_pause: float = 35.0, probe: float | None = None, n: int = 40):
    return list(itertools.islice(read_offsets(first, max_pause, probe), n))


def seen_at(schedule: list[float], ready: float) -> float:
    """When a container ready `ready` s after creation is first read as finished."""
    return next(t for t in schedule if t >= ready)


def test_the_first_read_comes_when_the_type_should_be_ready() -> None:
    schedule = offsets(1.5)
    assert schedule[0] == 1.5
    assert schedule[1:4] == pytest.approx([1.5 * FINE_GROWTH**k for k in (1, 2, 3)])


@given(st.floats(min_value=0.5, max_value=20), st.floats(min_value=0.0, max_value=1.0))
def test_near_the_expected_time_readiness_is_seen_at_most_7_percent_late(
    first: float, share: float
) -> None:
    ready = first * (1 + share)  # between the first read and twice it
    late = seen_at(offsets(first, n=200), ready) - ready
    assert FINE_GROWTH <= 1.07
    assert late <= max((FINE_GROWTH - 1) * ready, MIN_GAP) + 1e-9


@given(st.floats(min_value=0.1, max_value=20), st.floats(min_value=0.0, max_value=60))
def test_no_two_reads_are_more_than_max_pause_apart(first: float, max_pause: float) -> None:
    schedule = [0.0, *offsets(first, max_pause, n=120)]
    gaps = [b - a for a, b in itertools.pairwise(schedule)]
    assert max(gaps) <= max(max_pause, MIN_GAP) + 1e-9
    assert min(gaps[1:]) >= MIN_GAP - 1e-9 or max_pause < MIN_GAP


def test_a_long_video_costs_a_bounded_number_of_reads() -> None:
    # Five minutes of processing, the default 35 s cap: about two dozen reads, not hundreds.
    schedule = offsets(EXPECTED_SECONDS["VIDEO"], 35.0, n=200)
    reads = sum(1 for t in schedule if t <= 300)
    assert reads <= 25
    assert seen_at(schedule, 300) - 300 <= 35


def test_a_pause_capped_below_the_expected_time_reads_on_the_way() -> None:
    assert offsets(5.0, max_pause=2.0, n=4) == pytest.approx([2.0, 4.0, 5.0, 5.0 * FINE_GROWTH])


def test_a_probe_reads_before_the_expected_time() -> None:
    assert offsets(0.25, probe=0.125, n=3) == [0.125, 0.25, 0.35]


def test_a_probe_too_close_to_the_expected_time_is_not_worth_a_read() -> None:
    assert offsets(0.2, probe=0.15, n=2) == pytest.approx([0.2, 0.3])


def test_a_new_client_starts_from_the_guess_for_the_type() -> None:
    times = ProcessingTimes()
    assert times.plan("IMAGE") == (EXPECTED_SECONDS["IMAGE"], None)
    assert times.plan("SOMETHING") == (1.0, None)


def test_learning_narrows_the_interval_from_both_sides() -> None:
    times = ProcessingTimes()
    times.record("IMAGE", 1.9, 2.2)  # still processing at 1.9 s, finished when read at 2.2 s
    first, probe = times.plan("IMAGE")
    assert first == 2.2 and probe == (1.9 + 2.2) / 2
    times.record("IMAGE", None, probe)  # finished at the probe: the end moves down
    assert times.snapshot()["IMAGE"] == (1.9, probe)
    times.record("IMAGE", 2.0, 2.05)  # processing at a later probe: the start moves up
    assert times.plan("IMAGE") == (2.05, None)  # narrow enough: read at the end only


def test_a_type_that_became_faster_is_followed_down() -> None:
    times = ProcessingTimes()
    times.record("VIDEO", 7.9, 8.0)
    firsts = []
    for _ in range(20):  # every first read now finds it finished: try earlier each time
        first, probe = times.plan("VIDEO")
        firsts.append(probe if probe is not None else first)
        times.record("VIDEO", None, firsts[-1])
    assert all(b < a for a, b in itertools.pairwise(firsts))
    assert firsts[-1] < 2.0


def test_a_type_that_became_slower_is_followed_up() -> None:
    times = ProcessingTimes()
    times.record("VIDEO", 4.9, 5.0)
    times.record("VIDEO", 9.0, 9.7)
    assert times.plan("VIDEO") == (9.7, (9.0 + 9.7) / 2)


def test_types_are_learned_separately() -> None:
    times = ProcessingTimes()
    times.record("IMAGE", None, 0.5)
    assert times.plan("VIDEO") == (EXPECTED_SECONDS["VIDEO"], None)
