"""Checks on the sandbox's state after a chain: each part live exactly once, in order, linked,
and nothing left on the fake GitHub. Shared by the exactly-once, fault-matrix and soak tests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any

from threadspipepy import ThreadsPipe
from threadspipepy.testing import ThreadsSandbox

PUBLISH = "/v1.0/*/threads_publish"
CREATE = "/v1.0/*/threads"
QUOTA = "/v1.0/*/threads_publishing_limit"
STATUS = "/v1.0/181*"  # container ids start with 181 in the sandbox
GITHUB = "/github/*"


def posts_of_chain(sb: ThreadsSandbox, first_text: str) -> list[dict[str, Any]]:
    """The posts of the chain that starts with a post whose text begins with `first_text`,
    following replies; every post of the account must belong to some chain only once."""
    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    for post in sb.posts:
        by_parent.setdefault(post["reply_to_id"], []).append(post)
    roots = [p for p in sb.posts if (p["text"] or "").startswith(first_text)]
    assert len(roots) == 1, f"the chain's first part is live {len(roots)} times"
    chain = [roots[0]]
    while by_parent.get(chain[-1]["id"]):
        children = by_parent[chain[-1]["id"]]
        assert len(children) == 1, f"post {chain[-1]['id']} has {len(children)} next parts"
        chain.append(children[0])
    return chain


def assert_published_once(
    sb: ThreadsSandbox, result: Mapping[str, Any], texts: Sequence[str | None]
) -> None:
    """The whole chain is live once, in order, each part replying to the one before, and the
    result lists exactly those ids."""
    assert len(sb.posts) == len(texts), [p["text"] for p in sb.posts]
    chain = posts_of_chain(sb, (texts[0] or "")[:20])
    assert [p["text"] for p in chain] == list(texts)
    assert result["data"]["media_ids"] == [p["id"] for p in chain]
    for before, after in itertools.pairwise(chain):
        assert after["reply_to_id"] == before["id"]


def assert_nothing_hosted(sb: ThreadsSandbox) -> None:
    assert sb.github_files == {}, sorted(sb.github_files)


def finish(tp: ThreadsPipe, result: Any) -> Any:
    """Resume a failure once (faults cleared by the caller); return the final result."""
    if result.ok:
        return result
    resumed = tp.resume_pipe(result)
    assert resumed.ok, resumed
    return resumed


def wait_for(condition: Any, seconds: float = 5.0) -> None:
    """Wait (real time) for something the sandbox does after the client stopped listening."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the sandbox never got there"
        time.sleep(0.01)
