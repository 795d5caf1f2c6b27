"""When to read a container's status: a schedule per media type that learns from this client.

Meta documents no processing times. It suggests waiting about 30 seconds before publishing and
reading a status about once a minute, which would make a two-second image wait half a minute.
So the first read of a container comes when its media type is expected to be ready: a starting
guess per type (`EXPECTED_SECONDS`), replaced by what this client has measured on its own
containers (`ProcessingTimes`). Around the expected time reads are close together, so readiness
is seen at most 7 % late; far past it they spread out (x1.5, never more than `max_pause`
apart), so a long video costs a bounded number of reads.

What is learned, per media type, is an interval: the latest moment a read still found a
container processing and the earliest one that found it finished (seconds after creation).
The next container of that type is read first in the middle of that interval (when it is
still wide), then at its end, then on the growing schedule; a read in the middle that finds it
finished narrows the interval from above, one that does not narrows it from below. When no read
saw a container still processing, the lower end is moved earlier, so a type that became faster
is followed down as well as up. Pure arithmetic, plus one lock: no I/O, no clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

# Seconds after creation at which a container of each type is first read, until this client
# has seen one finish. Guesses, not Meta's figures: text is ready at once, an image in a second
# or two, a video in several; a carousel container only gathers children that are ready.
EXPECTED_SECONDS: Mapping[str, float] = {"TEXT": 0.25, "IMAGE": 1.5, "VIDEO": 6.0, "CAROUSEL": 0.1}
DEFAULT_EXPECTED = 1.0  # a media type without a guess
FINE_GROWTH = 1.07  # each read 7 % later than the one before, near the expected time...
FINE_SPAN = 2.0  # ...until twice the expected time,
COARSE_GROWTH = 1.5  # then 50 % later each time (a long video)
MIN_GAP = 0.1  # seconds between two reads, at least
CONVERGED = 0.05  # an interval narrower than 5 % of its end is not narrowed further
EARLIER = 0.75  # how far the lower end moves when no read saw the container processing


def read_offsets(first: float, max_pause: float, probe: float | None = None) -> Iterator[float]:
    """Seconds after creation at which to read a container's status (an endless schedule).

    `probe` (an earlier read, while the learned interval is wide), then `first` (when the
    container is expected to be ready), then reads 7 % apart until twice `first` and
    50 % apart after that. No two reads, and not the first read after creation, are more than
    `max_pause` apart; two reads are at least `MIN_GAP` apart.
    """
    step = max(max_pause, MIN_GAP)
    offset = 0.0
    # A probe less than MIN_GAP before the expected read is not worth a request of its own.
    stops = [probe, first] if probe is not None and 0 <= probe <= first - MIN_GAP else [first]
    for stop in stops:
        while stop - offset > step:  # a pause capped by max_pause: read on the way
            offset += step
            yield offset
        offset = max(stop, offset + MIN_GAP) if offset > 0 else max(stop, 0.0)
        yield offset
    while True:
        growth = FINE_GROWTH if offset < FINE_SPAN * first else COARSE_GROWTH
        offset += max(MIN_GAP, min(offset * (growth - 1.0), max_pause))
        yield offset


class ProcessingTimes:
    """What this client has seen containers take to process, per media type (thread-safe).

    One instance per client: every `pipe()` of that client reads its containers on the
    schedule the earlier ones taught it.
    """

    def __init__(self, expected: Mapping[str, float] = EXPECTED_SECONDS) -> None:
        self._expected = dict(expected)
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float | None, float]] = {}  # kind -> (processing, finished)

    def plan(self, kind: str) -> tuple[float, float | None]:
        """`(first, probe)` for a new container of this type (see `read_offsets`)."""
        with self._lock:
            seen = self._seen.get(kind)
        if seen is None:
            return self._expected.get(kind, DEFAULT_EXPECTED), None
        low, high = seen
        if low is not None and high - low > CONVERGED * high:
            return high, (low + high) / 2
        return high, None

    def expected(self, kind: str) -> float:
        """When a new container of this type should be ready, in seconds after creation."""
        return self.plan(kind)[0]

    def record(self, kind: str, processing_at: float | None, finished_at: float) -> None:
        """A container of `kind` was still processing when read at `processing_at` (None: no
        read saw it processing) and finished when read at `finished_at` (seconds after its
        creation, when each read was sent)."""
        if finished_at < 0:
            return
        with self._lock:
            old = self._seen.get(kind)
            low = processing_at
            if low is None or low >= finished_at:
                old_low = old[0] if old is not None else None
                still_wide = old_low is not None and finished_at - old_low > CONVERGED * finished_at
                low = old_low if still_wide else finished_at * EARLIER
            self._seen[kind] = (low, finished_at)

    def snapshot(self) -> dict[str, tuple[float | None, float]]:
        """What has been learned so far: media type -> (still processing at, finished at)."""
        with self._lock:
            return dict(self._seen)
