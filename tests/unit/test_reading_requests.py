"""Request building for the getters: pure, checked before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy import reading as r

MAY_1 = 1714521600


def test_list_request_sends_each_parameter_once() -> None:
    request = r.list_request("me/replies", r.USER_REPLY_FIELDS, since="2024-05-01", limit=10)
    assert request.method == "GET" and request.path == "me/replies"
    assert request.params == {
        "fields": ",".join(r.USER_REPLY_FIELDS),
        "since": MAY_1,
        "limit": 10,
    }


def test_list_request_without_options_sends_only_fields() -> None:
    request = r.list_request("me/threads", r.POST_FIELDS)
    assert request.params == {"fields": ",".join(r.POST_FIELDS)}
    assert r.POST_FIELDS.count("is_quote_post") == 1  # 0.4.5 sent it twice


@pytest.mark.parametrize(
    ("fields", "sent"),
    [
        ("id,text", "id,text"),
        (["id", "text", "id"], "id,text"),
        (("id", " timestamp "), "id,timestamp"),
        ("id,children{id,media_url}", "id,children{id,media_url}"),
    ],
)
def test_fields_as_list_or_string(fields: Any, sent: str) -> None:
    assert r.list_request("me/threads", r.POST_FIELDS, fields=fields).params["fields"] == sent


@pytest.mark.parametrize("fields", ["", [], ["id", "text; DROP"], "id,&x=1"])
def test_bad_fields_are_refused(fields: Any) -> None:
    with pytest.raises(ValidationError, match="fields"):
        r.fields_param(fields, r.POST_FIELDS)


def test_cursors() -> None:
    assert r.list_request("p", "id", after="A").params == {"fields": "id", "after": "A"}
    assert r.list_request("p", "id", before="B").params == {"fields": "id", "before": "B"}
    with pytest.raises(ValidationError, match="cannot be passed at the same time"):
        r.list_request("p", "id", before="B", after="A")
    with pytest.raises(ValidationError, match="after"):
        r.list_request("p", "id", after="  ")


@pytest.mark.parametrize("limit", [0, -5, 2.5, "10", True])
def test_bad_page_limit(limit: Any) -> None:
    with pytest.raises(ValidationError, match="limit must be a positive integer"):
        r.list_request("p", "id", limit=limit)


def test_replies_request_always_sends_reverse() -> None:
    request = r.replies_request("17", "replies", r.REPLY_FIELDS, reverse=False)
    assert request.path == "17/replies"
    assert request.params == {"fields": ",".join(r.REPLY_FIELDS), "reverse": False}
    request = r.replies_request(
        17,
        "pending_replies",
        ["id"],
        reverse=1,
        limit=5,
        after="c",
        extra={"approval_status": None},
    )
    assert request.params == {"fields": "id", "reverse": True, "limit": 5, "after": "c"}
    with pytest.raises(ValidationError, match="reverse"):
        r.replies_request("17", "replies", ["id"], reverse="yes")
    with pytest.raises(ValidationError, match="post_id"):
        r.replies_request(None, "replies", ["id"], reverse=False)


def test_ids_are_encoded_in_paths() -> None:
    assert r.object_request("1/../me", "post_id", ["id"], None).path == "1%2F..%2Fme"


def test_keyword_search_request_with_every_parameter() -> None:
    request = r.keyword_search_request(
        " coffee ",
        search_type="recent",
        search_mode="tag",
        media_type="image",
        since="2024-05-01",
        until=MAY_1 + 86400,
        limit=50,
        author_username="@barista",
        fields=["id", "text"],
        after="cur",
    )
    assert request.path == "keyword_search"
    assert request.params == {
        "fields": "id,text",
        "q": "coffee",
        "search_type": "RECENT",
        "search_mode": "TAG",
        "media_type": "IMAGE",
        "author_username": "barista",
        "since": MAY_1,
        "until": MAY_1 + 86400,
        "limit": 50,
        "after": "cur",
    }
    minimal = r.keyword_search_request("coffee")
    assert minimal.params == {"fields": ",".join(r.PUBLIC_POST_FIELDS), "q": "coffee"}
    assert "owner" not in minimal.params["fields"]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"q": " "}, "q"),
        ({"q": "x", "search_type": "POPULAR"}, "search_type"),
        ({"q": "x", "search_mode": "HASHTAG"}, "search_mode"),
        ({"q": "x", "media_type": "CAROUSEL"}, "media_type"),
        ({"q": "x", "author_username": "two words"}, "author_username"),
        ({"q": "x", "since": "2024-05-02", "until": "2024-05-01"}, "since"),
    ],
)
def test_keyword_search_checks(kwargs: dict[str, Any], parameter: str) -> None:
    with pytest.raises(ValidationError) as caught:
        r.keyword_search_request(**kwargs)
    assert caught.value.parameter == parameter


def test_location_search_request() -> None:
    by_name = r.location_search_request("Menlo Park")
    assert by_name.path == "location_search"
    assert by_name.params == {"q": "Menlo Park", "fields": ",".join(r.LOCATION_FIELDS)}
    both = r.location_search_request("cafe", 37.48, -122, fields="id,name")
    assert both.params == {"q": "cafe", "latitude": 37.48, "longitude": -122.0, "fields": "id,name"}
    for kwargs in ({}, {"latitude": 1.0}, {"longitude": 1.0}, {"q": ""}):
        with pytest.raises(ValidationError):
            r.location_search_request(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="latitude must be a number from -90 to 90"):
        r.location_search_request(latitude=91, longitude=0)
    with pytest.raises(ValidationError, match="longitude"):
        r.location_search_request(latitude=0, longitude=float("inf"))


def test_oembed_request() -> None:
    url = "https://www.threads.com/@user/post/ABC"
    assert r.oembed_request(url).params == {"url": url}
    assert r.oembed_request(url, 400).params == {"url": url, "maxwidth": 400}
    for width in (319, 659, 400.0, True):
        with pytest.raises(ValidationError, match="maxwidth"):
            r.oembed_request(url, width)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="url"):
        r.oembed_request("threads.com/t/ABC")


def test_username_rules() -> None:
    assert r.username(" @zuck ") == "zuck"
    for bad in ("", "@", "a b", "é", 5):
        with pytest.raises(ValidationError):
            r.username(bad)


def test_facade_validates_before_sending() -> None:
    # An unroutable base URL: any request would fail with a connection error, not these.
    tp = ThreadsPipe(1, "t", threads_base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(ValidationError, match="until_date"):
        tp.get_posts(until_date="tomorrow")
    with pytest.raises(ValidationError, match="since_date"):
        tp.get_user_replies(since_date="2024-05-02", until_date="2024-05-01")
    with pytest.raises(ValidationError, match="hide"):
        tp.hide_reply("1", "yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="approval_status"):
        tp.get_pending_replies("1", approval_status="approved")
    with pytest.raises(ValidationError, match="metrics"):
        tp.get_post_insights("1", metrics=["impressions"])
    with pytest.raises(ValidationError, match="since_date"):
        tp.iter_posts(since_date="nope")
    with pytest.raises(ValidationError, match="limit"):
        tp.iter_mentions(limit=-1)
    with pytest.raises(ValidationError, match="search_type"):
        tp.iter_search("x", search_type="nope")
    with pytest.raises(ValidationError, match="top_levels"):
        tp.iter_post_replies("1", top_levels="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tp.paginate(tp.get_posts, no_such_argument=1)
