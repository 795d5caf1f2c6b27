"""The generic paginator: lazy, largest pages by default, limit=, and every way it stops."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadspipepy import NotFoundError, ValidationError, results
from threadspipepy.errors import error_from_envelope
from threadspipepy.reading import MAX_PAGE_SIZE, next_cursor, paginate


class FakeServer:
    """A list of `total` items served in pages, like Meta: cursors on every page but the
    last (`last_after=True` puts one on the last page too)."""

    def __init__(self, total: int, *, last_after: bool = False) -> None:
        self.items = [{"id": str(i)} for i in range(total)]
        self.calls: list[tuple[str | None, int]] = []
        self.last_after = last_after

    def __call__(self, after: str | None, size: int) -> dict[str, Any]:
        self.calls.append((after, size))
        start = 0 if after is None else int(after) + 1
        page = self.items[start : start + size]
        body: dict[str, Any] = {"data": page}
        more = start + size < len(self.items)
        if page and (more or self.last_after):
            body["paging"] = {"cursors": {"before": page[0]["id"], "after": page[-1]["id"]}}
        return body


def test_walks_every_page_with_the_largest_page_size() -> None:
    server = FakeServer(1000)
    ids = [item["id"] for item in paginate(server)]
    assert ids == [str(i) for i in range(1000)]
    assert len(server.calls) == math.ceil(1000 / MAX_PAGE_SIZE) == 10
    assert {size for _, size in server.calls} == {100}
    assert server.calls[0][0] is None and server.calls[1][0] == "99"


def test_is_lazy() -> None:
    server = FakeServer(250)
    iterator = paginate(server)
    assert server.calls == []
    assert next(iterator) == {"id": "0"}
    assert len(server.calls) == 1
    for _ in range(100):
        next(iterator)
    assert len(server.calls) == 2


@pytest.mark.parametrize(("limit", "calls", "sizes"), [(10, 1, [10]), (150, 2, [100, 50])])
def test_stops_at_limit_and_asks_only_for_what_it_needs(
    limit: int, calls: int, sizes: list[int]
) -> None:
    server = FakeServer(1000)
    assert len(list(paginate(server, limit=limit))) == limit
    assert [size for _, size in server.calls] == sizes
    assert len(server.calls) == calls


def test_limit_zero_sends_nothing() -> None:
    server = FakeServer(5)
    assert list(paginate(server, limit=0)) == []
    assert server.calls == []


def test_page_size_is_capped_at_100() -> None:
    server = FakeServer(30)
    assert len(list(paginate(server, page_size=7))) == 30
    assert [size for _, size in server.calls] == [7, 7, 7, 7, 7]
    server = FakeServer(30)
    list(paginate(server, page_size=500))
    assert server.calls[0][1] == 100


def test_stops_on_an_empty_page_when_the_last_page_has_a_cursor() -> None:
    server = FakeServer(200, last_after=True)
    assert len(list(paginate(server))) == 200
    assert len(server.calls) == 3  # the third answers with no data


def test_stops_on_a_repeating_cursor() -> None:
    calls: list[str | None] = []

    def stuck(after: str | None, size: int) -> dict[str, Any]:
        calls.append(after)
        return {"data": [{"id": "x"}], "paging": {"cursors": {"after": "SAME"}}}

    assert len(list(paginate(stuck))) == 2
    assert calls == [None, "SAME"]


def test_cycle_between_two_cursors_also_ends() -> None:
    cursors = iter(["A", "B", "A", "B"])

    def cycling(after: str | None, size: int) -> dict[str, Any]:
        return {"data": [{"after": after}], "paging": {"cursors": {"after": next(cursors)}}}

    assert [item["after"] for item in paginate(cycling)] == [None, "A", "B"]


@pytest.mark.parametrize(
    "page",
    [
        {"data": [{"id": "1"}]},
        {"data": [{"id": "1"}], "paging": {}},
        {"data": [{"id": "1"}], "paging": {"cursors": {"before": "b"}}},
        {"data": [{"id": "1"}], "paging": {"cursors": {"after": ""}}},
    ],
)
def test_a_page_without_after_is_the_last(page: dict[str, Any]) -> None:
    calls = []

    def once(after: str | None, size: int) -> dict[str, Any]:
        calls.append(after)
        return page

    assert list(paginate(once)) == [{"id": "1"}]
    assert calls == [None]


def test_old_top_level_paging_after_is_read() -> None:
    assert next_cursor({"paging": {"after": "Z"}}) == "Z"
    assert next_cursor({"paging": {"cursors": {"after": "Y"}, "after": "Z"}}) == "Y"
    assert next_cursor({}) is None


def test_a_failed_page_raises_its_typed_error() -> None:
    exc = error_from_envelope({"error": {"message": "gone", "code": 100, "error_subcode": 33}}, 400)

    def failing(after: str | None, size: int) -> Mapping[str, Any]:
        if after is None:
            return {"data": [{"id": "1"}], "paging": {"cursors": {"after": "c"}}}
        return results.graph_failure(exc)

    iterator = paginate(failing)
    assert next(iterator) == {"id": "1"}
    with pytest.raises(NotFoundError) as caught:
        next(iterator)
    assert caught.value is exc

    def plain(after: str | None, size: int) -> Mapping[str, Any]:
        return {"error": {"message": "bad token", "code": 190}}

    with pytest.raises(Exception, match="bad token"):
        list(paginate(plain))


@pytest.mark.parametrize("limit", [-1, 1.5, "10", True])
def test_bad_limit_is_refused_before_any_page(limit: Any) -> None:
    server = FakeServer(3)
    with pytest.raises(ValidationError, match="limit"):
        paginate(server, limit=limit)
    assert server.calls == []


def test_bad_page_size_is_refused() -> None:
    with pytest.raises(ValidationError, match="page_size"):
        paginate(FakeServer(3), page_size=0)


@given(
    total=st.integers(0, 450),
    page_size=st.integers(1, 120),
    limit=st.none() | st.integers(0, 500),
)
def test_each_item_once_in_order(total: int, page_size: int, limit: int | None) -> None:
    server = FakeServer(total)
    ids = [item["id"] for item in paginate(server, limit=limit, page_size=page_size)]
    expected = total if limit is None else min(total, limit)
    assert ids == [str(i) for i in range(expected)]
    size = min(page_size, MAX_PAGE_SIZE)
    assert len(server.calls) <= max(1, math.ceil(expected / size))
