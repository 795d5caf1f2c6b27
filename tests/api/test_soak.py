"""The soak: many pipe() calls with random faults, each failure resumed once.

A seeded run of THREADSPIPEPY_SOAK_CALLS calls (default 500, the issue's floor) with
THREADSPIPEPY_SOAK_RATE random faults (default 5 %) on every request: server errors before
and after processing, HTML pages, rate limits, drops and resets. Chains vary: one to three
text parts, with no media, media URLs or local files (a carousel or a single image). Faults
stop for the resume; after all calls: 0 lost (every chain complete), 0 duplicated (no part
twice), 0 orphaned (nothing left on the fake GitHub).

`THREADSPIPEPY_SOAK_SEED` picks the draw; CI runs the default seed. Run longer on demand:
`THREADSPIPEPY_SOAK_CALLS=5000 python -m pytest tests/api/test_soak.py`.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

from threadspipepy import ThreadsPipe
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import png
from .chain_checks import posts_of_chain
from .conftest import FakeTime

CALLS = int(os.environ.get("THREADSPIPEPY_SOAK_CALLS", "500"))
RATE = float(os.environ.get("THREADSPIPEPY_SOAK_RATE", "0.05"))
SEED = int(os.environ.get("THREADSPIPEPY_SOAK_SEED", "20261206"))
SENTENCE = "Each sentence of this soak adds a little more text to the chain. "


def random_call(rng: random.Random, n: int) -> tuple[str, list[Any]]:
    text = f"Soak call {n}. " + SENTENCE * rng.choice([1, 4, 9, 14])
    shape = rng.choice(["text", "text", "urls", "local", "single"])
    files: list[Any] = []
    if shape == "urls":
        files = [f"https://cdn.example.com/soak/{n}/{i}.jpg" for i in range(rng.randint(2, 4))]
    elif shape == "local":
        files = [png(n * 10 + i) for i in range(2)]
    elif shape == "single":
        files = [png(n * 10)]
    return text.strip(), files


@pytest.fixture
def soak_client(sandbox: ThreadsSandbox) -> ThreadsPipe:
    # An account with room for the whole run: the soak is about faults, not quotas.
    account = sandbox.add_account(quota_total=10**6, reply_quota_total=10**6)
    tp = sandbox.client(user_id=account.user_id, access_token=account.access_token)
    return FakeTime(sandbox).install(tp)


def test_soak_with_random_faults(sandbox: ThreadsSandbox, soak_client: ThreadsPipe) -> None:
    rng = random.Random(SEED)
    expected: dict[int, list[str]] = {}
    failures = resumed = 0
    for n in range(CALLS):
        text, files = random_call(rng, n)
        expected[n] = soak_client.split_post(text)
        sandbox.chaos(RATE, seed=rng.randrange(2**32))
        result = soak_client.pipe(text, files=files)
        sandbox.chaos(0)
        assert isinstance(result, dict)  # nothing escaped
        if not result.ok:
            failures += 1
            result = soak_client.resume_pipe(result)
            resumed += result.ok
            assert result.ok, (n, result)

    lost = duplicated = 0
    for n, texts in expected.items():
        chain = posts_of_chain(sandbox, f"Soak call {n}. ")
        lost += len(chain) < len(texts)
        duplicated += len(chain) > len(texts)
        assert [p["text"] for p in chain] == texts
    mine = [p for p in sandbox.posts if p["username"] != sandbox.default_account.username]
    assert len(mine) == sum(len(t) for t in expected.values())  # no stray post anywhere
    orphaned = len(sandbox.github_files)
    assert (lost, duplicated, orphaned) == (0, 0, 0)
    assert failures > CALLS * RATE  # the faults did bite (several requests per call)
    assert resumed == failures
