"""Insights against the sandbox: requests, the three response shapes, metrics by name."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import ThreadsAPIError, ThreadsPipe, ValidationError
from threadspipepy.insights import BREAKDOWNS, POST_METRICS, USER_METRICS, InsightsResult
from threadspipepy.testing import RecordedRequest, ThreadsSandbox

DEMOGRAPHICS = {
    "country": {"US": 400, "GB": 250, "IN": 100},
    "city": {"London, England": 120, "New York, New York": 80},
    "age": {"18-24": 90, "25-34": 300, "35-44": 110},
    "gender": {"F": 380, "M": 340, "U": 30},
}


def insight_requests(sandbox: ThreadsSandbox) -> list[RecordedRequest]:
    return sandbox.requests_to("GET", "*insights")


def test_post_insights_all_metrics(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1)
    sandbox.seed_insights(post["id"], views=1200, likes=40, reposts=3, quotes=2, shares=5)
    sandbox.seed_replies(post["id"], 4)
    result = tp.get_post_insights(post["id"])
    (request,) = insight_requests(sandbox)
    assert request.path == f"/v1.0/{post['id']}/insights"
    assert request.query == {"metric": ",".join(POST_METRICS)}
    assert isinstance(result, InsightsResult) and result.ok
    assert [item["name"] for item in result["data"]] == list(POST_METRICS)
    assert result["views"] == 1200 and result["likes"] == 40 and result["shares"] == 5
    assert result["replies"] == 4
    assert result.metrics == {
        "views": 1200,
        "likes": 40,
        "replies": 4,
        "reposts": 3,
        "quotes": 2,
        "shares": 5,
    }


def test_post_insights_some_metrics(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1)
    sandbox.seed_insights(post["id"], likes=7)
    result = tp.get_post_insights(post["id"], metrics=["likes", "views"])
    assert insight_requests(sandbox)[0].query == {"metric": "likes,views"}
    assert result["likes"] == 7 and "shares" not in result
    assert tp.get_post_insights(post["id"], "likes")["likes"] == 7


def test_post_insights_failure(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    result = tp.get_post_insights("17999999999999999")
    assert "error" in result and "views" not in result
    with pytest.raises(ThreadsAPIError):
        result.raise_for_error()


def test_user_insights_time_series_and_totals(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    today = sandbox.seed_posts(1)[0]["timestamp"][:10]
    end = date.fromisoformat(today)
    days = [end - timedelta(days=k) for k in range(6, 0, -1)]
    views = {d.isoformat(): 10 * (i + 1) for i, d in enumerate(days)}
    sandbox.seed_user_insights(views=views, likes=77, clicks={"https://example.com/": 9})
    result = tp.get_user_insights(
        since_date=days[0], until_date=end, metrics=["views", "likes", "clicks"]
    )
    (request,) = insight_requests(sandbox)
    assert request.path == "/v1.0/me/threads_insights"
    assert request.query == {
        "metric": "views,likes,clicks",
        "since": str(int(_midnight(days[0]))),
        "until": str(int(_midnight(end))),
    }
    assert [value for _, value in result["views"]] == [10, 20, 30, 40, 50, 60]
    assert all(isinstance(end_time, str) for end_time, _ in result["views"])
    assert result["likes"] == 77
    assert result["clicks"] == {"https://example.com/": 9}


def _midnight(day: date) -> float:
    from datetime import datetime, timezone

    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("breakdown", BREAKDOWNS)
def test_follower_demographics_with_each_breakdown(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, breakdown: str
) -> None:
    sandbox.seed_user_insights(followers_count=750, demographics=DEMOGRAPHICS)
    result = tp.get_user_insights(
        follower_demographic_breakdown=breakdown, metrics="follower_demographics"
    )
    (request,) = insight_requests(sandbox)
    assert request.query == {"metric": "follower_demographics", "breakdown": breakdown}
    assert result["follower_demographics"] == DEMOGRAPHICS[breakdown]


def test_breakdown_is_sent_only_with_follower_demographics(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    result = tp.get_user_insights(metrics=["followers_count", "likes"])
    (request,) = insight_requests(sandbox)
    assert request.query == {"metric": "followers_count,likes"}
    assert result.ok and isinstance(result["followers_count"], int)


def test_all_metrics_without_dates_is_one_request(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_user_insights(followers_count=300)
    result = tp.get_user_insights()
    (request,) = insight_requests(sandbox)
    assert request.query == {"metric": ",".join(USER_METRICS), "breakdown": "country"}
    assert set(result.metrics) == set(USER_METRICS)
    assert result["followers_count"] == 300
    assert isinstance(result["views"], list) and isinstance(result["follower_demographics"], dict)


def test_all_metrics_with_dates_asks_for_current_values_separately(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.seed_user_insights(followers_count=300, demographics=DEMOGRAPHICS)
    result = tp.get_user_insights(
        since_date="2025-06-01", until_date="2025-06-08", follower_demographic_breakdown="age"
    )
    timed, current = insight_requests(sandbox)
    assert timed.query == {
        "metric": "views,likes,replies,reposts,quotes,clicks",
        "since": "1748736000",
        "until": "1749340800",
    }
    assert current.query == {"metric": "followers_count,follower_demographics", "breakdown": "age"}
    assert [item["name"] for item in result["data"]] == list(USER_METRICS)
    assert len(result["views"]) == 7
    assert result["followers_count"] == 300
    assert result["follower_demographics"] == DEMOGRAPHICS["age"]


def test_daily_values_end_at_pacific_midnight_with_windows_either_side(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.seed_user_insights(
        views={"2024-11-02": 4, "2024-11-03": 5, "2024-11-04": 6}, followers_count=300
    )
    result = tp.get_user_insights(
        since_date="2024-11-02", until_date="2024-11-05", metrics=["views", "followers_count"]
    )
    # 3 November 2024 falls back to winter time: the days before end at 07:00 UTC, after at 08:00.
    assert result["views"] == [
        ("2024-11-03T07:00:00+0000", 4),
        ("2024-11-04T08:00:00+0000", 5),
        ("2024-11-05T08:00:00+0000", 6),
    ]
    assert result["followers_count"] == 300
    windows = {name: parse_qs(urlsplit(url).query) for name, url in result["paging"].items()}
    assert windows["previous"]["until"] == ["1730505600"]  # the range asked for, then
    assert windows["next"]["since"] == ["1730764800"]  # the windows just before and after
    assert windows["next"]["metric"] == ["views"]  # the dated request's windows
    timed, _ = insight_requests(sandbox)
    assert (timed.query["since"], timed.query["until"]) == ("1730505600", "1730764800")


def test_user_insights_for_a_user_id(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    result = tp.get_user_insights(user_id=sandbox.user_id, metrics="likes")
    assert insight_requests(sandbox)[0].path == f"/v1.0/{sandbox.user_id}/threads_insights"
    assert isinstance(result["likes"], int)


def test_user_insights_errors(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_user_insights(followers_count=40)
    small = tp.get_user_insights(metrics="follower_demographics")
    assert "error" in small and "follower_demographics" not in small
    with pytest.raises(ValidationError, match="2024-04-13"):
        tp.get_user_insights(since_date="2024-04-01")
    with pytest.raises(ValidationError, match="follower_demographic_breakdown"):
        tp.get_user_insights(follower_demographic_breakdown="region")
    with pytest.raises(ValidationError, match="metrics"):
        tp.get_user_insights(metrics="shares")
    assert len(sandbox.requests) == 1
