"""Calls a type checker must refuse (tests/typing/test_user_types.py expects each error)."""

from __future__ import annotations

from threadspipepy import ThreadsPipe


def wrong(tp: ThreadsPipe) -> None:
    tp.pipe("x", who_can_reply="nobody")  # error: who_can_reply
    tp.keyword_search("x", search_type="NEWEST")  # error: search_type
    tp.get_user_insights(follower_demographic_breakdown="planet")  # error: breakdown
    ids: list[int] = tp.pipe("x").media_ids  # error: list[str]
    for post in tp.iter_posts():
        ids.append(post["likes"])  # error: not a key of Post
