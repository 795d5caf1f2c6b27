"""The typed shapes agree with what the library checks and asks Meta for."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from threadspipepy import insights, reading, shapes, validation


def keys(typed_dict: Any) -> set[str]:
    return set(typed_dict.__required_keys__ | typed_dict.__optional_keys__)


@pytest.mark.parametrize(
    ("literal", "values"),
    [
        (shapes.WhoCanReply, validation.REPLY_CONTROLS),
        (shapes.SearchType, reading.SEARCH_TYPES),
        (shapes.SearchMode, reading.SEARCH_MODES),
        (shapes.SearchMediaType, reading.SEARCH_MEDIA_TYPES),
        (shapes.ApprovalStatus, reading.APPROVAL_STATUSES),
        (shapes.DemographicBreakdown, insights.BREAKDOWNS),
        (shapes.PostMetric, insights.POST_METRICS),
        (shapes.UserMetric, insights.USER_METRICS),
    ],
)
def test_each_literal_is_the_set_the_library_accepts(literal: Any, values: tuple[str, ...]) -> None:
    assert get_args(literal) == tuple(values)


def test_post_and_reply_hold_every_default_field() -> None:
    assert set(reading.POST_FIELDS) | set(reading.GHOST_POST_FIELDS) <= keys(shapes.Post)
    replies = (*reading.REPLY_FIELDS, *reading.USER_REPLY_FIELDS, *reading.PENDING_REPLY_FIELDS)
    assert set(replies) <= keys(shapes.Reply)
    assert keys(shapes.Post) < keys(shapes.Reply)
