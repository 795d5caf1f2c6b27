"""Reading and managing against the sandbox: the request each method sends, the result it returns.

Every getter returns Graph's JSON as a result dict (`'error' in result` on failure); iterators
walk every page lazily with the largest page size and stop at `limit=`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import NotFoundError, Result, ThreadsAPIError, ThreadsPipe, ValidationError
from threadspipepy import reading as r
from threadspipepy.testing import RecordedRequest, ThreadsSandbox

from ..fixtures import load
from .conftest import FakeTime

MAY_1_2024 = 1714521600


def only_request(sandbox: ThreadsSandbox, method: str = "GET") -> RecordedRequest:
    (request,) = [q for q in sandbox.requests if q.method == method]
    return request


def ids(items: list[dict[str, object]]) -> list[str]:
    return [str(item["id"]) for item in items]


# -- your posts ----------------------------------------------------------------------------
def test_get_posts_sends_045_fields_and_returns_graph_json(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    seeded = sandbox.seed_posts(3)
    result = tp.get_posts()
    request = only_request(sandbox)
    assert request.path == "/v1.0/me/threads"
    assert request.query == {"fields": ",".join(r.POST_FIELDS)}
    assert isinstance(result, Result) and result.ok
    assert ids(result["data"]) == ids(seeded)[::-1]  # newest first
    first = result["data"][0]
    assert first["text"] == "Seeded post 3" and first["owner"] == {"id": sandbox.user_id}
    assert set(result) == {"data", "paging"}


def test_get_posts_with_dates_limit_and_cursors(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    seeded = sandbox.seed_posts(30, start="2025-01-01T00:00:00Z", spacing=86400)
    page = tp.get_posts(since_date="2025-01-05", until_date="2025-01-25", limit=10)
    assert only_request(sandbox).query == {
        "fields": ",".join(r.POST_FIELDS),
        "since": "1736035200",
        "until": "1737763200",
        "limit": "10",
    }
    by_day = {post["timestamp"][:10]: post["id"] for post in seeded}
    assert page["data"][0]["id"] == by_day["2025-01-25"]
    after = page["paging"]["cursors"]["after"]
    sandbox.clear_requests()
    following = tp.get_posts(
        since_date="2025-01-05", until_date="2025-01-25", limit=10, after=after, fields=["id"]
    )
    assert only_request(sandbox).query["after"] == after
    assert following["data"][0] == {"id": by_day["2025-01-15"]}
    sandbox.clear_requests()
    back = tp.get_posts(limit=5, before=following["paging"]["cursors"]["before"])
    assert only_request(sandbox).query["before"] == following["paging"]["cursors"]["before"]
    assert back.ok


def test_get_user_replies_sends_exactly_one_since_and_one_limit(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    (post,) = sandbox.seed_posts(1)
    sandbox.seed_replies(post["id"], 3, username=None)  # replies written by you
    result = tp.get_user_replies(since_date="2024-05-01", limit=10)
    request = only_request(sandbox)
    assert request.path == "/v1.0/me/replies"
    # Repeated parameters would arrive comma-joined ("a,b"); empty ones as "".
    assert request.query == {
        "fields": ",".join(r.USER_REPLY_FIELDS),
        "since": str(MAY_1_2024),
        "limit": "10",
    }
    assert len(result["data"]) == 3
    assert all(item["is_reply"] and item["is_reply_owned_by_me"] for item in result["data"])


def test_get_user_replies_without_arguments_sends_no_empty_parameters(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    assert tp.get_user_replies() == {"data": []}
    assert set(only_request(sandbox).query) == {"fields"}


def test_get_post_and_fields(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1, topic_tag="Cats")
    full = tp.get_post(post["id"])
    assert only_request(sandbox).path == f"/v1.0/{post['id']}"
    assert full["id"] == post["id"] and full["permalink"] == post["permalink"]
    sandbox.clear_requests()
    few = tp.get_post(int(post["id"]), fields="id,topic_tag")
    assert only_request(sandbox).query == {"fields": "id,topic_tag"}
    assert few == {"id": post["id"], "topic_tag": "Cats"}


def test_get_post_failure_is_the_graph_error_json(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    result = tp.get_post("17999999999999999")
    assert "error" in result and not result.ok
    assert result["error"]["code"] == 100 and result["error"]["status_code"] == 400
    with pytest.raises(ThreadsAPIError):
        result.raise_for_error()
    strict = sandbox.client(raise_on_error=True)
    with strict, pytest.raises(ThreadsAPIError):
        strict.get_post("17999999999999999")


def test_get_profile(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    profile = tp.get_profile()
    request = only_request(sandbox)
    assert request.path == "/v1.0/me" and request.query == {"fields": ",".join(r.PROFILE_FIELDS)}
    assert profile["id"] == sandbox.user_id
    assert profile["username"] == sandbox.default_account.username
    assert set(profile) == set(r.PROFILE_FIELDS)


def test_get_ghost_posts(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(2)
    ghosts = sandbox.seed_posts(2, is_ghost_post=True)
    result = tp.get_ghost_posts(limit=5)
    request = only_request(sandbox)
    assert request.path == "/v1.0/me/ghost_posts"
    assert request.query == {"fields": ",".join(r.GHOST_POST_FIELDS), "limit": "5"}
    assert ids(result["data"]) == ids(ghosts)[::-1]
    assert {item["ghost_post_status"] for item in result["data"]} <= {"ACTIVE", "ARCHIVED"}


def test_get_allowlisted_country_codes(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(1, allowlisted_country_codes="US,CA")
    result = tp.get_allowlisted_country_codes(limit=3)
    request = only_request(sandbox)
    assert request.path == "/v1.0/me/threads"
    assert request.query == {"fields": "id,allowlisted_country_codes", "limit": "3"}
    assert result["data"][0]["allowlisted_country_codes"] == ["US", "CA"]


def test_is_eligible_for_geo_gating_keeps_the_info_shape(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    result = tp.is_eligible_for_geo_gating()
    assert only_request(sandbox).query == {"fields": "id,is_eligible_for_geo_gating"}
    assert result["info"] == "success" and result["message"]
    assert result["data"] == {"id": sandbox.user_id, "is_eligible_for_geo_gating": True}
    sandbox.fail("GET", "/v1.0/me", code=10, message="no permission")
    failed = tp.is_eligible_for_geo_gating()
    assert failed["info"] == "error"
    assert failed["message"] == "Could not get geogating eligibility from Threads"
    assert failed["error"]["code"] == 10


# -- replies -------------------------------------------------------------------------------
def test_get_post_replies_top_level_and_all_levels(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    (post,) = sandbox.seed_posts(1)
    replies = sandbox.seed_replies(post["id"], 3, depth=2)
    top = [reply for reply in replies if reply["reply_to_id"] == post["id"]]
    result = tp.get_post_replies(post["id"])
    request = only_request(sandbox)
    assert request.path == f"/v1.0/{post['id']}/replies"
    assert request.query == {"fields": ",".join(r.REPLY_FIELDS), "reverse": "false"}
    assert ids(result["data"]) == ids(top)  # oldest first with reverse=False
    assert {item["hide_status"] for item in result["data"]} == {"NOT_HUSHED"}
    sandbox.clear_requests()
    everything = tp.get_post_replies(post["id"], top_levels=False, reverse=True)
    request = only_request(sandbox)
    assert request.path == f"/v1.0/{post['id']}/conversation"
    assert request.query["reverse"] == "true"
    assert sorted(ids(everything["data"])) == sorted(ids(replies))
    assert len(everything["data"]) == 6


def test_get_conversation(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1)
    replies = sandbox.seed_replies(post["id"], 2, depth=3)
    result = tp.get_conversation(post["id"], fields=["id", "root_post"], limit=50)
    request = only_request(sandbox)
    assert request.path == f"/v1.0/{post['id']}/conversation"
    assert request.query == {"fields": "id,root_post", "reverse": "false", "limit": "50"}
    assert sorted(ids(result["data"])) == sorted(ids(replies))
    assert {item["root_post"]["id"] for item in result["data"]} == {post["id"]}


def test_hide_and_unhide_a_reply(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1)
    reply, _ = sandbox.seed_replies(post["id"], 2)
    assert tp.hide_reply(reply["id"], True) == {"success": True}
    request = only_request(sandbox, "POST")
    assert request.path == f"/v1.0/{reply['id']}/manage_reply"
    assert request.form == {"hide": "true"} and request.query == {}
    statuses = {i["id"]: i["hide_status"] for i in tp.get_post_replies(post["id"])["data"]}
    assert statuses[reply["id"]] == "HIDDEN"
    sandbox.clear_requests()
    assert tp.hide_reply(reply["id"], hide=False).ok
    assert only_request(sandbox, "POST").form == {"hide": "false"}
    statuses = {i["id"]: i["hide_status"] for i in tp.get_post_replies(post["id"])["data"]}
    assert statuses[reply["id"]] != "HIDDEN"


def test_pending_replies_approve_and_ignore(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1, enable_reply_approvals=True)
    first, second, third = sandbox.seed_replies(post["id"], 3)
    pending = tp.get_pending_replies(post["id"])
    request = only_request(sandbox)
    assert request.path == f"/v1.0/{post['id']}/pending_replies"
    assert request.query == {"fields": ",".join(r.PENDING_REPLY_FIELDS), "reverse": "false"}
    assert ids(pending["data"]) == ids([first, second, third])
    assert {i["reply_approval_status"] for i in pending["data"]} == {"pending"}

    sandbox.clear_requests()
    assert tp.manage_pending_reply(first["id"], approve=True) == {"success": True}
    request = only_request(sandbox, "POST")
    assert request.path == f"/v1.0/{first['id']}/manage_pending_reply"
    assert request.form == {"approve": "true"}
    assert tp.manage_pending_reply(second["id"], False).ok

    sandbox.clear_requests()
    ignored = tp.get_pending_replies(post["id"], approval_status="ignored")
    assert only_request(sandbox).query["approval_status"] == "ignored"
    assert ids(ignored["data"]) == [second["id"]]
    still = tp.get_pending_replies(post["id"], reverse=True, approval_status="PENDING")
    assert ids(still["data"]) == [third["id"]]
    visible = tp.get_post_replies(post["id"])
    assert first["id"] in ids(visible["data"])


# -- mentions, search, profiles, locations, oEmbed -------------------------------------------
def test_get_mentions(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    mentions = sandbox.seed_mentions(12)
    result = tp.get_mentions(limit=5)
    request = only_request(sandbox)
    assert request.path == "/v1.0/me/mentions"
    assert request.query == {"fields": ",".join(r.PUBLIC_POST_FIELDS), "limit": "5"}
    assert ids(result["data"]) == ids(mentions)[::-1][:5]
    assert result["data"][0]["username"] == "mention_author"
    assert "owner" not in result["data"][0]


def test_keyword_search_sends_every_parameter(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_profile("barista", followers=500)
    sandbox.seed_posts(3, text="Fresh coffee {i}", username="barista")
    sandbox.seed_posts(2, text="Tea time {i}", username="barista")
    result = tp.keyword_search(
        "coffee",
        search_type="recent",
        media_type="text",
        since="2024-05-01",
        limit=2,
        author_username="@barista",
        fields=["id", "text", "username"],
    )
    request = only_request(sandbox)
    assert request.path == "/v1.0/keyword_search"
    assert request.query == {
        "fields": "id,text,username",
        "q": "coffee",
        "search_type": "RECENT",
        "media_type": "TEXT",
        "author_username": "barista",
        "since": str(MAY_1_2024),
        "limit": "2",
    }
    assert len(result["data"]) == 2
    assert all("coffee" in item["text"].lower() for item in result["data"])
    assert {item["username"] for item in result["data"]} == {"barista"}


def test_keyword_search_by_tag(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(2, text="Cat picture {i}", topic_tag="Cats")
    sandbox.seed_posts(1, text="Cats are great")
    result = tp.keyword_search("Cats", search_mode="TAG")
    assert only_request(sandbox).query["search_mode"] == "TAG"
    assert len(result["data"]) == 2


def test_lookup_profile_and_get_profile_posts(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    seeded = sandbox.seed_profile("someone", followers=2500, name="Some One", posts=4)
    profile = tp.lookup_profile("@someone")
    request = only_request(sandbox)
    assert request.path == "/v1.0/profile_lookup"
    assert request.query == {
        "username": "someone",
        "fields": ",".join(r.PROFILE_LOOKUP_FIELDS),
    }
    assert profile["username"] == "someone" and profile["follower_count"] == 2500
    assert profile["name"] == "Some One"
    assert seeded["follower_count"] == 2500

    sandbox.clear_requests()
    posts = tp.get_profile_posts("someone", limit=3)
    request = only_request(sandbox)
    assert request.path == "/v1.0/profile_posts"
    assert request.query == {
        "fields": ",".join(r.PUBLIC_POST_FIELDS),
        "username": "someone",
        "limit": "3",
    }
    assert len(posts["data"]) == 3
    assert {item["username"] for item in posts["data"]} == {"someone"}
    rest = tp.get_profile_posts("someone", after=posts["paging"]["cursors"]["after"])
    assert len(rest["data"]) == 1


def test_search_locations_and_get_location(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (added,) = sandbox.seed_locations(
        [{"name": "Blue Bottle Coffee", "city": "Oakland", "latitude": 37.8, "longitude": -122.27}]
    )
    found = tp.search_locations("Blue Bottle")
    request = only_request(sandbox)
    assert request.path == "/v1.0/location_search"
    assert request.query == {"q": "Blue Bottle", "fields": ",".join(r.LOCATION_FIELDS)}
    assert [str(item["id"]) for item in found["data"]] == [str(added["id"])]
    assert "paging" not in found

    sandbox.clear_requests()
    near = tp.search_locations(latitude=37.8, longitude=-122.27, fields=["id", "name"])
    assert only_request(sandbox).query == {
        "latitude": "37.8",
        "longitude": "-122.27",
        "fields": "id,name",
    }
    assert "Blue Bottle Coffee" in [item["name"] for item in near["data"]]

    sandbox.clear_requests()
    place = tp.get_location(added["id"])
    request = only_request(sandbox)
    assert request.path == f"/v1.0/{added['id']}"
    assert request.query == {"fields": ",".join(r.LOCATION_FIELDS)}
    assert place["name"] == "Blue Bottle Coffee" and place["city"] == "Oakland"


def test_get_oembed(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1, text="Embed me")
    result = tp.get_oembed(post["permalink"], maxwidth=400)
    request = only_request(sandbox)
    assert request.path == "/v1.0/oembed"
    assert request.query == {"url": post["permalink"], "maxwidth": "400"}
    assert result["provider_name"] == "Threads" and result["width"] == 400
    assert "Embed me" in result["html"]
    missing = tp.get_oembed("https://www.threads.com/@nobody/post/NOPE")
    assert "error" in missing


# -- intents -------------------------------------------------------------------------------
def test_get_follow_intent_reads_the_profile(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    url = tp.get_follow_intent()
    assert url == (
        f"https://www.threads.com/intent/follow?username={sandbox.default_account.username}"
    )
    assert only_request(sandbox).query == {"fields": "username"}
    sandbox.clear_requests()
    assert tp.get_follow_intent("other.user").endswith("username=other.user")
    assert sandbox.requests == []
    sandbox.fail("GET", "/v1.0/me", code=190, message="Invalid OAuth access token")
    with pytest.raises(ThreadsAPIError, match="Invalid OAuth"):
        tp.get_follow_intent()


def test_get_post_intent_sends_nothing(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    url = tp.get_post_intent("Hello & welcome", "https://example.com/", tag="News")
    assert parse_qs(urlsplit(url).query) == {
        "text": ["Hello & welcome"],
        "url": ["https://example.com/"],
        "tag": ["News"],
    }
    assert sandbox.requests == []


# -- pagination ----------------------------------------------------------------------------
def test_iterating_1000_posts_takes_ten_requests(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    seeded = sandbox.seed_posts(1000, spacing=60)
    iterator = tp.iter_posts(fields="id")
    assert sandbox.requests == []  # lazy: nothing is fetched until asked
    got = ids(list(iterator))
    assert len(got) == 1000 and len(set(got)) == 1000
    assert got == ids(seeded)[::-1]
    pages = sandbox.requests_to("GET", "/v1.0/me/threads")
    assert len(pages) == len(sandbox.requests) == math.ceil(1000 / 100)
    assert {page.query["limit"] for page in pages} == {"100"}
    assert "after" not in pages[0].query and all("after" in p.query for p in pages[1:])


def test_iteration_follows_next_links_through_the_client(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    seeded = sandbox.seed_posts(250, spacing=60)
    got = ids(list(tp.iter_posts(since_date="2024-05-01", fields="id,text")))
    assert got == ids(seeded)[::-1]
    pages = sandbox.requests_to("GET", "/v1.0/me/threads")
    assert len(pages) == 3  # the third page has no `next`: no fourth request
    for page in pages:  # the same client: Bearer header, never a token in the URL
        assert page.headers["Authorization"] == f"Bearer {sandbox.access_token}"
        assert "access_token" not in page.query
        assert (page.query["fields"], page.query["since"]) == ("id,text", str(MAY_1_2024))
    first = tp.get_posts(since_date="2024-05-01", limit=100, fields="id,text")
    next_query = dict(parse_qs(urlsplit(first["paging"]["next"]).query))
    assert {k: [v] for k, v in pages[1].query.items()} == next_query  # exactly the link


def test_iteration_without_links_pages_by_cursor_until_an_empty_page(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.paging_links = False
    seeded = sandbox.seed_posts(1000, spacing=60)
    got = ids(list(tp.iter_posts(fields="id")))
    assert got == ids(seeded)[::-1]
    pages = sandbox.requests_to("GET", "/v1.0/me/threads")
    # Meta's last page keeps its `after` cursor: without links only the empty page ends it.
    assert len(pages) == 11
    assert "after" not in pages[0].query
    assert len({p.query["after"] for p in pages[1:]}) == 10  # never the same cursor twice
    assert {p.query["limit"] for p in pages} == {"100"}


def test_a_followed_link_is_retried_like_any_get(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, fake_time: FakeTime
) -> None:
    sandbox.seed_posts(150, spacing=60)
    iterator = tp.iter_posts()
    assert len([next(iterator) for _ in range(100)]) == 100
    sandbox.fail("GET", "/v1.0/me/threads", status=503, times=1)
    sandbox.drop("GET", "/v1.0/me/threads", times=1)
    assert len(list(iterator)) == 50
    pages = sandbox.requests_to("GET", "/v1.0/me/threads")
    assert [p.status for p in pages] == [200, 503, 0, 200]  # 0: the dropped connection
    assert len(fake_time.sleeps) == 2  # backoffs, on the client's injectable sleep
    assert pages[1].query == pages[2].query == pages[3].query  # the same link each time


def test_without_links_a_repeated_cursor_quirk_still_ends_at_the_empty_page(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.paging_links = False
    sandbox.repeat_last_cursor = True
    sandbox.seed_posts(150, spacing=60)
    got = ids(list(tp.iter_posts()))
    assert len(got) == len(set(got)) == 150
    pages = sandbox.requests_to("GET", "/v1.0/me/threads")
    assert len(pages) == 3  # 100, 50, then the empty page (which repeats the cursor)
    assert pages[2].query["after"] != pages[1].query["after"]


def test_a_followed_link_never_shows_the_token_in_logs(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.seed_posts(150, spacing=60)
    with caplog.at_level(logging.DEBUG):
        assert len(list(tp.iter_posts())) == 150
    assert len(sandbox.requests_to("GET", "/v1.0/me/threads")) == 2
    assert caplog.records
    assert sandbox.access_token not in caplog.text


class ForeignLinkServer:
    """A local Graph stand-in whose first page's `paging.next` points at another host (a
    second sandbox): the client must page by cursor on the configured host instead."""

    def __init__(self, foreign: str) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                outer.requests.append((self.headers.get("Authorization", ""), query))
                body = outer.page(query.get("after"), foreign)
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def page(after: str | None, foreign: str) -> dict[str, object]:
        if after is None:
            body = load("threads_page_1")
            cursor = body["paging"]["cursors"]["after"]
            body["paging"]["next"] = f"{foreign}/v1.0/me/threads?limit=100&after={cursor}"
            return body
        chain = {
            load("threads_page_1")["paging"]["cursors"]["after"]: "threads_page_without_links",
            load("threads_page_without_links")["paging"]["cursors"]["after"]: "empty_page",
        }
        return load(chain[after])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_next_links_to_another_host_are_not_followed(
    sandbox: ThreadsSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with ThreadsSandbox() as foreign:
        foreign_url = foreign.url
        local = ForeignLinkServer(foreign_url)
        try:
            tp = sandbox.client(threads_base_url=local.url)
            with caplog.at_level(logging.WARNING, logger="threadspipepy"):
                got = ids(list(tp.iter_posts(fields="id,text,timestamp")))
            tp.close()
        finally:
            local.close()
        assert foreign.requests == []  # the token never went to the other host
    assert got == [
        *ids(load("threads_page_1")["data"]),
        *ids(load("threads_page_without_links")["data"]),
    ]
    cursors = [query.get("after") for _, query in local.requests]
    assert cursors == [
        None,
        load("threads_page_1")["paging"]["cursors"]["after"],
        load("threads_page_without_links")["paging"]["cursors"]["after"],
    ]
    assert {auth for auth, _ in local.requests} == {f"Bearer {sandbox.access_token}"}
    port = urlsplit(foreign_url).port
    assert f"Not following paging.next to 127.0.0.1:{port}" in caplog.text


def test_iter_posts_stops_at_limit(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(300, spacing=60)
    got = list(tp.iter_posts(limit=250, since_date="2024-05-01"))
    assert len(got) == 250 and len({p["id"] for p in got}) == 250
    pages = sandbox.requests_to("GET", "/v1.0/me/threads")
    assert [p.query["limit"] for p in pages] == ["100", "100", "50"]
    assert {p.query["since"] for p in pages} == {str(MAY_1_2024)}


def test_iteration_stops_on_a_repeating_cursor(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(150, spacing=60)
    sandbox.repeat_last_cursor = True
    got = ids(list(tp.iter_posts()))
    assert len(got) == len(set(got)) == 150
    assert len(sandbox.requests) <= 4


def test_iter_user_replies(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    posts = sandbox.seed_posts(3)
    for post in posts:
        sandbox.seed_replies(post["id"], 50, username=None)
    got = list(tp.iter_user_replies(page_size=40))
    assert len({item["id"] for item in got}) == 150
    assert [p.query["limit"] for p in sandbox.requests] == ["40", "40", "40", "40"]


def test_iter_post_replies_top_levels_and_conversation(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    (post,) = sandbox.seed_posts(1)
    replies = sandbox.seed_replies(post["id"], 120, depth=2, spacing=1)
    top = list(tp.iter_post_replies(post["id"]))
    assert len(top) == 120 and all(i["replied_to"]["id"] == post["id"] for i in top)
    assert len(sandbox.requests_to("GET", f"/v1.0/{post['id']}/replies")) == 2
    everything = list(tp.iter_post_replies(post["id"], top_levels=False, limit=230))
    assert len({item["id"] for item in everything}) == 230
    assert {item["id"] for item in everything} <= {reply["id"] for reply in replies}


def test_iter_mentions(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    mentions = sandbox.seed_mentions(130)
    got = ids(list(tp.iter_mentions()))
    assert got == ids(mentions)[::-1]
    assert len(sandbox.requests_to("GET", "/v1.0/me/mentions")) == 2


def test_iter_search(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(130, text="Coffee break {i}")
    got = list(tp.iter_search("coffee", search_type="RECENT", limit=120))
    assert len({item["id"] for item in got}) == 120
    pages = sandbox.requests_to("GET", "/v1.0/keyword_search")
    assert [p.query["limit"] for p in pages] == ["100", "20"]
    assert {p.query["search_type"] for p in pages} == {"RECENT"}


def test_iter_ghost_posts(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(3)
    ghosts = sandbox.seed_posts(120, is_ghost_post=True, spacing=60)
    got = list(tp.iter_ghost_posts(fields="id,ghost_post_status"))
    assert ids(got) == ids(ghosts)[::-1]
    pages = sandbox.requests_to("GET", "/v1.0/me/ghost_posts")
    assert [p.query["limit"] for p in pages] == ["100", "100"]
    assert {p.query["fields"] for p in pages} == {"id,ghost_post_status"}


def test_iter_conversation_walks_every_level(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1)
    replies = sandbox.seed_replies(post["id"], 40, depth=3, spacing=1)
    got = list(tp.iter_conversation(post["id"], reverse=True, limit=110, page_size=50))
    assert len(set(ids(got))) == 110 and set(ids(got)) <= set(ids(replies))
    pages = sandbox.requests_to("GET", f"/v1.0/{post['id']}/conversation")
    assert [(p.query["limit"], p.query["reverse"]) for p in pages] == [
        ("50", "true"),
        ("50", "true"),
        ("10", "true"),
    ]
    assert sandbox.requests_to("GET", f"/v1.0/{post['id']}/replies") == []


def test_iter_pending_replies(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1, enable_reply_approvals=True)
    waiting = sandbox.seed_replies(post["id"], 105)
    got = list(tp.iter_pending_replies(post["id"], approval_status="PENDING"))
    assert ids(got) == ids(waiting)
    assert {item["reply_approval_status"] for item in got} == {"pending"}
    pages = sandbox.requests_to("GET", f"/v1.0/{post['id']}/pending_replies")
    assert [p.query["approval_status"] for p in pages] == ["pending", "pending"]
    assert [p.query["reverse"] for p in pages] == ["false", "false"]


def test_iter_profile_posts(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_profile("someone", posts=130)
    got = list(tp.iter_profile_posts("@someone", limit=120))
    assert len(set(ids(got))) == 120
    assert {item.get("username") for item in got} == {"someone"}
    pages = sandbox.requests_to("GET", "/v1.0/profile_posts")
    assert [(p.query["username"], p.query["limit"]) for p in pages] == [
        ("someone", "100"),
        ("someone", "20"),
    ]


def test_new_iterators_check_their_arguments_before_any_request(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    with pytest.raises(ValidationError, match="until_date"):
        tp.iter_ghost_posts(until_date="soon")
    with pytest.raises(ValidationError, match="post_id"):
        tp.iter_conversation(" ")
    with pytest.raises(ValidationError, match="reverse"):
        tp.iter_conversation("1", reverse="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="approval_status"):
        tp.iter_pending_replies("1", approval_status="approved")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="username"):
        tp.iter_profile_posts("not a name")
    with pytest.raises(ValidationError, match="page_size"):
        tp.iter_profile_posts("meta", page_size=0)
    assert sandbox.requests == []


def test_an_iterator_raises_the_typed_error_of_a_failed_page(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    (post,) = sandbox.seed_posts(1)
    sandbox.seed_replies(post["id"], 150, spacing=1)
    sandbox.fail("GET", f"/v1.0/{post['id']}/conversation", code=10, message="No", skip=1)
    iterator = tp.iter_conversation(post["id"])
    assert len([next(iterator) for _ in range(100)]) == 100
    with pytest.raises(ThreadsAPIError, match="No") as raised:
        next(iterator)
    assert raised.value.code == 10
    assert raised.value.__context__ is None  # raised by the fetch itself, not from a result


def test_generic_paginate(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1)
    sandbox.seed_replies(post["id"], 30, depth=5)
    got = list(tp.paginate(tp.get_conversation, post["id"], limit=140, page_size=50))
    assert len({item["id"] for item in got}) == 140
    pages = sandbox.requests_to("GET", f"/v1.0/{post['id']}/conversation")
    assert [p.query["limit"] for p in pages] == ["50", "50", "40"]
    ghosts = list(tp.paginate(tp.get_ghost_posts))
    assert ghosts == []


def test_a_failed_page_raises_mid_iteration(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_posts(150, spacing=60)
    iterator = tp.iter_posts()
    first = [next(iterator) for _ in range(100)]
    assert len(first) == 100
    sandbox.fail("GET", "/v1.0/me/threads", code=100, subcode=33, message="Gone", times=5)
    with pytest.raises(NotFoundError, match="Gone"):
        next(iterator)


def test_arguments_are_checked_before_any_request(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    with pytest.raises(ValidationError):
        tp.get_posts(since_date="2024-06-01", until_date="2024-05-01")
    with pytest.raises(ValidationError):
        tp.get_posts(before="a", after="b")
    with pytest.raises(ValidationError):
        tp.keyword_search("")
    with pytest.raises(ValidationError):
        tp.search_locations(latitude=1.0)
    with pytest.raises(ValidationError):
        tp.get_oembed("https://www.threads.com/@u/post/X", maxwidth=1000)
    with pytest.raises(ValidationError):
        tp.iter_search("coffee", media_type="GIF")
    assert sandbox.requests == []
