"""Date parsing for since/until: every accepted form, the UTC rule, and the order check."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadspipepy import ValidationError
from threadspipepy.insights import EARLIEST_INSIGHTS, user_insights_requests
from threadspipepy.reading import list_request, time_range, to_unix

MAY_1_2024 = 1714521600  # 2024-05-01T00:00:00Z


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01",
        " 2024-05-01 ",
        date(2024, 5, 1),
        datetime(2024, 5, 1),  # naive means UTC
        datetime(2024, 5, 1, tzinfo=timezone.utc),
        datetime(2024, 5, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        "2024-05-01T00:00:00Z",
        "2024-05-01T00:00:00+00:00",
        "2024-05-01T02:00:00+02:00",
        "2024-05-01T00:00:00",
        MAY_1_2024,
        float(MAY_1_2024),
        MAY_1_2024 + 0.75,  # fractions of a second are dropped
        str(MAY_1_2024),
    ],
)
def test_every_accepted_form_is_the_same_moment(value: object) -> None:
    assert to_unix(value, "since_date") == MAY_1_2024  # type: ignore[arg-type]


def test_naive_datetime_is_utc_not_local_time() -> None:
    assert to_unix(datetime(2024, 5, 1, 12, 30), "until_date") == MAY_1_2024 + 12 * 3600 + 1800


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "2024-13-01", "2024/05/01", "01-05-2024", -1, float("nan"), True, None, []],
)
def test_bad_values_name_the_parameter_and_the_forms(value: object) -> None:
    with pytest.raises(ValidationError, match="until_date must be a date as 'YYYY-MM-DD'") as e:
        to_unix(value, "until_date")  # type: ignore[arg-type]
    assert e.value.parameter == "until_date"
    assert isinstance(e.value, ValueError)


def test_time_range_keeps_none_and_orders() -> None:
    assert time_range(None, None) == (None, None)
    assert time_range("2024-05-01", None) == (MAY_1_2024, None)
    assert time_range(None, date(2024, 5, 2)) == (None, MAY_1_2024 + 86400)
    assert time_range("2024-05-01", "2024-05-02") == (MAY_1_2024, MAY_1_2024 + 86400)


@pytest.mark.parametrize(
    ("since", "until"), [("2024-05-02", "2024-05-01"), ("2024-05-01", MAY_1_2024)]
)
def test_since_not_before_until_is_refused(since: object, until: object) -> None:
    with pytest.raises(ValidationError, match="must be before until_date") as caught:
        time_range(since, until)  # type: ignore[arg-type]
    assert caught.value.parameter == "since_date"


def test_names_used_in_messages_follow_the_caller() -> None:
    with pytest.raises(ValidationError, match=r"since .* must be before until"):
        time_range(2, 1, since_name="since", until_name="until")


def test_lists_refuse_times_before_threads_existed() -> None:
    with pytest.raises(ValidationError, match="2023-07-05") as caught:
        list_request("me/threads", "id", since="2023-07-01")
    assert caught.value.parameter == "since_date"
    assert list_request("me/threads", "id", since=1688540400).params["since"] == 1688540400


def test_insights_before_april_13_2024_are_refused() -> None:
    assert EARLIEST_INSIGHTS == 1712991600
    with pytest.raises(ValidationError, match="2024-04-13") as caught:
        user_insights_requests(None, EARLIEST_INSIGHTS - 1, None, None, ["views"])
    assert caught.value.parameter == "since_date"
    with pytest.raises(ValidationError, match="until_date"):
        user_insights_requests(None, None, "2024-01-01", None, ["views"])
    (request,) = user_insights_requests(None, EARLIEST_INSIGHTS, "2024-05-01", None, ["views"])
    assert request.params == {"metric": "views", "since": EARLIEST_INSIGHTS, "until": MAY_1_2024}


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)))
def test_datetime_round_trip(moment: datetime) -> None:
    seconds = to_unix(moment, "since_date")
    back = datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)
    assert back == moment.replace(microsecond=0)
    assert to_unix(moment.date(), "since_date") <= seconds < to_unix(moment.date(), "x") + 86400
    assert to_unix(moment.isoformat(), "since_date") == seconds
