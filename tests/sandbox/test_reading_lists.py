"""User-scoped lists, pagination, time filters, field selection and the seeding API
(threads-api.md §4.1-§4.3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error


def walk(graph: Graph, path: str, **params: Any) -> tuple[list[str], int]:
    """Every id of a list, paged as Meta's sample app pages: follow `paging.next` until a page
    has none; (ids, page requests)."""
    body = graph.get(path, **params).json()
    ids, requests_made = [item["id"] for item in body["data"]], 1
    while "next" in body.get("paging", {}):
        body = requests.get(body["paging"]["next"], headers=graph.headers, timeout=TIMEOUT).json()
        requests_made += 1
        ids += [item["id"] for item in body["data"]]
    return ids, requests_made


def walk_cursors(graph: Graph, path: str, **params: Any) -> tuple[list[str], int]:
    """Every id of a list, paged by hand from `paging.cursors.after` (the reference's way)
    until a page is empty; (ids, page requests)."""
    ids: list[str] = []
    query = dict(params)
    requests_made = 0
    while True:
        body = graph.get(path, **query).json()
        requests_made += 1
        if not body["data"]:
            return ids, requests_made
        ids += [item["id"] for item in body["data"]]
        query["after"] = body["paging"]["cursors"]["after"]


def test_thousand_posts_take_ten_pages_of_100(graph: Graph, sb: ThreadsSandbox) -> None:
    seeded = sb.seed_posts(1000)
    ids, pages = walk(graph, "me/threads", limit=100)
    assert pages == 10
    assert len(ids) == 1000
    assert set(ids) == {p["id"] for p in seeded}
    assert ids == [p["id"] for p in reversed(seeded)]  # newest first
    by_cursor, pages = walk_cursors(graph, "me/threads", limit=100)
    assert by_cursor == ids
    assert pages == 11  # the last page keeps its `after`: only the empty page ends the walk


def test_page_shape_default_limit_and_clamp(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(130)
    first = graph.get("me/threads").json()
    assert len(first["data"]) == 25
    assert set(first) == {"data", "paging"}
    assert set(first["paging"]) == {"cursors", "next"}  # nothing before the first page
    assert set(first["paging"]["cursors"]) == {"before", "after"}
    assert first["data"][0] == {"id": first["data"][0]["id"]}  # default field: id
    assert len(graph.get("me/threads", limit=500).json()["data"]) == 100  # clamped
    for bad in (0, -1, "ten"):
        assert graph_error(graph.get("me/threads", limit=bad))["code"] == 100


def test_cursors_are_stable_positions(graph: Graph, sb: ThreadsSandbox) -> None:
    seeded = sb.seed_posts(6)
    first = graph.get("me/threads", limit=2).json()
    after = first["paging"]["cursors"]["after"]
    again = graph.get("me/threads", limit=2, after=after).json()
    assert graph.get("me/threads", limit=2, after=after).json() == again  # reusable
    assert [p["id"] for p in again["data"]] == [seeded[3]["id"], seeded[2]["id"]]
    back = graph.get("me/threads", limit=2, before=again["paging"]["cursors"]["before"]).json()
    assert back["data"] == first["data"]
    newest = first["paging"]["cursors"]["before"]
    assert graph.get("me/threads", before=newest).json() == {"data": []}
    fresh = sb.seed_posts(1, start=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert graph.get("me/threads", before=newest).json()["data"] == [{"id": fresh[0]["id"]}]
    last = graph.get("me/threads", limit=100).json()
    # The end of the list: no `next`, yet both cursors stay, as on Meta's last pages.
    assert "next" not in last["paging"]
    assert set(last["paging"]["cursors"]) == {"before", "after"}
    beyond = graph.get("me/threads", after=last["paging"]["cursors"]["after"]).json()
    assert beyond == {"data": []}


def test_next_and_previous_links(graph: Graph, sb: ThreadsSandbox) -> None:
    seeded = sb.seed_posts(5, spacing=60)
    first = graph.get("me/threads", fields="id,text", limit=2, since="2024-05-01").json()
    paging = first["paging"]
    assert "previous" not in paging  # nothing newer than the first page
    link = urlsplit(paging["next"])
    assert f"{link.scheme}://{link.netloc}" == sb.url  # absolute, on the sandbox's host
    assert link.path == "/v1.0/me/threads"
    query = parse_qs(link.query)
    assert query == {
        "fields": ["id,text"],
        "limit": ["2"],
        "since": ["2024-05-01"],
        "after": [paging["cursors"]["after"]],
    }
    middle = requests.get(paging["next"], headers=graph.headers, timeout=TIMEOUT).json()
    assert [p["id"] for p in middle["data"]] == [seeded[2]["id"], seeded[1]["id"]]
    assert set(middle["data"][0]) == {"id", "text"}  # the link repeats the fields
    assert set(middle["paging"]) == {"cursors", "next", "previous"}
    previous = parse_qs(urlsplit(middle["paging"]["previous"]).query)
    assert previous["before"] == [middle["paging"]["cursors"]["before"]]
    assert "after" not in previous
    back = requests.get(middle["paging"]["previous"], headers=graph.headers, timeout=TIMEOUT)
    assert back.json()["data"] == first["data"]
    last = requests.get(middle["paging"]["next"], headers=graph.headers, timeout=TIMEOUT).json()
    assert [p["id"] for p in last["data"]] == [seeded[0]["id"]]
    assert set(last["paging"]) == {"cursors", "previous"}


def test_links_never_carry_the_access_token(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(3)
    answer = requests.get(
        f"{sb.url}/v1.0/me/threads",
        params={"access_token": sb.access_token, "limit": 1},
        timeout=TIMEOUT,
    ).json()
    assert sb.access_token not in answer["paging"]["next"]
    assert "access_token" not in parse_qs(urlsplit(answer["paging"]["next"]).query)


def test_single_page_has_no_links(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(3)
    body = graph.get("me/threads").json()
    assert set(body["paging"]) == {"cursors"}
    assert set(body["paging"]["cursors"]) == {"before", "after"}


@pytest.mark.parametrize("switch", ["constructor", "property"])
def test_paging_links_can_be_left_out(switch: str) -> None:
    with ThreadsSandbox(paging_links=switch == "property") as sb:
        if switch == "property":
            assert sb.paging_links is True
            sb.paging_links = False
        assert sb.paging_links is False
        graph = Graph(sb, sb.access_token)
        seeded = sb.seed_posts(250)
        first = graph.get("me/threads", limit=100).json()
        assert set(first["paging"]) == {"cursors"}  # the shape Meta's reference documents
        ids, pages = walk_cursors(graph, "me/threads", limit=100)
        assert ids == [p["id"] for p in reversed(seeded)]
        assert pages == 4
        sb.paging_links = True
        assert "next" in graph.get("me/threads", limit=100).json()["paging"]


def test_cursor_misuse_is_rejected(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(3)
    cursor = graph.get("me/threads", limit=1).json()["paging"]["cursors"]["after"]
    both = graph.get("me/threads", before=cursor, after=cursor)
    assert graph_error(both)["code"] == 100
    assert graph_error(graph.get("me/threads", after="not a cursor!"))["code"] == 100


def test_repeat_last_cursor_quirk(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(3)
    sb.repeat_last_cursor = True
    assert sb.repeat_last_cursor
    last = graph.get("me/threads", limit=5).json()
    cursor = last["paging"]["cursors"]["after"]
    beyond = graph.get("me/threads", limit=5, after=cursor).json()
    assert beyond == {"data": [], "paging": {"cursors": {"before": cursor, "after": cursor}}}


def test_since_and_until_filter_and_validate(graph: Graph, sb: ThreadsSandbox) -> None:
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    seeded = sb.seed_posts(10, start=start, spacing=86400)  # May 1 .. May 10, midnight
    body = graph.get("me/threads", since="2024-05-03", until="2024-05-05", fields="timestamp")
    assert [p["timestamp"][:10] for p in body.json()["data"]] == [
        "2024-05-05",
        "2024-05-04",
        "2024-05-03",
    ]
    unix = int(start.timestamp())
    body = graph.get("me/threads", since=unix + 8 * 86400).json()
    assert [p["id"] for p in body["data"]] == [seeded[9]["id"], seeded[8]["id"]]
    assert len(graph.get("me/threads", since="-30 days").json()["data"]) == 0
    assert len(graph.get("me/threads", until="2024-05-02T00:00:00+0000").json()["data"]) == 2
    rejected = [
        {"since": "1688540399"},  # before 2023-07-05
        {"since": "2024-05-05", "until": "2024-05-05"},  # since must be < until
        {"since": "2024-05-06", "until": "2024-05-05"},
        {"until": str(int(datetime.now(timezone.utc).timestamp()) + 86400)},  # the future
        {"since": "next blue moon"},
    ]
    for params in rejected:
        assert graph_error(graph.get("me/threads", **params))["code"] == 100, params
    assert graph.get("me/threads", since="1688540400").status_code == 200


def test_field_selection_and_nested_fields(graph: Graph, sb: ThreadsSandbox) -> None:
    (root,) = sb.seed_posts(1, text="Root post", location_id="106000000000001")
    (reply,) = sb.seed_replies(root["id"], 1, username="fan")
    body = graph.get(
        reply["id"], fields="id,text,root_post{id,text,media_type},replied_to{username},owner"
    ).json()
    assert body == {
        "id": reply["id"],
        "text": "Reply 1",
        "root_post": {"id": root["id"], "text": "Root post", "media_type": "TEXT_POST"},
        "replied_to": {"username": "sandbox_user"},
    }  # owner: only on your own top-level posts
    own = graph.get(root["id"], fields="owner{id,username},location{name,city}").json()
    assert own == {
        "owner": {"id": sb.user_id, "username": "sandbox_user"},
        "location": {"name": "Facebook Headquarters", "city": "Menlo Park"},
    }
    assert graph.get(root["id"], fields="location").json() == {
        "location": {"id": "106000000000001"}
    }
    for bad in ("id,likes", "root_post{likes}", "location{elevation}", "owner{email}"):
        error = graph_error(graph.get(root["id"], fields=bad))
        assert error["code"] == 100
        assert "nonexisting field" in error["message"]
    listed = graph.get("me/threads", fields="id,bogus")
    assert graph_error(listed)["code"] == 100


def test_user_replies_list(graph: Graph, sb: ThreadsSandbox) -> None:
    (other_post,) = sb.seed_posts(1, username="someone")
    mine = sb.seed_replies(other_post["id"], 3, username=None)
    sb.seed_replies(other_post["id"], 2, username="stranger")
    body = graph.get("me/replies", fields="id,is_reply,replied_to,is_reply_owned_by_me").json()
    assert [r["id"] for r in body["data"]] == [r["id"] for r in reversed(mine)]
    assert body["data"][0]["replied_to"] == {"id": other_post["id"]}
    assert body["data"][0]["is_reply_owned_by_me"] is True
    assert graph.get("me/threads").json() == {"data": []}


def test_mentions_list_public_posts_that_tag_you(graph: Graph, sb: ThreadsSandbox) -> None:
    mentions = sb.seed_mentions(3)
    assert all("@sandbox_user" in m["text"] for m in mentions)
    sb.seed_profile("secretive", 500, private=True)
    sb.seed_mentions(2, username="secretive")  # private authors are not returned
    sb.seed_posts(1, username="someone", text="@sandbox_user_2 is a different account")
    body = graph.get("me/mentions", fields="id,username,text").json()
    assert [m["id"] for m in body["data"]] == [m["id"] for m in reversed(mentions)]
    assert {m["username"] for m in body["data"]} == {"mention_author"}
    assert len(graph.get("me/mentions", limit=2).json()["data"]) == 2


def test_ghost_posts_list(graph: Graph, sb: ThreadsSandbox) -> None:
    ghosts = sb.seed_posts(2, is_ghost_post=True, spacing=60)
    sb.seed_posts(2)
    body = graph.get("me/ghost_posts", fields="id,ghost_post_status").json()
    assert [g["id"] for g in body["data"]] == [g["id"] for g in reversed(ghosts)]
    assert {g["ghost_post_status"] for g in body["data"]} == {"ACTIVE"}


def test_seed_posts_options(sb: ThreadsSandbox) -> None:
    posts = sb.seed_posts(3, start="2025-01-01", spacing=60, media_type="IMAGE", text=None)
    assert [p["timestamp"] for p in posts] == [
        "2025-01-01T00:00:00+0000",
        "2025-01-01T00:01:00+0000",
        "2025-01-01T00:02:00+0000",
    ]
    assert {p["media_type"] for p in posts} == {"IMAGE"}
    (carousel,) = sb.seed_posts(1, media_type="CAROUSEL_ALBUM", topic_tag="Cats")
    assert len(carousel["children"]) == 2
    assert carousel["topic_tag"] == "Cats"
    assert sb.posts[-1]["id"] == carousel["id"]
    with pytest.raises(ValueError, match="future"):
        sb.seed_posts(2, start=datetime.now(timezone.utc) + timedelta(days=1))
    with pytest.raises(ValueError, match="topic_tag"):
        sb.seed_posts(1, topic_tag="a.b")
    with pytest.raises(ValueError, match="media_type"):
        sb.seed_posts(1, media_type="HOLOGRAM")


def test_a_user_edge_is_routed_and_scoped_from_the_one_table(
    sb: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """USER_EDGES is where a user list lives: an edge added there answers (paged, newest first)
    and needs its permission, with nothing else to change."""
    from threadspipepy.testing import _reading

    def videos(app: Any, user: Any) -> list[Any]:
        return [p for p in app.own_posts(user) if p.media_type == "VIDEO"]

    edge = _reading.UserEdge(videos, "threads_manage_insights")
    monkeypatch.setitem(_reading.USER_EDGES, "video_posts", edge)
    clips = sb.seed_posts(3, media_type="VIDEO", text=None, spacing=60)
    sb.seed_posts(2)
    url = f"{sb.url}/v1.0/me/video_posts"

    def get(scopes: str, **params: Any) -> requests.Response:
        redirected = sb.authorize(scopes=scopes)
        code = parse_qs(urlsplit(redirected).query)["code"][0].removesuffix("#_")
        short = requests.post(
            f"{sb.url}/oauth/access_token",
            data={
                "client_id": sb.app_id,
                "client_secret": sb.app_secret,
                "code": code,
                "grant_type": "authorization_code",
                "redirect_uri": sb.redirect_uri,
            },
            timeout=TIMEOUT,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {short}"}
        return requests.get(url, params=params, headers=headers, timeout=TIMEOUT)

    assert graph_error(get("threads_basic"), status=403)["code"] == 10
    body = get("threads_basic,threads_manage_insights", limit=2).json()
    assert [p["id"] for p in body["data"]] == [c["id"] for c in reversed(clips)][:2]
    assert "after" in body["paging"]["cursors"]
