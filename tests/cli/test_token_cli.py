"""`threadspipepy token status` and `token refresh` in a subprocess against a sandbox: what the
sandbox received, the store left behind, exit statuses, and no token printed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from dotenv import dotenv_values

from threadspipepy import Credentials, auth
from threadspipepy.testing import ThreadsSandbox
from threadspipepy.tokens import EnvFileTokenStore, JsonFileTokenStore

from .conftest import RunCli

DAY = 86400
REFRESH = "/refresh_access_token"


def oauth_credentials(sb: ThreadsSandbox) -> Credentials:
    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri, "basic,publish")
    return auth.complete_authorization(
        sb.app_id,
        sb.app_secret,
        sb.redirect_uri,
        sb.authorize(url),
        state,
        base_url=sb.url,
        scopes="basic,publish",
    )


@pytest.fixture
def env(sb: ThreadsSandbox) -> dict[str, str]:
    return {"THREADS_API_BASE_URL": sb.url}


@pytest.fixture
def creds(sb: ThreadsSandbox, tmp_path: Path) -> Credentials:
    """Credentials saved to ./.env (the commands' default store), beside another variable."""
    (tmp_path / ".env").write_text("GH_REPO_NAME=media  # kept\n")
    credentials = oauth_credentials(sb)
    EnvFileTokenStore(tmp_path / ".env").save(credentials)
    sb.clear_requests()
    return credentials


def age(sb: ThreadsSandbox, store: Path, creds: Credentials, days: float) -> None:
    """Make the stored token `days` old for both sides: the sandbox's clock moves on, and (the
    CLI runs on the real clock) the store's record is moved back by as much."""
    sb.advance(days * DAY)
    shift = timedelta(days=days)
    assert creds.issued_at is not None and creds.expiration is not None
    EnvFileTokenStore(store).save(
        replace(creds, issued_at=creds.issued_at - shift, expiration=creds.expiration - shift)
    )


def no_token_in(output: str, *tokens: str) -> None:
    for token in tokens:
        assert token not in output


# -- status -------------------------------------------------------------------------------------
def test_status_from_debug_token(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials
) -> None:
    proc = run_cli("token", "status", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(None, 1) for line in proc.stdout.splitlines() if " " in line)
    assert lines["user"] == creds.user_id
    assert lines["valid"] == "yes (from Meta's debug_token)"
    assert lines["scopes"] == "threads_basic, threads_content_publish"
    assert "in 60 days" in proc.stdout and "in 90 days" in proc.stdout
    assert "refresh due" in proc.stdout and "in 7 days" in proc.stdout
    (request,) = sb.requests
    assert (request.method, request.path) == ("GET", "/v1.0/debug_token")
    assert request.query == {"input_token": creds.access_token}
    assert request.headers["Authorization"] == f"Bearer {creds.access_token}"
    no_token_in(proc.stdout + proc.stderr, creds.access_token)


def test_status_as_json(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials
) -> None:
    proc = run_cli("--json", "token", "status", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["valid"] is True and doc["source"] == "debug_token"
    assert doc["user_id"] == creds.user_id
    assert doc["scopes"] == ["threads_basic", "threads_content_publish"]
    assert abs(doc["age_seconds"]) < 120
    assert abs(doc["expires_in_seconds"] - 60 * DAY) < 120
    assert doc["refresh_due_at"] is not None
    assert doc["store"].endswith(".env")
    no_token_in(proc.stdout + proc.stderr, creds.access_token)


def test_status_falls_back_to_the_store_when_debug_token_is_refused(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials
) -> None:
    sb.set_tester(tester=False)  # an app in Live mode, a user without the tester role
    proc = run_cli("token", "status", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "unknown (from the store's record)" in proc.stdout
    assert "threads_basic, threads_content_publish" in proc.stdout
    assert "in 60 days" in proc.stdout
    assert "debug_token refused" in proc.stderr and "Tester" in proc.stderr
    assert [r.path for r in sb.requests] == ["/v1.0/debug_token"]


def test_status_of_an_expired_token_fails_with_what_to_do(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials
) -> None:
    sb.advance(61 * DAY)
    proc = run_cli("token", "status", env=env)
    assert proc.returncode == 1
    assert "NO (from Meta's debug_token)" in proc.stdout
    assert "error:" in proc.stderr and "expired" in proc.stderr
    assert "threadspipepy auth-url" in proc.stderr
    no_token_in(proc.stdout + proc.stderr, creds.access_token)


def test_status_needs_a_token(run_cli: RunCli, env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GH_REPO_NAME=media\n")
    proc = run_cli("token", "status", env=env)
    assert proc.returncode == 2
    assert "holds no token" in proc.stderr and "threadspipepy auth-url" in proc.stderr
    proc = run_cli("token", "status", "--store", "missing.json", env=env)
    assert proc.returncode == 2


# -- refresh ------------------------------------------------------------------------------------
def test_refresh_saves_the_new_token_to_the_env_file(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials, tmp_path: Path
) -> None:
    sb.advance(2 * DAY)
    proc = run_cli("token", "refresh", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Refreshed the token in" in proc.stdout and "in 60 days" in proc.stdout
    values = dotenv_values(tmp_path / ".env")
    new = values["THREADS_ACCESS_TOKEN"]
    assert new and new != creds.access_token
    info = sb.token_info(new)
    assert info is not None and info["long_lived"]
    assert values["GH_REPO_NAME"] == "media"
    assert (tmp_path / ".env").read_text().startswith("GH_REPO_NAME=media  # kept\n")
    assert values["THREADS_TOKEN_SCOPES"] == "threads_basic,threads_content_publish"
    assert len(sb.requests_to("GET", REFRESH)) == 1
    no_token_in(proc.stdout + proc.stderr, creds.access_token, new)


def test_refresh_of_a_young_token_is_refused_and_keeps_the_store(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials, tmp_path: Path
) -> None:
    before = (tmp_path / ".env").read_bytes()
    proc = run_cli("token", "refresh", env=env)
    assert proc.returncode == 1
    assert "24 hours" in proc.stderr
    assert (tmp_path / ".env").read_bytes() == before


@pytest.mark.parametrize("fault", ["500", "drop"])
def test_refresh_that_fails_keeps_the_store(
    run_cli: RunCli,
    env: dict[str, str],
    sb: ThreadsSandbox,
    creds: Credentials,
    tmp_path: Path,
    fault: str,
) -> None:
    sb.advance(8 * DAY)
    if fault == "500":
        sb.fail("GET", REFRESH, after=True)
    else:
        sb.drop("GET", REFRESH)
    before = (tmp_path / ".env").read_bytes()
    proc = run_cli("token", "refresh", env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ")
    assert (tmp_path / ".env").read_bytes() == before
    no_token_in(proc.stdout + proc.stderr, creds.access_token)


def test_refresh_if_due(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials, tmp_path: Path
) -> None:
    age(sb, tmp_path / ".env", creds, 3)
    proc = run_cli("token", "refresh", "--if-due", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Not refreshed" in proc.stdout and "in 4 days" in proc.stdout
    assert sb.requests == []
    age(sb, tmp_path / ".env", creds, 7)
    proc = run_cli("token", "refresh", "--if-due", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["refreshed"] is True and doc["user_id"] == creds.user_id
    assert set(doc) == {"refreshed", "user_id", "issued_at", "expires_at", "store"}
    assert dotenv_values(tmp_path / ".env")["THREADS_ACCESS_TOKEN"] != creds.access_token
    proc = run_cli("token", "refresh", "--if-due", "--refresh-after", "2", env=env)
    assert "Not refreshed" in proc.stdout
    assert len(sb.requests_to("GET", REFRESH)) == 1


def test_refresh_a_json_store(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, tmp_path: Path
) -> None:
    creds = oauth_credentials(sb)
    path = tmp_path / "bot" / "token.json"
    path.parent.mkdir()
    JsonFileTokenStore(path).save(creds)
    sb.advance(DAY + 60)
    proc = run_cli("token", "refresh", "--store", str(path), env=env)
    assert proc.returncode == 0, proc.stderr
    saved = Credentials.from_json(path.read_text())
    assert saved.access_token != creds.access_token and saved.user_id == creds.user_id
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_bad_usage(
    run_cli: RunCli, env: dict[str, str], sb: ThreadsSandbox, creds: Credentials
) -> None:
    proc = run_cli("token", "refresh", "--refresh-after", "0.5", env=env)
    assert proc.returncode == 2 and "--refresh-after" in proc.stderr
    proc = run_cli("token", "status", "--refresh-after", "nan", env=env)
    assert proc.returncode == 2
    proc = run_cli("--sandbox", "token", "status", env=env)
    assert proc.returncode == 2 and "--sandbox" in proc.stderr
    proc = run_cli("token", env=env)
    assert proc.returncode == 2
    proc = run_cli("token", "status", "--variable", "1BAD", env=env)
    assert proc.returncode == 2 and "--variable" in proc.stderr
    assert sb.requests == []
