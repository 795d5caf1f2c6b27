"""`auth-url`, `access_token` and `refresh_token` in a subprocess against a sandbox: 0.4.5's flags
(short and long), exit statuses, the .env file, and no secret printed unless asked for."""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import Credentials, auth
from threadspipepy.testing import ThreadsSandbox

from .conftest import RunCli

DAY = 86400


def params_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def app_env(sb: ThreadsSandbox) -> dict[str, str]:
    """The sandbox as Meta: its Graph URL, and nothing else (flags give the app)."""
    return {"THREADS_API_BASE_URL": sb.url}


def app_flags(sb: ThreadsSandbox, *, long: bool = False) -> list[str]:
    if long:
        return [
            "--app_id",
            sb.app_id,
            "--app_secret",
            sb.app_secret,
            "--redirect_uri",
            sb.redirect_uri,
        ]
    return ["-id", sb.app_id, "-secret", sb.app_secret, "-r", sb.redirect_uri]


def long_lived(sb: ThreadsSandbox) -> Credentials:
    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri)
    return auth.complete_authorization(
        sb.app_id, sb.app_secret, sb.redirect_uri, sb.authorize(url), state, base_url=sb.url
    )


def secrets_absent(proc: object, *secrets: str) -> None:
    out = getattr(proc, "stdout", "") + getattr(proc, "stderr", "")
    for secret in secrets:
        assert secret not in out


# -- auth-url -----------------------------------------------------------------------------------
def test_auth_url_prints_the_url_and_state(run_cli: RunCli, sb: ThreadsSandbox) -> None:
    proc = run_cli("auth-url", "-id", sb.app_id, "-r", sb.redirect_uri, "--scope", "basic,publish")
    assert proc.returncode == 0, proc.stderr
    url, state_line = proc.stdout.splitlines()
    assert url.startswith("https://threads.com/oauth/authorize?")
    assert state_line.startswith("state: ")
    state = state_line.removeprefix("state: ")
    assert params_of(url)["state"] == state
    assert params_of(url)["scope"] == "threads_basic,threads_content_publish"
    assert "access_token -code" in proc.stderr
    # The sandbox's authorization window accepts it.
    assert params_of(sb.authorize(url))["state"] == state


def test_auth_url_reads_the_app_from_the_environment_and_json(
    run_cli: RunCli, sb: ThreadsSandbox, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(f"THREADS_APP_ID={sb.app_id}\n")
    env = {"THREADS_REDIRECT_URI": sb.redirect_uri, "THREADS_AUTHORIZE_URL": "threads.net"}
    proc = run_cli("--json", "auth-url", "--state", "fixed", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["state"] == "fixed"
    assert doc["opened"] is False
    assert doc["url"].startswith("https://threads.net/oauth/authorize?")
    assert params_of(doc["url"])["client_id"] == sb.app_id
    assert proc.stderr == ""


def test_auth_url_open_uses_the_browser(
    run_cli: RunCli, sb: ThreadsSandbox, tmp_path: Path
) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\n"
    )
    browser.chmod(0o755)
    proc = run_cli(
        "auth-url", "-id", sb.app_id, "-r", sb.redirect_uri, "--open", env={"BROWSER": str(browser)}
    )
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.splitlines()[0]
    for _ in range(100):  # in case the browser command runs in the background
        if opened.exists() and opened.read_text():
            break
        time.sleep(0.05)
    assert opened.read_text() == url
    assert "no browser found" not in proc.stderr


def test_auth_url_open_without_a_browser_warns(run_cli: RunCli, sb: ThreadsSandbox) -> None:
    proc = run_cli("auth-url", "-id", sb.app_id, "-r", sb.redirect_uri, "--open")
    assert proc.returncode == 0
    assert proc.stdout.startswith("https://threads.com/oauth/authorize?")
    assert "warning: no browser found" in proc.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["auth-url", "-r", "https://x.example/cb"], "-id/--app_id is required"),
        (["auth-url", "-id", "123"], "-r/--redirect_uri is required"),
        (["auth-url", "-id", "abc", "-r", "https://x.example/cb"], "-id/--app_id: "),
        (["auth-url", "-id", "1", "-r", "https://x/cb", "--scope", "posting"], "--scope: "),
        (["--sandbox", "auth-url", "-id", "1", "-r", "https://x/cb"], "--sandbox cannot"),
    ],
)
def test_auth_url_usage_errors(run_cli: RunCli, args: list[str], fragment: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert proc.stdout == ""


# -- access_token -------------------------------------------------------------------------------
@pytest.mark.parametrize("long", [False, True])
def test_access_token_prints_the_tokens(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], long: bool
) -> None:
    code = params_of(sb.authorize())["code"] + "#_"
    code_flag = "--auth_code" if long else "-code"
    proc = run_cli("access_token", *app_flags(sb, long=long), code_flag, code, env=app_env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"THREADS_USER_ID={sb.user_id}"
    token = lines[1].removeprefix("THREADS_ACCESS_TOKEN=")
    info = sb.token_info(token)
    assert info is not None and info["long_lived"]
    assert "refresh_token" in proc.stderr  # how to keep it alive
    secrets_absent(proc, sb.app_secret, code)


def test_access_token_json_keeps_0_4_5s_shape(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str]
) -> None:
    code = params_of(sb.authorize())["code"]
    proc = run_cli("--json", "access_token", *app_flags(sb), "-code", code, env=app_env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"user_id", "tokens"}
    assert set(doc["tokens"]) == {"short_lived", "long_lived"}
    assert doc["tokens"]["long_lived"]["token_type"] == "bearer"


def test_access_token_with_the_redirect_url_and_state(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str]
) -> None:
    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri)
    redirected = sb.authorize(url)
    wrong = run_cli(
        "access_token", *app_flags(sb), "-code", redirected, "--state", "x", env=app_env
    )
    assert wrong.returncode == 2
    assert "--state: " in wrong.stderr and "does not match" in wrong.stderr
    assert sb.requests == []  # refused before any request
    proc = run_cli(
        "access_token", *app_flags(sb), "-code", redirected, "--state", state, env=app_env
    )
    assert proc.returncode == 0, proc.stderr
    secrets_absent(proc, params_of(redirected)["code"])


def test_access_token_from_environment_variables(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str]
) -> None:
    env = {
        **app_env,
        "THREADS_APP_ID": sb.app_id,
        "THREADS_APP_SECRET": sb.app_secret,
        "THREADS_REDIRECT_URI": sb.redirect_uri,
    }
    proc = run_cli("access_token", "-code", sb.authorize(), env=env)
    assert proc.returncode == 0, proc.stderr


def test_access_token_writes_env_instead_of_printing(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    env_file = tmp_path / "app.env"
    before = "# my app\nTHREADS_USER_ID=1\nDEBUG=true  # keep\n"
    env_file.write_text(before)
    code = params_of(sb.authorize())["code"]
    proc = run_cli(
        "access_token",
        *app_flags(sb),
        "-code",
        code,
        "-p",
        str(env_file),
        "-v",
        "THREADS_ACCESS_TOKEN",
        env=app_env,
    )
    assert proc.returncode == 0, proc.stderr
    text = env_file.read_text()
    assert text.startswith(before)
    token = text[len(before) :].removeprefix("THREADS_ACCESS_TOKEN=").strip()
    assert sb.token_info(token) is not None
    assert token not in proc.stdout + proc.stderr
    assert "Saved the long-lived token" in proc.stdout
    secrets_absent(proc, sb.app_secret, code)


def test_access_token_json_with_env_masks_the_tokens(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    proc = run_cli(
        "--json",
        "access_token",
        *app_flags(sb),
        "-code",
        sb.authorize(),
        "--env_path",
        str(env_file),
        "--env_variable",
        "TOKEN",
        env=app_env,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["tokens"]["long_lived"]["access_token"] == "***"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_a_reused_code_fails_with_exit_1(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str]
) -> None:
    code = params_of(sb.authorize())["code"]
    assert run_cli("access_token", *app_flags(sb), "-code", code, env=app_env).returncode == 0
    proc = run_cli("access_token", *app_flags(sb), "-code", code, env=app_env)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: Exchanging the authorization code failed: Matching code")
    assert "used once" in proc.stderr


def test_the_facebook_app_id_fails_with_the_cause(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str]
) -> None:
    code = params_of(sb.authorize())["code"]
    flags = ["-id", sb.facebook_app_id, "-secret", sb.app_secret, "-r", sb.redirect_uri]
    proc = run_cli("access_token", *flags, "-code", code, env=app_env)
    assert proc.returncode == 1
    assert "1349026" in proc.stderr and "Facebook app id" in proc.stderr
    secrets_absent(proc, sb.app_secret, code)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ([], "-code/--auth_code is required"),
        (["-code", "c", "-auto"], "-auto/--auto_mode needs"),
        (["-code", "c", "-p", "x.env"], "-v/--env_variable: "),
        (["-code", "c", "-v", "TOKEN"], "-p/--env_path: "),
        (["-code", "c", "--state", "s"], "--state needs the whole redirect URL"),
    ],
)
def test_access_token_usage_errors(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], extra: list[str], fragment: str
) -> None:
    proc = run_cli("access_token", *app_flags(sb), *extra, env=app_env)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr
    assert sb.requests == []


# -- refresh_token ------------------------------------------------------------------------------
def test_refresh_token_auto_mode_updates_the_env_in_place(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    creds = long_lived(sb)
    env_file = tmp_path / ".env"
    before = f"# cron\r\nA=1\r\nTHREADS_ACCESS_TOKEN='{creds.access_token}' # weekly\r\nB=2"
    env_file.write_bytes(before.encode())
    env_file.chmod(0o600)
    sb.advance(DAY)
    proc = run_cli(
        "refresh_token", "-auto", "-p", str(env_file), "-v", "THREADS_ACCESS_TOKEN", env=app_env
    )
    assert proc.returncode == 0, proc.stderr
    after = env_file.read_bytes().decode()
    new = after.split("THREADS_ACCESS_TOKEN='")[1].split("'")[0]
    assert new != creds.access_token
    assert after == before.replace(creds.access_token, new)
    assert sb.token_info(new) is not None
    assert "Refreshed the token in THREADS_ACCESS_TOKEN" in proc.stdout
    secrets_absent(proc, creds.access_token, new)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_refresh_token_silent_prints_nothing(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    creds = long_lived(sb)
    env_file = tmp_path / ".env"
    env_file.write_text(f"TOKEN={creds.access_token}\n")
    for silent in (["-s"], ["--silent"], ["-s", "true"]):  # 0.4.5 needed a value: still fine
        sb.advance(DAY)  # each new token may be refreshed once it is a day old
        proc = run_cli(
            "refresh_token",
            "--auto_mode",
            "--env_path",
            str(env_file),
            "--env_variable",
            "TOKEN",
            *silent,
            env=app_env,
        )
        assert proc.returncode == 0, proc.stderr
        assert (proc.stdout, proc.stderr) == ("", "")


def test_refresh_token_prints_the_new_token_without_a_file(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str]
) -> None:
    creds = long_lived(sb)
    sb.advance(DAY)
    proc = run_cli("refresh_token", "-token", creds.access_token, "-s", env=app_env)
    assert proc.returncode == 0, proc.stderr
    new = proc.stdout.strip()
    assert sb.token_info(new) is not None
    assert proc.stderr == ""
    # From THREADS_ACCESS_TOKEN when no token or file is given.
    env = {**app_env, "THREADS_ACCESS_TOKEN": new}
    sb.advance(DAY)
    again = run_cli("--json", "refresh_token", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["token_type"] == "bearer"


def test_a_token_containing_auto_does_not_switch_auto_mode_on(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str]
) -> None:
    # 0.4.5 searched the whole command line for "-auto" and then demanded -p and -v.
    for flags in (["-token", "my-auto-token"], ["--access_token=-auto-token"], ["-token=x-auto"]):
        proc = run_cli("refresh_token", *flags, env=app_env)
        assert proc.returncode == 1, proc.stderr  # refused by Meta, not a usage error
        assert "Invalid OAuth access token" in proc.stderr
        assert "auto" not in proc.stderr.split("failed:")[0]


def test_global_verbose_and_the_subcommands_env_variable_coexist(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    creds = long_lived(sb)
    env_file = tmp_path / ".env"
    env_file.write_text(f"TOKEN={creds.access_token}\n")
    sb.advance(DAY)
    proc = run_cli("-vv", "refresh_token", "-p", str(env_file), "-v", "TOKEN", env=app_env)
    assert proc.returncode == 0, proc.stderr
    new = env_file.read_text().removeprefix("TOKEN=").strip()
    assert new != creds.access_token
    # -vv: the library's DEBUG lines, with the token masked in the request line.
    assert "DEBUG threadspipepy.transport: GET /refresh_access_token?" in proc.stderr
    assert "access_token=***" in proc.stderr
    secrets_absent(proc, creds.access_token, new)


def test_refresh_token_failures(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    creds = long_lived(sb)
    too_early = run_cli("refresh_token", "-token", creds.access_token, env=app_env)
    assert too_early.returncode == 1
    assert "24 hours old" in too_early.stderr
    sb.advance(61 * DAY)
    expired = run_cli("refresh_token", "-token", creds.access_token, env=app_env)
    assert expired.returncode == 1
    assert "Session has expired" in expired.stderr
    assert "authorize the app again" in expired.stderr
    secrets_absent(expired, creds.access_token)
    empty = tmp_path / ".env"
    empty.write_text("OTHER=1\n")
    missing = run_cli("refresh_token", "-auto", "-p", str(empty), "-v", "TOKEN", env=app_env)
    assert missing.returncode == 2
    assert "TOKEN is not set" in missing.stderr
    none = run_cli("refresh_token", env=app_env)
    assert none.returncode == 2
    assert "-token/--access_token" in none.stderr


def test_failure_leaves_the_env_file_alone(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TOKEN=THAAunknown\n# note\n")
    proc = run_cli("refresh_token", "-auto", "-p", str(env_file), "-v", "TOKEN", env=app_env)
    assert proc.returncode == 1
    assert env_file.read_text() == "TOKEN=THAAunknown\n# note\n"


def test_help_lists_0_4_5s_flags(run_cli: RunCli) -> None:
    access = run_cli("access_token", "--help").stdout
    for flag in (
        "-id",
        "--app_id",
        "-secret",
        "--app_secret",
        "-code",
        "--auth_code",
        "-r",
        "--redirect_uri",
        "-p",
        "--env_path",
        "-v",
        "--env_variable",
        "-auto",
        "--auto_mode",
        "-s",
        "--silent",
    ):
        assert f"{flag} " in access or f"{flag}," in access, flag
    refresh = run_cli("refresh_token", "--help").stdout
    assert "-token TOKEN, --access_token TOKEN" in refresh
    top = run_cli("--help").stdout
    for command in ("auth-url", "access_token", "refresh_token"):
        assert command in top


def test_cron_recipe_from_the_docs(
    run_cli: RunCli, sb: ThreadsSandbox, app_env: dict[str, str], tmp_path: Path
) -> None:
    # docs/03-setup-and-auth.md: weekly `refresh_token -auto -p .env -v THREADS_ACCESS_TOKEN -s`
    # keeps a token alive indefinitely (every refresh restarts its 60 days).
    creds = long_lived(sb)
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"THREADS_USER_ID={creds.user_id}\nTHREADS_ACCESS_TOKEN={creds.access_token}\n"
    )
    for _week in range(10):  # 70 days: longer than one token lives
        sb.advance(7 * DAY)
        proc = run_cli(
            "refresh_token",
            "-auto",
            "-p",
            ".env",
            "-v",
            "THREADS_ACCESS_TOKEN",
            "-s",
            env={**app_env},
        )
        assert proc.returncode == 0, proc.stderr
    with (tmp_path / ".env").open() as handle:
        token = handle.read().split("THREADS_ACCESS_TOKEN=")[1].strip()
    info = sb.token_info(token)
    assert info is not None
    assert info["expires_at"] > sb.now()
