"""Insights: metric lists, name and breakdown checks, flattening of Meta's three shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from threadspipepy import ThreadsPipe, ValidationError, results
from threadspipepy.errors import error_from_envelope
from threadspipepy.insights import (
    BREAKDOWNS,
    POST_METRICS,
    USER_METRICS,
    InsightsResult,
    flatten,
    insights_result,
    merge_bodies,
    metric_names,
    post_insights_request,
    rows,
    user_insights_requests,
)

TIME_SERIES = {
    "name": "views",
    "period": "day",
    "values": [
        {"value": 10, "end_time": "2024-07-12T07:00:00+0000"},
        {"value": 14, "end_time": "2024-07-13T07:00:00+0000"},
    ],
    "title": "views",
    "description": "profile views",
    "id": "1/insights/views/day",
}
TOTAL = {"name": "likes", "period": "day", "total_value": {"value": 7}, "id": "1/insights/likes"}
LIFETIME = {"name": "quotes", "period": "lifetime", "values": [{"value": 3}], "id": "m/quotes"}
CLICKS = {
    "name": "clicks",
    "period": "day",
    "link_total_values": [
        {"value": 11, "link_url": "https://ai.meta.com/blog/"},
        {"value": 4, "link_url": "https://example.com/"},
        {"value": 1, "link_url": "https://example.com/"},
    ],
}
DEMOGRAPHICS = {
    "name": "follower_demographics",
    "period": "lifetime",
    "total_value": {
        "breakdowns": [
            {
                "dimension_keys": ["country"],
                "results": [
                    {"dimension_values": ["US"], "value": 60},
                    {"dimension_values": ["GB"], "value": 40},
                ],
            }
        ]
    },
}


def one(*args: Any) -> Any:
    """The single request user_insights_requests builds for these arguments."""
    (request,) = user_insights_requests(*args)
    return request


def body(*items: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(items)}


def test_lists_match_the_api_and_the_class_attributes() -> None:
    assert POST_METRICS == ("views", "likes", "replies", "reposts", "quotes", "shares")
    assert "clicks" in USER_METRICS and "follower_demographics" in USER_METRICS
    assert BREAKDOWNS == ("country", "city", "age", "gender")
    assert list(POST_METRICS) == ThreadsPipe.threads_post_insight_metrics
    assert list(USER_METRICS) == ThreadsPipe.threads_user_insight_metrics
    assert list(BREAKDOWNS) == ThreadsPipe.threads_follower_demographic_breakdown_list


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("all", list(POST_METRICS)),
        ("ALL", list(POST_METRICS)),
        (None, list(POST_METRICS)),
        ("views", ["views"]),
        ("views, likes,,", ["views", "likes"]),
        (["Likes", "views", "likes"], ["likes", "views"]),
        (("shares",), ["shares"]),
    ],
)
def test_metric_names(given: Any, expected: list[str]) -> None:
    assert metric_names(given, POST_METRICS) == expected


@pytest.mark.parametrize("given", ["impressions", ["views", "clicks"], [], ""])
def test_unknown_or_no_metrics_are_refused(given: Any) -> None:
    with pytest.raises(ValidationError, match="views, likes, replies") as caught:
        metric_names(given, POST_METRICS)
    assert caught.value.parameter == "metrics"


def test_post_insights_request() -> None:
    request = post_insights_request(123, "all")
    assert (request.method, request.path) == ("GET", "123/insights")
    assert request.params == {"metric": "views,likes,replies,reposts,quotes,shares"}
    with pytest.raises(ValidationError, match="post_id"):
        post_insights_request("", "all")


def test_breakdown_only_with_follower_demographics() -> None:
    request = one(None, None, None, "country", ["views", "likes"])
    assert request.path == "me/threads_insights"
    assert request.params == {"metric": "views,likes"}
    request = one("42", None, None, "AGE", "follower_demographics")
    assert request.path == "42/threads_insights"
    assert request.params == {"metric": "follower_demographics", "breakdown": "age"}
    everything = one(None, None, None, "country", "all")
    assert everything.params["metric"] == ",".join(USER_METRICS)
    assert everything.params["breakdown"] == "country"


@pytest.mark.parametrize("breakdown", BREAKDOWNS)
def test_each_breakdown_is_accepted(breakdown: str) -> None:
    request = one(None, None, None, breakdown, ["follower_demographics"])
    assert request.params["breakdown"] == breakdown


def test_bad_or_missing_breakdown_is_refused() -> None:
    with pytest.raises(ValidationError, match="country, city, age, gender") as caught:
        one(None, None, None, "region", ["views"])
    assert caught.value.parameter == "follower_demographic_breakdown"
    with pytest.raises(ValidationError, match="exactly one breakdown"):
        one(None, None, None, None, ["follower_demographics"])
    # No demographics asked for: no breakdown needed.
    assert "breakdown" not in one(None, None, None, None, "views").params


def test_current_metrics_never_get_a_time_range() -> None:
    timed, current = user_insights_requests(None, "2024-06-01", "2024-06-30", "city", "all")
    assert timed.params == {
        "metric": "views,likes,replies,reposts,quotes,clicks",
        "since": 1717200000,
        "until": 1719705600,
    }
    assert current.params == {
        "metric": "followers_count,follower_demographics",
        "breakdown": "city",
    }
    assert timed.path == current.path == "me/threads_insights"
    # Without dates: one request for everything.
    assert len(user_insights_requests(None, None, None, "city", "all")) == 1
    with pytest.raises(ValidationError, match="followers_count take no since_date"):
        user_insights_requests(None, "2024-06-01", None, "city", ["followers_count"])


def test_merge_keeps_the_asked_order() -> None:
    merged = merge_bodies(
        [body(TIME_SERIES, TOTAL), body(DEMOGRAPHICS)], ["likes", "follower_demographics", "views"]
    )
    assert [item["name"] for item in merged["data"]] == ["likes", "follower_demographics", "views"]
    single = body(TOTAL)
    assert merge_bodies([single], ["likes"]) == single


def test_flatten_each_shape() -> None:
    flat = flatten(body(TIME_SERIES, TOTAL, LIFETIME, CLICKS, DEMOGRAPHICS))
    assert flat == {
        "views": [("2024-07-12T07:00:00+0000", 10), ("2024-07-13T07:00:00+0000", 14)],
        "likes": 7,
        "quotes": 3,
        "clicks": {"https://ai.meta.com/blog/": 11, "https://example.com/": 5},
        "follower_demographics": {"US": 60, "GB": 40},
    }


def test_flatten_other_demographic_and_link_forms() -> None:
    old_style = {"name": "follower_demographics", "values": [{"value": {"25-34": 9, "35-44": 3}}]}
    total_dict = {"name": "follower_demographics", "total_value": {"value": {"F": 5, "M": 4}}}
    one_link = {"name": "clicks", "total_value": {"value": 2, "link_url": "https://x.example/"}}
    assert flatten(body(old_style)) == {"follower_demographics": {"25-34": 9, "35-44": 3}}
    assert flatten(body(total_dict)) == {"follower_demographics": {"F": 5, "M": 4}}
    assert flatten(body(one_link)) == {"clicks": {"https://x.example/": 2}}
    assert flatten(body({"name": "views", "values": []})) == {"views": []}
    assert flatten({"data": []}) == {} and flatten({}) == {}


def test_insights_result_exposes_metrics_by_name_and_keeps_meta_json() -> None:
    raw = body(TIME_SERIES, TOTAL, DEMOGRAPHICS)
    result = insights_result(raw)
    assert isinstance(result, InsightsResult) and isinstance(result, results.Result)
    assert result["data"] == raw["data"]
    assert result["likes"] == 7
    assert result["views"][1] == ("2024-07-13T07:00:00+0000", 14)
    assert result["follower_demographics"]["US"] == 60
    assert "error" not in result and result.ok
    assert result.metrics == flatten(raw)
    assert set(result) == {"data", "views", "likes", "follower_demographics"}
    assert json.loads(json.dumps(result))["likes"] == 7


def test_a_metric_never_overwrites_reserved_keys() -> None:
    odd = {"data": [{"name": "error", "total_value": {"value": 1}}], "paging": {"x": 1}}
    result = insights_result(odd)
    assert "error" not in result and result.ok
    assert result["paging"] == {"x": 1}


def test_failures_stay_failures() -> None:
    exc = error_from_envelope({"error": {"message": "nope", "code": 10}}, 403)
    failure = results.graph_failure(exc)
    assert "error" in failure and "views" not in failure


def test_rows_are_tidy() -> None:
    table = rows(body(TIME_SERIES, TOTAL, CLICKS, DEMOGRAPHICS))
    assert table[0] == {
        "metric": "views",
        "period": "day",
        "end_time": "2024-07-12T07:00:00+0000",
        "breakdown": None,
        "key": None,
        "value": 10,
    }
    assert [r["metric"] for r in table] == [
        "views",
        "views",
        "likes",
        "clicks",
        "clicks",
        "follower_demographics",
        "follower_demographics",
    ]
    assert table[2]["value"] == 7 and table[2]["end_time"] is None
    assert {(r["breakdown"], r["key"], r["value"]) for r in table[3:5]} == {
        ("link_url", "https://ai.meta.com/blog/", 11),
        ("link_url", "https://example.com/", 5),
    }
    assert (table[5]["breakdown"], table[5]["key"], table[5]["value"]) == ("country", "US", 60)
