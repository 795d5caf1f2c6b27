"""Replies, conversations, hiding and reply approvals (threads-api.md §4.4-§4.6)."""

from __future__ import annotations

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph, graph_error


def texts(body: dict[str, object]) -> list[str]:
    data = body["data"]
    assert isinstance(data, list)
    return [item["text"] for item in data]


def test_replies_are_top_level_newest_first(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    replies = sb.seed_replies(post["id"], 3, depth=3)
    assert [r["text"] for r in replies[:3]] == ["Reply 1", "Reply 1.1", "Reply 1.1.1"]
    body = graph.get(f"{post['id']}/replies", fields="text,is_reply,has_replies,root_post").json()
    assert texts(body) == ["Reply 3", "Reply 2", "Reply 1"]  # reverse=true by default
    assert all(r["root_post"] == {"id": post["id"]} and r["has_replies"] for r in body["data"])
    oldest = graph.get(f"{post['id']}/replies", fields="text", reverse="false").json()
    assert texts(oldest) == ["Reply 1", "Reply 2", "Reply 3"]
    nested = graph.get(f"{replies[0]['id']}/replies", fields="text").json()
    assert texts(nested) == ["Reply 1.1"]
    assert graph_error(graph.get(f"{post['id']}/replies", reverse="yes"))["code"] == 100


def test_conversation_is_every_level_flattened(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    sb.seed_replies(post["id"], 2, depth=3)
    body = graph.get(f"{post['id']}/conversation", fields="text", reverse="false").json()
    assert texts(body) == [
        "Reply 1",
        "Reply 1.1",
        "Reply 1.1.1",
        "Reply 2",
        "Reply 2.1",
        "Reply 2.1.1",
    ]
    newest = graph.get(f"{post['id']}/conversation", fields="text,replied_to", limit=2).json()
    assert texts(newest) == ["Reply 2.1.1", "Reply 2.1"]
    after = newest["paging"]["cursors"]["after"]
    rest = graph.get(f"{post['id']}/conversation", fields="text", limit=10, after=after).json()
    assert texts(rest) == ["Reply 2", "Reply 1.1.1", "Reply 1.1", "Reply 1"]
    assert "next" not in rest["paging"] and "after" in rest["paging"]["cursors"]  # the end


def test_hide_and_unhide_a_top_level_reply(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    top, nested = sb.seed_replies(post["id"], 1, depth=2)
    assert graph.get(top["id"], fields="hide_status").json()["hide_status"] == "NOT_HUSHED"
    assert graph.get(post["id"], fields="id,hide_status").json() == {"id": post["id"]}
    answer = graph.post(f"{top['id']}/manage_reply", hide="true")
    assert answer.status_code == 200
    assert answer.json() == {"success": True}
    assert graph.get(top["id"], fields="hide_status").json()["hide_status"] == "HIDDEN"
    assert graph.get(nested["id"], fields="hide_status").json()["hide_status"] == "HIDDEN"
    listed = graph.get(f"{post['id']}/replies", fields="id,hide_status").json()["data"]
    assert listed == [{"id": top["id"], "hide_status": "HIDDEN"}]  # still listed for the owner
    assert graph.post(f"{top['id']}/manage_reply", hide="false").json() == {"success": True}
    assert graph.get(top["id"], fields="hide_status").json()["hide_status"] == "UNHUSHED"
    assert graph.get(nested["id"], fields="hide_status").json()["hide_status"] == "NOT_HUSHED"


def test_hide_rules(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    top, nested = sb.seed_replies(post["id"], 1, depth=2)
    only_top = graph_error(graph.post(f"{nested['id']}/manage_reply", hide="true"))
    assert only_top["code"] == 100
    assert "top-level" in only_top["message"]
    assert graph_error(graph.post(f"{post['id']}/manage_reply", hide="true"))["code"] == 100
    assert graph_error(graph.post(f"{top['id']}/manage_reply"))["code"] == 100  # hide required
    assert graph_error(graph.post(f"{top['id']}/manage_reply", hide="yes"))["code"] == 100
    get = graph_error(graph.get(f"{top['id']}/manage_reply"))
    assert (get["code"], get["error_subcode"]) == (100, 33)
    (theirs,) = sb.seed_posts(1, username="other_author")
    (their_reply,) = sb.seed_replies(theirs["id"], 1)
    assert (
        graph_error(graph.post(f"{their_reply['id']}/manage_reply", hide="true"), 403)["code"] == 10
    )


def test_seeded_hidden_replies(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    sb.seed_replies(post["id"], 2, depth=2, hidden=True)
    body = graph.get(f"{post['id']}/conversation", fields="hide_status").json()
    assert {r["hide_status"] for r in body["data"]} == {"HIDDEN"}


def test_reply_approvals(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1, enable_reply_approvals=True)
    waiting = sb.seed_replies(post["id"], 3, username="fan")
    (own,) = sb.seed_replies(post["id"], 1, username=None)  # the author's own: no approval
    assert texts(graph.get(f"{post['id']}/replies", fields="text").json()) == [own["text"]]
    pending = graph.get(
        f"{post['id']}/pending_replies", fields="id,text,reply_approval_status"
    ).json()
    assert [r["id"] for r in pending["data"]] == [r["id"] for r in reversed(waiting)]
    assert {r["reply_approval_status"] for r in pending["data"]} == {"pending"}
    assert "paging" in pending

    first, second, third = (r["id"] for r in waiting)
    assert graph.post(f"{first}/manage_pending_reply", approve="true").json() == {"success": True}
    assert graph.post(f"{second}/manage_pending_reply", approve="false").json() == {"success": True}
    ignored = graph.get(f"{post['id']}/pending_replies", approval_status="ignored").json()
    assert [r["id"] for r in ignored["data"]] == [second]
    still = graph.get(f"{post['id']}/pending_replies", approval_status="pending", reverse="false")
    assert [r["id"] for r in still.json()["data"]] == [third]
    visible = graph.get(f"{post['id']}/replies", reverse="false").json()["data"]
    assert [r["id"] for r in visible] == [first, own["id"]]
    assert "reply_approval_status" not in graph.get(first, fields="id,reply_approval_status").json()

    # An ignored reply can still be approved; an approved one is no longer pending.
    assert graph.post(f"{second}/manage_pending_reply", approve="true").status_code == 200
    error = graph_error(graph.post(f"{first}/manage_pending_reply", approve="true"))
    assert error["code"] == 100
    assert graph_error(graph.post(f"{third}/manage_pending_reply"))["code"] == 100


def test_reply_approval_errors(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1, enable_reply_approvals=True)
    sb.seed_replies(post["id"], 1, username="fan")
    bad = graph.get(f"{post['id']}/pending_replies", approval_status="PENDING")
    assert graph_error(bad)["code"] == 100  # case-sensitive
    (plain,) = sb.seed_posts(1)
    assert graph.get(f"{plain['id']}/pending_replies").json() == {"data": []}
    other = Graph(sb, sb.add_account(username="intruder").access_token)
    assert graph_error(other.get(f"{post['id']}/pending_replies"), 403)["code"] == 10
    (reply,) = sb.seed_replies(plain["id"], 1)
    assert (
        graph_error(graph.post(f"{reply['id']}/manage_pending_reply", approve="true"))["code"]
        == 100
    )


def test_api_published_replies_wait_for_approval(graph: Graph, sb: ThreadsSandbox) -> None:
    root = graph.post_text("Moderated", enable_reply_approvals="true")
    fan = Graph(sb, sb.add_account(username="fan").access_token)
    reply = fan.post_text("Me first!", reply_to_id=root)
    pending = graph.get(f"{root}/pending_replies").json()["data"]
    assert pending == [{"id": reply}]
    assert graph.get(f"{root}/replies").json() == {"data": []}


def test_author_fields_follow_the_authors_profile(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    sb.seed_profile("celebrity", 90000, is_verified=True)
    sb.seed_profile("quiet_one", 300, private=True)
    sb.seed_replies(post["id"], 1, username="celebrity")
    sb.seed_replies(post["id"], 1, username="quiet_one")
    fields = "username,permalink,is_verified,text"
    quiet, famous = graph.get(f"{post['id']}/replies", fields=fields).json()["data"]
    assert famous["username"] == "celebrity"
    assert famous["is_verified"] is True
    assert famous["permalink"].startswith("https://www.threads.com/@celebrity/post/")
    assert quiet == {"is_verified": False, "text": "Reply 1"}  # private: no username/permalink


def test_moderation_booleans_read_as_graph_reads_them(graph: Graph, sb: ThreadsSandbox) -> None:
    # Graph takes true/false in any case and 1/0 (another client sends hide=True).
    (post,) = sb.seed_posts(1)
    sb.seed_replies(post["id"], 2)
    assert texts(graph.get(f"{post['id']}/replies", fields="text", reverse="0").json()) == [
        "Reply 1",
        "Reply 2",
    ]
    assert texts(graph.get(f"{post['id']}/replies", fields="text", reverse="TRUE").json()) == [
        "Reply 2",
        "Reply 1",
    ]
    top = graph.get(f"{post['id']}/replies", reverse="False").json()["data"][0]["id"]
    for value, status in (("True", "HIDDEN"), ("0", "UNHUSHED"), ("1", "HIDDEN")):
        assert graph.post(f"{top}/manage_reply", hide=value).json() == {"success": True}
        assert graph.get(top, fields="hide_status").json()["hide_status"] == status
    (moderated,) = sb.seed_posts(1, enable_reply_approvals=True)
    waiting, later = sb.seed_replies(moderated["id"], 2, username="fan")
    assert graph.post(f"{waiting['id']}/manage_pending_reply", approve="FALSE").status_code == 200
    assert graph.post(f"{later['id']}/manage_pending_reply", approve="1").status_code == 200
    ignored = graph.get(f"{moderated['id']}/pending_replies", approval_status="ignored").json()
    assert [r["id"] for r in ignored["data"]] == [waiting["id"]]
    visible = graph.get(f"{moderated['id']}/replies").json()["data"]
    assert [r["id"] for r in visible] == [later["id"]]
