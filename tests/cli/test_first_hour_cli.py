"""The command line a newcomer meets first (issue 15, items 7, 10 and 12).

Global options after the command, `--timeout` and a note while a server keeps silent, the
environment variables named for a local file, permalinks on a terminal, `--json` lines versus
`--json-array`, and `auth-url` asking for least privilege by default.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import servers
from threadspipepy import ThreadsPipe, auth
from threadspipepy.cli import main
from threadspipepy.testing import ThreadsSandbox

from .conftest import RunCli


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- global options after the command ----------------------------------------------------------
def test_global_options_may_follow_the_command(run_cli: RunCli) -> None:
    proc = run_cli("post", "hi", "--sandbox")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Published 1 post: ")
    quiet = run_cli("post", "hi", "--sandbox", "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    doc = json.loads(run_cli("quota", "--sandbox", "--json").stdout)
    assert doc["data"][0]["config"]["quota_total"] == 250


def test_before_and_after_mix(run_cli: RunCli) -> None:
    proc = run_cli("--json", "post", "Mixed", "--sandbox")
    assert json.loads(proc.stdout)["data"]["posts"][0]["text"] == "Mixed"


def test_quiet_and_verbose_do_not_go_together_wherever_they_are(run_cli: RunCli) -> None:
    proc = run_cli("-q", "post", "hi", "--sandbox", "-v")
    assert proc.returncode == 2
    assert "-q/--quiet and -v/--verbose" in proc.stderr


def test_a_commands_own_short_flag_stays_its_own(
    run_cli: RunCli, sb: ThreadsSandbox, tmp_path: Path
) -> None:
    # 0.4.5's refresh_token uses -v for the .env variable: it is not --verbose there.
    env_file = tmp_path / "tokens.env"
    env_file.write_text(f"MY_TOKEN={sb.access_token}\n")
    proc = run_cli("refresh_token", "-auto", "-p", str(env_file), "-v", "MY_TOKEN", "--sandbox")
    assert proc.returncode == 2 and "--sandbox" in proc.stderr  # parsed, then refused


# -- --timeout and the note while waiting --------------------------------------------------------
@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a hung upstream."""
    with servers.silent_server() as url:
        yield url


def test_a_silent_server_gets_a_waiting_note_and_the_timeout_fix(
    run_cli: RunCli, silent_server: str
) -> None:
    env = {
        "THREADS_USER_ID": "1",
        "THREADS_ACCESS_TOKEN": "token-for-a-silent-server",
        "THREADS_API_BASE_URL": silent_server,
    }
    # A repost is a POST whose answer is never awaited twice: one attempt, 0.6 s.
    proc = run_cli("repost", "17900000000000001", "--timeout", "0.6", env=env)
    assert proc.returncode == 1
    host = silent_server.removeprefix("http://")
    lines = proc.stderr.splitlines()
    assert lines[0] == (
        f"Still waiting for {host} to answer POST /v1.0/17900000000000001/repost (no answer "
        "after 0.2 s; giving up after 0.6 s, see --timeout)"
    )
    assert f"on {host} timed out before Threads answered: no answer within the timeout" in (
        proc.stderr
    )
    assert "raise timeout= (command line: --timeout SECONDS)" in proc.stderr
    assert "token-for-a-silent-server" not in proc.stderr


def test_no_waiting_note_for_a_server_that_answers(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "profile", "--timeout", "9")
    assert proc.returncode == 0 and "Still waiting" not in proc.stderr


def test_a_bad_timeout_is_a_usage_error(run_cli: RunCli) -> None:
    proc = run_cli("--sandbox", "--timeout", "0", "profile")
    assert proc.returncode == 2 and "--timeout" in proc.stderr


# -- a local file without GitHub settings ---------------------------------------------------------
def test_a_local_file_without_github_names_the_environment_variables(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32)
    env = {**sandbox_env, "GH_USERNAME": sb.gh_username}
    proc = run_cli("post", "Local", "-f", "photo.jpg", env=env)
    assert proc.returncode == 2
    error = proc.stderr.splitlines()[-1]
    assert error.startswith("error: files[0] (photo.jpg) is a local file")
    assert "set GH_BEARER_TOKEN, GH_REPO_NAME in the environment or in the .env file" in error
    assert "media_host" not in error.split("(In Python")[0]
    assert sb.requests == []


# -- permalinks on a terminal -------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_post_prints_each_parts_permalink_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
    sb: ThreadsSandbox,
    sandbox_env: dict[str, str],
    tmp_path: Path,
) -> None:
    for name, value in {**sandbox_env, "NO_COLOR": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["post", "First part. " * 60]) == 0
    first, *parts = terminal.getvalue().splitlines()
    ids = first.removeprefix("Published 2 posts: ").split()
    by_id = {p["id"]: p["permalink"] for p in sb.posts}
    assert [line.split() for line in parts] == [
        ["part", str(n), i, by_id[i]] for n, i in enumerate(ids, 1)
    ]
    assert all(link.startswith("https://www.threads.com/@") for link in by_id.values())


def test_piped_output_stays_one_line_and_reads_nothing_more(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli("post", "One line", env=sandbox_env)
    assert proc.stdout.count("\n") == 1
    assert [r for r in sb.requests if r.kind == "read"] == []  # no permalink read


# -- --json lines and --json-array ----------------------------------------------------------------
def test_json_lists_are_json_lines_and_json_array_is_one_document(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    sb.seed_posts(3)
    lines = run_cli("--json", "posts", env=sandbox_env).stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [p["id"] for p in sb.posts[::-1]]
    array = run_cli("posts", "--json-array", env=sandbox_env)
    assert array.returncode == 0
    assert [p["id"] for p in json.loads(array.stdout)] == [p["id"] for p in sb.posts[::-1]]
    empty = run_cli("--json-array", "replies", sb.posts[0]["id"], env=sandbox_env)
    assert json.loads(empty.stdout) == []


def test_json_array_failure_is_the_error_document(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    sb.fail("GET", "/v1.0/me/threads", code=190, message="Invalid OAuth access token")
    proc = run_cli("--json-array", "posts", env=sandbox_env)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["code"] == 190


# -- auth-url: least privilege --------------------------------------------------------------------
def test_auth_url_asks_for_least_privilege_by_default(run_cli: RunCli, sb: ThreadsSandbox) -> None:
    proc = run_cli("auth-url", "-id", sb.app_id, "-r", sb.redirect_uri)
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.splitlines()[0]
    assert query(url)["scope"] == ("threads_basic,threads_content_publish,threads_manage_replies")
    assert "--scope basic,publish,manage_replies,insights" in proc.stderr
    assert "--scope all" in proc.stderr
    sb.authorize(url)  # Meta's window takes it
    every = run_cli("auth-url", "-id", sb.app_id, "-r", sb.redirect_uri, "--scope", "all")
    assert query(every.stdout.splitlines()[0])["scope"].split(",") == list(auth.ALL_SCOPES)


def test_python_get_auth_token_keeps_0_4_5s_default_of_every_scope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "open_browser", lambda url: False)
    url = ThreadsPipe("", "").get_auth_token("1234", "https://example.com/cb")
    assert query(url)["scope"].split(",") == list(auth.ALL_SCOPES)
