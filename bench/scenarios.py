"""What the benchmark posts, what the sandbox is set to, and the sandbox's lower bound.

Pure values and arithmetic: no I/O, so run.py, the report and a reader can share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Processing times the sandbox simulates per container type (seconds after creation). Image,
# video and text as the benchmark brief sets them; CAROUSEL keeps the sandbox's own default.
# Some scenarios move one of them off this grid (Scenario.delays).
PROCESSING_DELAYS: dict[str, float] = {"TEXT": 0.0, "IMAGE": 2.0, "VIDEO": 8.0, "CAROUSEL": 0.2}
LATENCY = 0.02  # seconds the sandbox adds to every request
DEFAULT_045_WAIT = 35.0  # ThreadsPipe-py 0.4.5's post_publish_wait_time / media_item_...
FAST_045_WAIT = 2.0  # the "tuned" 0.4.5 run: both wait times set to 2 s

_SEED = (
    "threads chains posts across parts while the client keeps every word whole and polls "
    "each container until the server reports that processing has finished so nothing is lost"
)
_WORDS = _SEED.split()


def prose(length: int) -> str:
    """Deterministic English-like text of exactly `length` characters, sentences included."""
    words: list[str] = []
    size, i = 0, 0
    while size < length:
        word = _WORDS[i % len(_WORDS)]
        if i % 12 == 0:
            word = word.capitalize()
        if i % 12 == 11:
            word += "."
        words.append(word)
        size += len(word) + 1
        i += 1
    text = " ".join(words)[:length].rstrip()
    return (text + "x" * length)[:length] if len(text) < length else text


def image_urls(count: int) -> tuple[str, ...]:
    """Image URLs on an outside host: the sandbox treats them as fetchable JPEGs."""
    return tuple(f"https://cdn.example.com/i/{i}.jpg" for i in range(count))


@dataclass(frozen=True)
class PostShape:
    """One post of the chain as Threads will show it: TEXT, IMAGE, VIDEO or CAROUSEL."""

    kind: str
    items: int = 0  # carousel children

    def label(self) -> str:
        return f"carousel of {self.items}" if self.kind == "CAROUSEL" else self.kind.lower()


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    text: str
    files: tuple[str, ...]
    shape: tuple[PostShape, ...]  # the chain both clients should publish
    # Does 0.4.5 sleep at all here (a container not FINISHED at its first poll)?
    sleeps_in_045: bool
    # Run 0.4.5 at its 35 s defaults for real in a normal run (else: a marked estimate).
    real_045_defaults: bool = True
    # Processing times that differ from PROCESSING_DELAYS in this scenario.
    off_grid: Mapping[str, float] = field(default_factory=dict)
    # How far from the lower bound and the minimum request count threadspipepy may be.
    wall_goal: float = 1.15
    requests_goal: float = 1.5

    @property
    def item_count(self) -> int:
        return sum(p.items for p in self.shape)

    @property
    def delays(self) -> dict[str, float]:
        return {**PROCESSING_DELAYS, **self.off_grid}

    @property
    def containers_that_process(self) -> int:
        """Containers with a processing time: carousel items, carousels, single media."""
        return self.item_count + sum(1 for p in self.shape if p.kind != "TEXT")


CHAIN_TEXT = prose(1200)
VIDEO_URL = ("https://cdn.example.com/v/clip.mp4",)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        key="text",
        title="1. One text post",
        text="Benchmark: one short text post on the offline sandbox.",
        files=(),
        shape=(PostShape("TEXT"),),
        sleeps_in_045=False,
        wall_goal=1.3,
        requests_goal=1.0,
    ),
    Scenario(
        key="chain3",
        title="2. 1,200-character chain (3 parts)",
        text=CHAIN_TEXT,
        files=(),
        shape=(PostShape("TEXT"),) * 3,
        sleeps_in_045=False,
        wall_goal=1.3,
        requests_goal=1.0,
    ),
    Scenario(
        key="carousel10",
        title="3. 10-image carousel",
        text="Benchmark: a 10-image carousel.",
        files=image_urls(10),
        shape=(PostShape("CAROUSEL", 10),),
        sleeps_in_045=True,
    ),
    Scenario(
        key="chain45",
        title="4. 45-image chain with 1,200 characters",
        text=CHAIN_TEXT,
        files=image_urls(45),
        shape=(PostShape("CAROUSEL", 20), PostShape("CAROUSEL", 20), PostShape("CAROUSEL", 5)),
        sleeps_in_045=True,
        real_045_defaults=False,
    ),
    Scenario(
        key="video",
        title="5. One video",
        text="Benchmark: one video.",
        files=VIDEO_URL,
        shape=(PostShape("VIDEO"),),
        sleeps_in_045=True,
        requests_goal=3.0,
    ),
    Scenario(
        key="carousel10-2.7",
        title="6. 10-image carousel, images at 2.7 s",
        text="Benchmark: a 10-image carousel.",
        files=image_urls(10),
        shape=(PostShape("CAROUSEL", 10),),
        sleeps_in_045=True,
        real_045_defaults=False,
        off_grid={"IMAGE": 2.7},
    ),
    Scenario(
        key="chain45-2.7",
        title="7. 45-image chain, images at 2.7 s",
        text=CHAIN_TEXT,
        files=image_urls(45),
        shape=(PostShape("CAROUSEL", 20), PostShape("CAROUSEL", 20), PostShape("CAROUSEL", 5)),
        sleeps_in_045=True,
        real_045_defaults=False,
        off_grid={"IMAGE": 2.7},
    ),
    Scenario(
        key="video-9.5",
        title="8. One video at 9.5 s",
        text="Benchmark: one video.",
        files=VIDEO_URL,
        shape=(PostShape("VIDEO"),),
        sleeps_in_045=True,
        requests_goal=3.0,
        off_grid={"VIDEO": 9.5},
    ),
)


def lower_bound(
    shape: tuple[PostShape, ...],
    latency: float = LATENCY,
    delays: dict[str, float] | None = None,
    *,
    items_per_post: bool = False,
) -> float:
    """The fastest any client could publish `shape` on the sandbox, in seconds.

    Every request costs at least one `latency`. The chain is sequential (post i+1 replies to
    post i, which must be published first); each post needs a create and a publish round trip
    around its own processing time. Carousel items carry no reply_to_id, so all of them can be
    created at once, in parallel (one round trip), and process side by side (one image delay).
    With `items_per_post=True` a post's items are only created when its turn comes (what a
    client that builds one post at a time can reach).
    Status polls are not counted: a client that knew the delays could skip them.
    """
    delays = delays or PROCESSING_DELAYS
    item_delay = max((delays["IMAGE"] for p in shape if p.items), default=0.0)
    items_ready = latency + item_delay  # every item of the chain, created at t = 0
    t = 0.0
    for post in shape:
        start = t
        if post.items:
            start = t + latency + item_delay if items_per_post else max(t, items_ready)
        t = start + latency + delays[post.kind] + latency  # create, process, publish
    return t


def minimum_round_trips(shape: tuple[PostShape, ...]) -> int:
    """Round trips on the critical path of `lower_bound` (items created at once count 1)."""
    return (1 if any(p.items for p in shape) else 0) + 2 * len(shape)


def minimum_requests(shape: tuple[PostShape, ...]) -> int:
    """The fewest Graph requests that publish `shape` safely.

    One quota read; one create per post and per carousel item; one status read per carousel
    item (a carousel container needs FINISHED children) and per single image or video (Meta
    documents no way to learn that one is ready other than reading it); one publish per post.
    Text and carousel containers need no read: they can be published as soon as they exist
    (a carousel's children being ready).
    """
    items = sum(p.items for p in shape)
    single_media = sum(1 for p in shape if p.kind in ("IMAGE", "VIDEO"))
    return 1 + (len(shape) + items) + (items + single_media) + len(shape)
