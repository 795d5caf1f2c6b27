"""The read commands (`posts`, `get-post`, `replies`, `profile`, `insights`, `search`) in a
subprocess against a seeded sandbox: what the sandbox received, tables and JSON lines on
stdout, exit statuses 0 / 1 / 2, and no secret printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from threadspipepy.testing import ThreadsSandbox

from .conftest import RunCli

# run(*args): the CLI pointed at `sb` through the environment
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run(run_cli: RunCli, sandbox_env: dict[str, str], sb: ThreadsSandbox) -> Run:
    """Run the CLI against `sb` (not --sandbox) and check that no secret reached the output."""

    def go(*args: str) -> subprocess.CompletedProcess[str]:
        proc = run_cli(*args, env=sandbox_env)
        assert sb.access_token not in proc.stdout + proc.stderr
        return proc

    return go


@pytest.fixture
def posts(sb: ThreadsSandbox) -> list[dict[str, Any]]:
    """Three text posts on 1-3 July 2024 at 09:00 UTC, then an image without text on 5 July."""
    seeded = sb.seed_posts(3, start="2024-07-01T09:00:00", spacing=86400)
    seeded += sb.seed_posts(1, media_type="IMAGE", text=None, start="2024-07-05T10:00:00")
    sb.clear_requests()
    return seeded


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def table(stdout: str) -> list[list[str]]:
    """Rows of a table split on runs of 2+ spaces (cells hold single spaces)."""
    return [re.split(r" {2,}", line.strip()) for line in stdout.splitlines()]


def params(sb: ThreadsSandbox, path: str) -> list[dict[str, str]]:
    return [r.params for r in sb.requests_to("GET", path)]


# -- posts --------------------------------------------------------------------------------------
def test_posts_table(run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]) -> None:
    proc = run("posts")
    assert proc.returncode == 0, proc.stderr
    rows = table(proc.stdout)
    assert rows[0] == ["id", "time (UTC)", "type", "text"]
    assert rows[1:] == [
        [posts[3]["id"], "2024-07-05 10:00", "IMAGE", "(no text)"],
        [posts[2]["id"], "2024-07-03 09:00", "TEXT_POST", "Seeded post 3"],
        [posts[1]["id"], "2024-07-02 09:00", "TEXT_POST", "Seeded post 2"],
        [posts[0]["id"], "2024-07-01 09:00", "TEXT_POST", "Seeded post 1"],
    ]
    # Aligned: every row's text starts in the column of the header's "text".
    lines = proc.stdout.splitlines()
    column = lines[0].index("text")
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines)
    # One page of Meta's default size. A page without paging links keeps its `after` cursor
    # (as Meta's last pages do), so the iterator asks once more and stops at the empty page.
    sent, beyond = params(sb, "/v1.0/*/threads")
    assert sent["limit"] == "25"
    assert "after" not in sent and beyond["after"]
    assert proc.stderr == ""


def test_posts_json_lines_and_json_after_the_command(
    run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]
) -> None:
    before = run("--json", "posts", "--limit", "2")
    after = run("posts", "--limit", "2", "--json")
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout
    items = json_lines(before.stdout)
    assert [item["id"] for item in items] == [posts[3]["id"], posts[2]["id"]]
    assert items[1]["text"] == "Seeded post 3"
    assert items[1]["owner"] == {"id": sb.user_id}
    assert [p["limit"] for p in params(sb, "/v1.0/*/threads")] == ["2", "2"]
    assert before.stderr == ""


def test_posts_all_walks_every_page(run: Run, sb: ThreadsSandbox) -> None:
    seeded = sb.seed_posts(230, start="2024-07-01T00:00:00", spacing=60)
    sb.clear_requests()
    proc = run("--json", "posts", "--all")
    assert proc.returncode == 0, proc.stderr
    ids = [item["id"] for item in json_lines(proc.stdout)]
    assert ids == [p["id"] for p in reversed(seeded)]  # each post once, newest first
    sent = params(sb, "/v1.0/*/threads")
    assert [p["limit"] for p in sent] == ["100", "100", "100"]
    assert "after" not in sent[0]
    assert sent[1]["after"] and sent[2]["after"] and sent[1]["after"] != sent[2]["after"]


def test_posts_limit_over_one_page_and_all_with_limit(run: Run, sb: ThreadsSandbox) -> None:
    sb.seed_posts(230, start="2024-07-01T00:00:00", spacing=60)
    sb.clear_requests()
    proc = run("--json", "posts", "--limit", "150")
    assert len(json_lines(proc.stdout)) == 150
    assert [p["limit"] for p in params(sb, "/v1.0/*/threads")] == ["100", "50"]
    sb.clear_requests()
    table_rows = run("posts", "--all", "--limit", "120").stdout.splitlines()
    assert len(table_rows) == 1 + 120
    assert [p["limit"] for p in params(sb, "/v1.0/*/threads")] == ["100", "20"]


def test_posts_since_and_until(run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]) -> None:
    proc = run("--json", "posts", "--since", "2024-07-02", "--until", "2024-07-04")
    assert proc.returncode == 0, proc.stderr
    assert [i["text"] for i in json_lines(proc.stdout)] == ["Seeded post 3", "Seeded post 2"]
    sent, _ = params(sb, "/v1.0/*/threads")  # the page, then the empty page after it
    assert (sent["since"], sent["until"]) == ("1719878400", "1720051200")


def test_posts_since_after_until_is_a_usage_error(run: Run, sb: ThreadsSandbox) -> None:
    proc = run("posts", "--since", "2024-07-04", "--until", "2024-07-02")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --since: ")
    assert proc.stdout == ""
    as_json = run("--json", "posts", "--since", "2024-07-04", "--until", "2024-07-02")
    assert as_json.returncode == 2
    (doc,) = json_lines(as_json.stdout)  # one line, like the items it replaces
    assert doc["error"]["parameter"] == "since_date"
    assert sb.requests == []


def test_bad_limit_and_empty_list(run: Run, sb: ThreadsSandbox) -> None:
    assert run("posts", "--limit", "0").returncode == 2
    empty = run("posts")
    assert empty.returncode == 0
    assert (empty.stdout, empty.stderr) == ("", "No posts.\n")
    assert run("--json", "posts").stdout == ""
    assert run("--quiet", "posts").stderr == ""


def test_api_failure_exits_1_with_one_json_line(
    run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]
) -> None:
    sb.fail("GET", "/v1.0/*/threads", code=10, message="Application does not have permission")
    proc = run("posts")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ")
    assert "permission" in proc.stderr
    assert "code=10" in proc.stderr
    sb.fail("GET", "/v1.0/*/threads", code=10, message="Application does not have permission")
    as_json = run("--json", "posts")
    assert as_json.returncode == 1
    (doc,) = json_lines(as_json.stdout)
    assert doc["error"]["code"] == 10
    assert doc["error"]["error_class"] == "PermissionDeniedError"


# -- get-post and profile -----------------------------------------------------------------------
def test_get_post(run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]) -> None:
    post_id = posts[1]["id"]
    proc = run("get-post", post_id)
    assert proc.returncode == 0, proc.stderr
    fields = {row[0]: row[1] for row in table(proc.stdout)}
    assert fields["id"] == post_id
    assert fields["text"] == "Seeded post 2"
    assert fields["media_type"] == "TEXT_POST"
    assert fields["owner"] == sb.user_id  # {'id': ...} shown as the id
    assert fields["timestamp"] == "2024-07-02T09:00:00+0000"
    doc = json.loads(run("--json", "get-post", post_id, "--fields", "id,text").stdout)
    assert doc == {"id": post_id, "text": "Seeded post 2"}
    sent = params(sb, f"/v1.0/{post_id}")
    assert "timestamp" in sent[0]["fields"].split(",")
    assert sent[1]["fields"] == "id,text"


def test_get_post_that_does_not_exist(run: Run, sb: ThreadsSandbox) -> None:
    proc = run("get-post", "17900000000000999")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    assert "does not exist" in proc.stderr
    doc = json.loads(run("--json", "get-post", "17900000000000999").stdout)
    assert doc["error"]["code"] == 100


def test_profile(run: Run, sb: ThreadsSandbox) -> None:
    proc = run("profile")
    assert proc.returncode == 0, proc.stderr
    fields = {row[0]: row[1] for row in table(proc.stdout)}
    assert fields["id"] == sb.user_id
    assert fields["username"] == "sandbox_user"
    assert fields["is_verified"] == "false"
    doc = json.loads(run("--json", "profile").stdout)
    assert doc["username"] == "sandbox_user"
    assert "threads_biography" in doc
    assert len(sb.requests_to("GET", "/v1.0/me")) == 2


# -- replies ------------------------------------------------------------------------------------
def test_replies_top_level_and_all_levels(
    run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]
) -> None:
    root = posts[2]["id"]
    replies = sb.seed_replies(root, 2, depth=2)
    sb.clear_requests()
    top = run("replies", root)
    assert top.returncode == 0, top.stderr
    rows = table(top.stdout)
    assert rows[0] == ["id", "time (UTC)", "type", "user", "text"]
    assert [row[0] for row in rows[1:]] == [replies[0]["id"], replies[2]["id"]]
    assert rows[1][3] == "@reply_author"
    assert rows[1][4] == "Reply 1"
    sent, _ = params(sb, f"/v1.0/{root}/replies")  # the page, then the empty page after it
    assert sent["reverse"] == "false"

    lines = run("replies", root, "--all-levels").stdout.splitlines()
    column = lines[0].index("text")
    texts = [line[column:] for line in lines[1:]]
    assert texts == ["Reply 1", "  Reply 1.1", "Reply 2", "  Reply 2.1"]  # nesting indented
    assert len(params(sb, f"/v1.0/{root}/conversation")) == 2

    newest = json_lines(run("--json", "replies", root, "--all-levels", "--newest-first").stdout)
    assert [r["text"] for r in newest] == ["Reply 2.1", "Reply 2", "Reply 1.1", "Reply 1"]
    assert params(sb, f"/v1.0/{root}/conversation")[-1]["reverse"] == "true"


def test_hidden_reply_is_marked(run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]) -> None:
    sb.seed_replies(posts[0]["id"], 1, hidden=True)
    proc = run("replies", posts[0]["id"])
    assert table(proc.stdout)[1][-1] == "[hidden] Reply 1"
    (item,) = json_lines(run("--json", "replies", posts[0]["id"]).stdout)
    assert item["hide_status"] == "HIDDEN"


# -- insights -----------------------------------------------------------------------------------
def test_insights_post(run: Run, sb: ThreadsSandbox, posts: list[dict[str, Any]]) -> None:
    post_id = posts[0]["id"]
    sb.seed_insights(post_id, views=1234, likes=56, replies=0, reposts=7, quotes=8, shares=9)
    proc = run("insights", "post", post_id)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "metric   value",
        "views     1234",
        "likes       56",
        "replies      0",
        "reposts      7",
        "quotes       8",
        "shares       9",
    ]
    doc = json.loads(run("insights", "post", post_id, "--metric", "views,likes", "--json").stdout)
    assert (doc["views"], doc["likes"]) == (1234, 56)
    assert [m["name"] for m in doc["data"]] == ["views", "likes"]
    assert params(sb, f"/v1.0/{post_id}/insights")[-1]["metric"] == "views,likes"


def test_insights_user_time_series_and_totals(run: Run, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(views={"2024-07-01": 10, "2024-07-02": 20, "2024-07-03": 30}, likes=42)
    proc = run(
        "insights", "user", "--since", "2024-07-01", "--until", "2024-07-03",
        "--metric", "views", "--metric", "likes",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = table(proc.stdout)
    assert rows[0] == ["metric", "end time / key", "value"]
    # Meta stamps each day with its end, Pacific midnight: 1 July ends 2024-07-02 07:00 UTC.
    assert [row for row in rows if row[0] == "views"] == [
        ["views", "2024-07-02 07:00", "10"],
        ["views", "2024-07-03 07:00", "20"],
    ]
    assert rows[-1] == ["likes", "42"]
    (sent,) = params(sb, "/v1.0/*/threads_insights")
    assert sent == {"metric": "views,likes", "since": "1719792000", "until": "1719964800"}
    doc = json.loads(run("--json", "insights", "user", "--metric", "likes").stdout)
    assert doc["likes"] == 42


def test_insights_user_demographics_breakdown(run: Run, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(followers_count=500, demographics={"age": {"25-34": 300, "18-24": 200}})
    proc = run("insights", "user", "--metric", "follower_demographics", "--breakdown", "AGE")
    assert proc.returncode == 0, proc.stderr
    assert table(proc.stdout)[1:] == [
        ["follower_demographics", "age=25-34", "300"],
        ["follower_demographics", "age=18-24", "200"],
    ]
    (sent,) = params(sb, "/v1.0/*/threads_insights")
    assert sent == {"metric": "follower_demographics", "breakdown": "age"}


def test_insights_user_usage_errors_send_nothing(run: Run, sb: ThreadsSandbox) -> None:
    backwards = run("insights", "user", "--since", "2024-07-03", "--until", "2024-07-01")
    assert backwards.returncode == 2
    assert backwards.stderr.startswith("error: --since: ")
    too_early = run("insights", "user", "--since", "2024-01-01")
    assert too_early.returncode == 2
    assert "2024-04-13" in too_early.stderr
    assert run("insights", "user", "--metric", "views", "--breakdown", "age").returncode == 2
    unknown = run("insights", "user", "--metric", "impressions")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: --metric: ")
    assert run("insights").returncode == 2  # post or user is required
    assert sb.requests == []


# -- search -------------------------------------------------------------------------------------
def test_search_sends_every_option(run: Run, sb: ThreadsSandbox) -> None:
    sb.seed_profile("cat_person", followers=500)
    sb.seed_posts(3, username="cat_person", text="Cats are great {i}", start="2024-07-01")
    sb.clear_requests()
    proc = run(
        "search", "cats", "--type", "recent", "--mode", "KEYWORD", "--media-type", "text",
        "--author", "@cat_person", "--since", "2024-06-01", "--limit", "2",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = table(proc.stdout)
    assert rows[0] == ["id", "time (UTC)", "type", "user", "text"]
    assert len(rows) == 3
    assert {row[3] for row in rows[1:]} == {"@cat_person"}
    (sent,) = params(sb, "/v1.0/keyword_search")
    assert {k: sent[k] for k in ("q", "search_type", "search_mode", "media_type")} == {
        "q": "cats",
        "search_type": "RECENT",
        "search_mode": "KEYWORD",
        "media_type": "TEXT",
    }
    assert (sent["author_username"], sent["since"], sent["limit"]) == (
        "cat_person",
        "1717200000",
        "2",
    )
    items = json_lines(run("search", "cats", "--json").stdout)
    assert len(items) == 3
    assert all("Cats are great" in item["text"] for item in items)


def test_search_without_results_and_bad_choice(run: Run, sb: ThreadsSandbox) -> None:
    proc = run("search", "nothing-matches-this")
    assert proc.returncode == 0
    assert (proc.stdout, proc.stderr) == ("", "No posts found.\n")
    assert run("search", "cats", "--type", "BEST").returncode == 2
    assert len(sb.requests_to("GET", "/v1.0/keyword_search")) == 1


def test_a_reader_that_goes_away_ends_the_list_quietly(
    cli_env: dict[str, str], sandbox_env: dict[str, str], sb: ThreadsSandbox, tmp_path: Path
) -> None:
    sb.seed_posts(300, start="2024-07-01T00:00:00", spacing=60)  # ~100 KB: more than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "threadspipepy", "--json", "posts", "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**cli_env, **sandbox_env},
        cwd=tmp_path,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["id"]
    proc.stdout.close()  # as `| head -n 1` does
    assert proc.wait(timeout=60) == 141
    assert proc.stderr.read() == b""  # no traceback
    proc.stderr.close()
