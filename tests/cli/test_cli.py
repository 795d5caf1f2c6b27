"""The `threadspipepy` command line, run as a real subprocess (`python -m threadspipepy`)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threadspipepy import __version__
from threadspipepy.testing import ThreadsSandbox

RunCli = Callable[..., subprocess.CompletedProcess[str]]  # the run_cli fixture (conftest.py)
PUBLISHED = re.compile(r"^Published 1 post: (\S+)$")


def _post_requests(sb: ThreadsSandbox) -> list[dict[str, str]]:
    """Parameters of every container-creation request the sandbox received."""
    return [r.params for r in sb.requests if r.method == "POST" and r.path.endswith("/threads")]


def _root_post(sb: ThreadsSandbox, text: str = "The root post") -> str:
    with sb.client() as tp:
        result = tp.pipe(text)
    assert result.ok, result
    return str(result["data"]["media_ids"][0])


# -- basics -----------------------------------------------------------------------------------
def test_version(run_cli: RunCli) -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"threadspipepy {__version__}"


def test_no_command_prints_help_and_exits_2(run_cli: RunCli) -> None:
    proc = run_cli()
    assert proc.returncode == 2
    assert "usage: threadspipepy" in proc.stderr
    assert "post" in proc.stderr
    assert "quota" in proc.stderr


def test_help_lists_commands_exit_codes_and_reply_controls(run_cli: RunCli) -> None:
    top = run_cli("--help")
    assert top.returncode == 0
    assert "exit status" in top.stdout
    assert "THREADS_ACCESS_TOKEN" in top.stdout
    post = run_cli("post", "--help")
    assert post.returncode == 0
    assert "parent_post_author_only" in post.stdout


def test_bad_reply_control_is_a_usage_error(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "post", "hi", "--reply-control", "nobody")
    assert proc.returncode == 2
    assert "--reply-control" in proc.stderr


# -- --sandbox --------------------------------------------------------------------------------
def test_sandbox_post_prints_the_id(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "post", "Hello, Threads")
    assert proc.returncode == 0, proc.stderr
    assert PUBLISHED.match(proc.stdout.strip()), proc.stdout
    # The note that nothing reaches Threads, and no progress lines: stderr is not a terminal.
    assert proc.stderr.splitlines() == [
        "Using the offline sandbox (--sandbox): nothing is sent to Threads."
    ]


def test_sandbox_post_json(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "--json", "post", "Hello, Threads")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["info"] == "success"
    assert len(doc["data"]["media_ids"]) == 1
    assert doc["data"]["posts"][0]["text"] == "Hello, Threads"
    assert proc.stderr == ""  # --json: no note either


def test_post_text_from_stdin(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "--json", "post", "-", input="Line one\nLine two\n")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["data"]["posts"][0]["text"] == "Line one\nLine two"


def test_quiet_prints_nothing_on_success(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "--quiet", "post", "Hello, Threads")
    assert proc.returncode == 0
    assert (proc.stdout, proc.stderr) == ("", "")


def test_usage_error_with_json_still_prints_one_document(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "--json", "post", "Pick one", "--poll", "Only option")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["info"] == "error"
    assert doc["error"]["error_class"] == "ValidationError"
    assert doc["error"]["parameter"] == "poll"


def test_quota_table_and_json(run_cli: RunCli) -> None:
    table = run_cli("--sandbox", "quota")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()}
    assert rows["posts"][1:3] == ["0", "250"]
    assert rows["replies"][1:3] == ["0", "1000"]
    assert "deletes" in rows
    assert "location" in rows
    doc = json.loads(run_cli("--sandbox", "--json", "quota").stdout)
    assert doc["data"][0]["config"]["quota_total"] == 250


# -- credentials ------------------------------------------------------------------------------
def test_missing_credentials_exits_2(run_cli: RunCli) -> None:
    proc = run_cli("post", "Hello, Threads")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "THREADS_ACCESS_TOKEN" in proc.stderr


def test_missing_env_file_exits_2(run_cli: RunCli) -> None:
    proc = run_cli("--env-file", "nowhere.env", "post", "Hello, Threads")
    assert proc.returncode == 2
    assert "nowhere.env" in proc.stderr


# -- against a sandbox started by the test ----------------------------------------------------
def test_post_with_credentials_from_the_environment(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli("post", "Hello from the CLI", env=sandbox_env)
    assert proc.returncode == 0, proc.stderr
    media_id = PUBLISHED.match(proc.stdout.strip())
    assert media_id
    posts = {str(p["id"]): p for p in sb.posts}
    assert posts[media_id.group(1)]["text"] == "Hello from the CLI"
    assert "sandbox" not in proc.stderr


def test_post_with_credentials_from_an_env_file(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    env_file = tmp_path / "threads.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sandbox_env.items()))
    proc = run_cli("--env-file", str(env_file), "post", "From an env file")
    assert proc.returncode == 0, proc.stderr
    assert [p["text"] for p in sb.posts] == ["From an env file"]


def test_the_environment_wins_over_the_env_file(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        f"THREADS_USER_ID={sb.user_id}\nTHREADS_ACCESS_TOKEN=stale-token-from-the-file\n"
    )
    proc = run_cli("post", "Environment first", env=sandbox_env)  # default --env-file .env
    assert proc.returncode == 0, proc.stderr
    assert [p["text"] for p in sb.posts] == ["Environment first"]


def test_reply_options_reach_the_api(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    root = _root_post(sb)
    proc = run_cli(
        "post",
        "A reply",
        "--reply-to",
        root,
        "--reply-control",
        "mentioned_only",
        "--link",
        "https://example.com/article",
        "--topic-tag",
        "cli",
        env=sandbox_env,
    )
    assert proc.returncode == 0, proc.stderr
    params = _post_requests(sb)[-1]
    assert params["text"] == "A reply"
    assert params["reply_to_id"] == root
    assert params["reply_control"] == "mentioned_only"
    assert params["link_attachment"] == "https://example.com/article"
    assert params["topic_tag"] == "cli"


# -- failures ---------------------------------------------------------------------------------
def _assert_no_secret(proc: Any, secret: str) -> None:
    assert secret not in proc.stdout
    assert secret not in proc.stderr


def test_publish_failure_exits_1_without_leaking_the_token(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    sb.fail("POST", "/v1.0/*/threads_publish", status=500, times=20)
    proc = run_cli("-vv", "post", "Doomed", env=sandbox_env)
    assert proc.returncode == 1
    assert "error: Could not publish post" in proc.stderr
    assert "DEBUG" in proc.stderr  # -vv logged the requests...
    _assert_no_secret(proc, sb.access_token)  # ...and never the token
    assert sb.posts == []


def test_failure_with_json_prints_the_error_result(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    sb.fail("POST", "/v1.0/*/threads_publish", status=500, times=20)
    proc = run_cli("--json", "post", "Doomed", env=sandbox_env)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["info"] == "error"
    assert doc["error"]["status_code"] == 500
    assert proc.stderr.startswith("error: ")
    _assert_no_secret(proc, sb.access_token)


def test_invalid_token_exits_1_with_code_and_trace_id(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    token = "EAAbogus0123456789tokenthatmetarejects"
    env = {**sandbox_env, "THREADS_ACCESS_TOKEN": token}
    proc = run_cli("-v", "post", "Hello", env=env)
    assert proc.returncode == 1
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ")
    assert "code=190" in line
    assert "fbtrace_id=" in line
    _assert_no_secret(proc, token)


def test_validation_errors_name_the_option(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "post", "Local news", "--country", "USA")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith("error: --countries: ")
