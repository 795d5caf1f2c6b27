"""Result dicts keep 0.4.5's shapes and raise the typed exception on demand."""

from __future__ import annotations

import json

import pytest

from threadspipepy import results
from threadspipepy.errors import RateLimitError, ThreadsAPIError, error_from_envelope


def test_success_shape() -> None:
    result = results.success("done", {"media_ids": ["1"]})
    assert result == {"info": "success", "data": {"media_ids": ["1"]}, "message": "done"}
    assert result.ok and "error" not in result
    assert result.raise_for_error() is result
    assert json.loads(json.dumps(result)) == result


def test_failure_shape_and_raise() -> None:
    exc = RateLimitError("quota", code=4, status_code=400, fbtrace_id="T1")
    result = results.failure("Rate limit exceeded!", exc)
    assert result["info"] == "error" and result["message"] == "Rate limit exceeded!"
    assert result["error"]["code"] == 4 and result["error"]["fbtrace_id"] == "T1"
    assert result["error"]["status_code"] == 400
    assert not result.ok
    with pytest.raises(RateLimitError) as caught:
        result.raise_for_error()
    assert caught.value is exc


def test_graph_failure_rebuilt_from_a_plain_copy() -> None:
    exc = error_from_envelope({"error": {"message": "gone", "code": 100, "error_subcode": 33}}, 400)
    copy = results.Result(dict(results.graph_failure(exc)))  # e.g. after a JSON round trip
    with pytest.raises(ThreadsAPIError, match="gone"):
        copy.raise_for_error()


def test_failure_keeps_partial_data() -> None:
    result = results.failure("part 2 failed", ThreadsAPIError("x"), data={"media_ids": ["1"]})
    assert result["data"] == {"media_ids": ["1"]}
