"""A user's bot, as a mypy user writes it: type-checked with `mypy --strict`, no casts.

tests/typing/test_user_types.py runs mypy on this file; `assert_type` fails the check if a
value's type is not the one promised (in particular if it is `Any`). It is also run against
the sandbox there, so every line is true at run time too.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Literal

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # Python 3.10
    from typing_extensions import assert_type

from threadspipepy import ThreadsPipe
from threadspipepy.shapes import PartState, Post, Reply


def post_and_report(tp: ThreadsPipe, text: str) -> list[str]:
    result = tp.pipe(text, who_can_reply="accounts_you_follow")
    assert_type(result.media_ids, list[str])
    assert_type(result.ok, bool)
    assert_type(result.error_code, int | None)
    assert_type(result.error_message, str | None)
    if not result.ok:
        for part in result.parts:
            assert_type(part, PartState)
            state: Literal["published", "in_doubt", "not_sent"] = part["state"]
            print(part["index"], state)
        print(len(result.remaining), "parts left; resume with tp.resume_pipe(result)")
        return []
    for published in result.posts:
        assert_type(published["id"], str)
        assert_type(published["text"], str | None)
    return result.media_ids


def newest_texts(tp: ThreadsPipe, limit: int) -> list[str]:
    texts: list[str] = []
    for post in tp.iter_posts(limit=limit):
        assert_type(post, Post)
        texts.append(post.get("text", ""))
        assert_type(post["id"], str)
    return texts


def unhidden_replies(tp: ThreadsPipe, post_id: str) -> list[Reply]:
    return [r for r in tp.iter_post_replies(post_id) if r.get("hide_status") != "HIDDEN"]


def best_day(tp: ThreadsPipe) -> tuple[date, int] | None:
    insights = tp.get_user_insights(
        since_date="2024-06-01",
        until_date="2024-06-08",
        metrics=["views", "likes"],
        follower_demographic_breakdown="country",
    )
    daily = insights.daily("views")
    assert_type(daily, list[tuple[date, int]])
    likes = insights.total("likes")
    assert_type(likes, int | None)
    countries = insights.breakdown("follower_demographics")
    assert_type(countries, dict[str, int])
    return max(daily, key=lambda point: point[1]) if daily else None


def main(tp: ThreadsPipe) -> None:
    ids = post_and_report(tp, "Typed all the way down")
    print(ids, newest_texts(tp, 5), unhidden_replies(tp, ids[0]), best_day(tp))
