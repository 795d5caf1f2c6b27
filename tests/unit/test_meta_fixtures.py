"""The library's parsers against the Meta-shaped bodies in tests/fixtures (the sandbox's shape
tests read the same files): the paginator with and without paging links, the insights parser,
the error mapping."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import NotFoundError
from threadspipepy.errors import error_from_envelope
from threadspipepy.insights import flatten, insights_result, merge_bodies, rows
from threadspipepy.reading import link_request, paginate

from ..fixtures import PACIFIC_MIDNIGHT, load

GRAPH = "https://graph.threads.net"
CHAIN = ("threads_page_1", "threads_page_2", "threads_page_3")


class MetaPages:
    """Serves the fixture pages: the first without a cursor, the others by `after` cursor
    (asked for directly, or through a `paging.next` URL), and the empty page after the last.
    Records every request as ("cursor" | "link", after, size)."""

    def __init__(self, names: tuple[str, ...], *, links: bool = True) -> None:
        self.pages = [load(name) for name in names]
        if not links:
            for page in self.pages:
                page["paging"].pop("next", None)
                page["paging"].pop("previous", None)
        self.by_after = {
            page["paging"]["cursors"]["after"]: following
            for page, following in zip(
                self.pages, [*self.pages[1:], load("empty_page")], strict=True
            )
        }
        self.calls: list[tuple[str, str | None, int]] = []

    def fetch(self, after: str | None, size: int) -> Mapping[str, Any]:
        self.calls.append(("cursor", after, size))
        return self.pages[0] if after is None else self.by_after[after]

    def follow(self, base: str) -> Any:
        def follow_link(url: str, size: int) -> Mapping[str, Any] | None:
            request = link_request(url, base, size)
            if request is None:
                return None
            after = str(request.params["after"])
            self.calls.append(("link", after, int(request.params["limit"])))
            return self.by_after[after]

        return follow_link


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


ALL_IDS = [f"1806000000000000{i}" for i in (5, 4, 3, 2, 1)]


def test_following_next_links_reads_every_page_once() -> None:
    server = MetaPages(CHAIN)
    assert ids(list(paginate(server.fetch, follow_link=server.follow(GRAPH)))) == ALL_IDS
    after_1 = load("threads_page_1")["paging"]["cursors"]["after"]
    after_2 = load("threads_page_2")["paging"]["cursors"]["after"]
    # The last page has only `previous`: its `after` cursor is not asked for.
    assert server.calls == [("cursor", None, 100), ("link", after_1, 100), ("link", after_2, 100)]


def test_the_same_pages_without_links_are_read_by_cursor_until_empty() -> None:
    server = MetaPages(CHAIN, links=False)
    assert ids(list(paginate(server.fetch, follow_link=server.follow(GRAPH)))) == ALL_IDS
    assert [kind for kind, _, _ in server.calls] == ["cursor"] * 4  # the 4th is the empty page
    last_after = load("threads_page_3")["paging"]["cursors"]["after"]
    assert server.calls[-1][1] == last_after


def test_a_page_as_the_reference_documents_it() -> None:
    server = MetaPages(("threads_page_without_links",))
    items = list(paginate(server.fetch, follow_link=server.follow(GRAPH)))
    assert ids(items) == ALL_IDS[-2:]
    after = load("threads_page_without_links")["paging"]["cursors"]["after"]
    assert server.calls == [("cursor", None, 100), ("cursor", after, 100)]


def test_links_on_another_host_are_not_followed() -> None:
    server = MetaPages(CHAIN)
    # Configured for graph.threads.com: the fixtures' graph.threads.net links are foreign.
    items = list(paginate(server.fetch, follow_link=server.follow("https://graph.threads.com")))
    assert ids(items) == ALL_IDS
    assert [kind for kind, _, _ in server.calls] == ["cursor"] * 3


def test_a_limit_shrinks_the_page_a_link_asks_for() -> None:
    server = MetaPages(CHAIN)
    items = list(paginate(server.fetch, limit=3, page_size=2, follow_link=server.follow(GRAPH)))
    assert ids(items) == ALL_IDS[:3]
    assert [size for _, _, size in server.calls] == [2, 1]


def test_next_link_of_the_fixture_maps_to_a_graph_request() -> None:
    page = load("threads_page_1")
    request = link_request(page["paging"]["next"], GRAPH)
    assert request is not None
    assert (request.method, request.path) == ("GET", "v1.0/1234567/threads")
    assert request.params == {
        "fields": "id,text,timestamp",
        "limit": "2",
        "after": page["paging"]["cursors"]["after"],
    }


def test_user_insights_parse() -> None:
    body = load("user_insights")
    result = insights_result(body)
    assert result["views"] == [
        ("2024-07-11T07:00:00+0000", 31),
        ("2024-07-12T07:00:00+0000", 44),
        ("2024-07-13T07:00:00+0000", 27),
    ]
    assert result["likes"] == 19
    assert result["clicks"] == {"https://example.com/launch": 11, "https://example.com/docs": 3}
    assert result["paging"] == body["paging"]  # the windows stay for the caller
    assert set(flatten(body)) == {"views", "likes", "clicks"}
    views = [row for row in rows(body) if row["metric"] == "views"]
    assert [row["end_time"] for row in views] == [end for end, _ in result["views"]]
    assert all(PACIFIC_MIDNIGHT.fullmatch(str(row["end_time"])) for row in views)
    winter = insights_result(load("user_insights_winter"))
    assert winter["views"] == [("2024-12-02T08:00:00+0000", 12), ("2024-12-03T08:00:00+0000", 9)]


def test_insights_windows_follow_the_dated_request_when_merged() -> None:
    dated = load("user_insights")
    current = {"data": [{"name": "followers_count", "total_value": {"value": 5}}]}
    merged = merge_bodies([dated, current], ["views", "followers_count", "likes", "clicks"])
    assert merged["paging"] == dated["paging"]
    assert [item["name"] for item in merged["data"]] == [
        "views",
        "followers_count",
        "likes",
        "clicks",
    ]
    assert "paging" not in merge_bodies([current, copy.deepcopy(current)], ["followers_count"])


def test_media_insights_parse() -> None:
    assert dict(insights_result(load("media_insights")).metrics) == {"likes": 100, "views": 2400}


def test_insights_windows_are_consecutive() -> None:
    paging = load("user_insights")["paging"]
    before = parse_qs(urlsplit(paging["previous"]).query)
    after = parse_qs(urlsplit(paging["next"]).query)
    assert before["until"] == ["1720594800"] and after["since"] == ["1720854000"]


def test_unknown_object_error_maps_by_code_not_type() -> None:
    body = load("error_unknown_object")
    error = error_from_envelope(body, 400)
    assert isinstance(error, NotFoundError)
    assert (error.code, error.subcode, error.type) == (100, 33, "THApiException")
    with pytest.raises(NotFoundError, match="does not exist"):
        raise error
