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
from threadspipepy.reading import (
    MAX_PAGE_SIZE,
    NextPage,
    link_cursor,
    link_request,
    next_cursor,
    next_page,
    paginate,
)


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


# -- pages with paging.next / paging.previous links ----------------------------------------------
class LinkedServer:
    """`total` items in pages with Meta's links: `next` while items follow, `previous` while
    items precede, both cursors on every page (the last included)."""

    def __init__(self, total: int, base: str = "https://graph.threads.net") -> None:
        self.items = [{"id": str(i)} for i in range(total)]
        self.base = base
        self.calls: list[tuple[str, str | None, int]] = []

    def page(self, after: str | None, size: int) -> dict[str, Any]:
        start = 0 if after is None else int(after) + 1
        page = self.items[start : start + size]
        if not page:
            return {"data": []}
        paging: dict[str, Any] = {"cursors": {"before": page[0]["id"], "after": page[-1]["id"]}}
        url = f"{self.base}/v1.0/me/threads?fields=id&limit={size}"
        if start + size < len(self.items):
            paging["next"] = f"{url}&after={page[-1]['id']}"
        if start > 0:
            paging["previous"] = f"{url}&before={page[0]['id']}"
        return {"data": page, "paging": paging}

    def fetch(self, after: str | None, size: int) -> dict[str, Any]:
        self.calls.append(("cursor", after, size))
        return self.page(after, size)

    def follow(self, url: str, size: int) -> dict[str, Any] | None:
        request = link_request(url, "https://graph.threads.net", size)
        if request is None:
            return None
        self.calls.append(("link", str(request.params["after"]), size))
        return self.page(str(request.params["after"]), size)


def test_follows_next_links_and_stops_where_none_is_next() -> None:
    server = LinkedServer(1000)
    ids = [item["id"] for item in paginate(server.fetch, follow_link=server.follow)]
    assert ids == [str(i) for i in range(1000)]
    # 10 pages: the 10th has `previous` but no `next`, so its `after` is not asked for.
    assert len(server.calls) == 10
    assert server.calls[0] == ("cursor", None, 100)
    assert {kind for kind, _, _ in server.calls[1:]} == {"link"}


def test_without_a_follower_the_cursor_is_used_and_links_still_end_the_walk() -> None:
    server = LinkedServer(250)
    assert len(list(paginate(server.fetch))) == 250
    assert [after for _, after, _ in server.calls] == [None, "99", "199"]


def test_a_link_to_another_host_falls_back_to_the_cursor() -> None:
    server = LinkedServer(250, base="https://graph.threads.example")
    assert len(list(paginate(server.fetch, follow_link=server.follow))) == 250
    assert [kind for kind, _, _ in server.calls] == ["cursor"] * 3


@pytest.mark.parametrize(
    "paging",
    [
        {"cursors": {"before": "b", "after": "a"}, "previous": "https://graph.threads.net/x"},
        {"cursors": {"after": "a"}, "previous": "https://graph.threads.net/x", "next": ""},
    ],
)
def test_links_without_next_end_the_walk_despite_an_after_cursor(paging: dict[str, Any]) -> None:
    calls: list[str | None] = []

    def once(after: str | None, size: int) -> dict[str, Any]:
        calls.append(after)
        return {"data": [{"id": "1"}], "paging": paging}

    assert list(paginate(once)) == [{"id": "1"}]
    assert calls == [None]
    assert next_page({"data": [{"id": "1"}], "paging": paging}) is None


def test_next_link_with_an_already_asked_cursor_is_not_followed() -> None:
    fetched: list[str | None] = []
    followed: list[str] = []

    def fetch(after: str | None, size: int) -> dict[str, Any]:
        fetched.append(after)
        return {
            "data": [{"id": "x"}],
            "paging": {"cursors": {"after": "A"}, "next": "https://graph.threads.net/p?after=A"},
        }

    def follow(url: str, size: int) -> dict[str, Any]:
        followed.append(url)
        return fetch("A", size)

    assert len(list(paginate(fetch, follow_link=follow))) == 2
    assert followed == ["https://graph.threads.net/p?after=A"]  # once, then it repeats
    assert fetched == [None, "A"]


def test_a_refused_link_then_a_repeated_cursor_stops() -> None:
    calls: list[str | None] = []

    def fetch(after: str | None, size: int) -> dict[str, Any]:
        calls.append(after)
        return {
            "data": [{"id": "x"}],
            "paging": {"cursors": {"after": "A"}, "next": "https://elsewhere.example/p?after=A"},
        }

    assert len(list(paginate(fetch, follow_link=lambda url, size: None))) == 2
    assert calls == [None, "A"]


def test_next_page_reads_links_and_cursors() -> None:
    link = "https://graph.threads.net/v1.0/me/threads?after=A"
    assert next_page({"paging": {"cursors": {"after": "A"}, "next": link}}) == NextPage(link, "A")
    assert next_page({"paging": {"cursors": {"after": "A"}}}) == NextPage(None, "A")
    assert next_page({"paging": {"next": link}}) == NextPage(link, None)
    assert next_page({"paging": {"cursors": {"before": "B"}}}) is None
    assert next_page({"data": []}) is None


BASE = "https://graph.threads.net"


@pytest.mark.parametrize(
    "url",
    [
        "https://graph.threads.com/v1.0/me/threads?after=A",  # another host
        "http://graph.threads.net/v1.0/me/threads?after=A",  # another scheme
        "https://graph.threads.net:8443/v1.0/me/threads?after=A",  # another port
        "https://graph.threads.net@evil.example/v1.0/me/threads?after=A",  # user info trick
        "https://user:pw@graph.threads.net/v1.0/me/threads?after=A",  # credentials in the URL
        "https://evil.example/v1.0/me/threads?host=graph.threads.net",
        "https://graph.threads.net:port/v1.0/me",  # unreadable port
        "/v1.0/me/threads?after=A",  # relative: no host at all
        "",
    ],
)
def test_link_request_refuses_anything_but_the_configured_host(url: str) -> None:
    assert link_request(url, BASE) is None


def test_link_request_under_a_base_path() -> None:
    base = "https://proxy.example/threads/"
    request = link_request("https://proxy.example/threads/v1.0/me/threads?after=A", base)
    assert request is not None and request.path == "v1.0/me/threads"
    assert link_request("https://proxy.example/other/v1.0/me/threads?after=A", base) is None
    assert link_request("https://proxy.example/threadsX/v1.0/me?after=A", base) is None


def test_link_request_keeps_parameters_drops_the_token_and_sets_the_limit() -> None:
    url = (
        "https://GRAPH.threads.net:443/v1.0/me/threads?fields=id%2Ctext&limit=100"
        "&access_token=SECRET&after=QVFI%3D"
    )
    request = link_request(url, BASE, limit=7)
    assert request is not None
    assert request.path == "v1.0/me/threads"
    assert request.params == {"fields": "id,text", "limit": 7, "after": "QVFI="}
    unchanged = link_request(url, BASE)
    assert unchanged is not None and unchanged.params["limit"] == "100"
    assert link_cursor(url) == "QVFI="
    assert link_cursor(f"{BASE}/v1.0/me/threads?before=B") is None
