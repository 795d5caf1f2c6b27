"""The command line under failures that echo or chase secrets: nothing secret is printed, even
with -vv (every DEBUG line, urllib3's included) and --json; and access_token says when it could
not check the redirect's state."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import auth
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import JPEG
from .conftest import RunCli

ACCESS = "CANARYcliAccessToken5d2e8f"
NOT_VERIFIED = "warning: the redirect's state was not verified"


def params_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def evil() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as other:
        yield other


def test_no_secret_in_the_output_of_failing_commands(
    run_cli: RunCli, sb: ThreadsSandbox, evil: ThreadsSandbox
) -> None:
    account = sb.add_account(access_token=ACCESS)
    env = {
        "THREADS_USER_ID": account.user_id,
        "THREADS_ACCESS_TOKEN": ACCESS,
        "THREADS_API_BASE_URL": sb.url,
    }
    echo = f"access_token={ACCESS} Authorization: Bearer {ACCESS} {ACCESS}"
    secrets = [ACCESS, sb.app_secret]
    runs = []
    sb.fail("GET", "/v1.0/*/threads_publishing_limit", code=190, message=echo)
    runs.append(run_cli("-vv", "--json", "quota", env=env))
    image = sb.host_file("photo.jpg", JPEG)
    sb.fail_next_container(status="ERROR", error_message=f"FAILED_DOWNLOADING for {ACCESS}")
    runs.append(run_cli("-vv", "post", "Bad media", "-f", image, env=env))
    down = {**env, "THREADS_API_BASE_URL": f"http://127.0.0.1:{free_port()}"}
    runs.append(run_cli("-vv", "--json", "profile", env=down))
    code = params_of(sb.authorize())["code"]
    secrets.append(code)
    sb.redirect("POST", "/oauth/access_token", f"{evil.url}/oauth/access_token", status=308)
    app = ["-id", sb.app_id, "-secret", sb.app_secret, "-r", sb.redirect_uri]
    runs.append(run_cli("-vv", "access_token", *app, "-code", code, env=env))
    sb.fail("GET", "/refresh_access_token", code=190, message=echo)
    runs.append(run_cli("-vv", "refresh_token", "-token", ACCESS, env=env))

    assert [proc.returncode for proc in runs] == [1, 1, 1, 1, 1]
    assert "HTTP 308" in runs[3].stderr and evil.requests == []
    assert "connection was refused" in runs[2].stdout + runs[2].stderr
    assert "DEBUG threadspipepy.transport" in runs[0].stderr  # -vv: every request line
    for proc in runs:
        for secret in secrets:
            assert secret not in proc.stdout + proc.stderr, (secret, proc.args)


def test_access_token_warns_when_the_state_was_not_verified(
    run_cli: RunCli, sb: ThreadsSandbox
) -> None:
    app = ["-id", sb.app_id, "-secret", sb.app_secret, "-r", sb.redirect_uri]
    env = {"THREADS_API_BASE_URL": sb.url}
    bare = run_cli("access_token", *app, "-code", params_of(sb.authorize())["code"], env=env)
    assert bare.returncode == 0, bare.stderr  # 0.4.5 scripts keep working...
    assert NOT_VERIFIED in bare.stderr  # ...and are told what was not checked
    assert "--state" in bare.stderr
    assert NOT_VERIFIED not in bare.stdout  # stdout keeps only the tokens
    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri)
    checked = run_cli("access_token", *app, "-code", sb.authorize(url), "--state", state, env=env)
    assert checked.returncode == 0, checked.stderr
    assert "warning" not in checked.stderr
    quiet = run_cli("access_token", *app, "-code", sb.authorize(), "-s", env=env)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_plain_http_to_another_host_needs_the_opt_in(run_cli: RunCli, sb: ThreadsSandbox) -> None:
    env = {
        "THREADS_USER_ID": sb.user_id,
        "THREADS_ACCESS_TOKEN": sb.access_token,
        "THREADS_API_BASE_URL": f"http://proxy.invalid:{free_port()}",
    }
    refused = run_cli("quota", env=env)
    assert refused.returncode == 2
    assert "THREADS_API_BASE_URL" in refused.stderr and "in clear" in refused.stderr
    allowed = run_cli("quota", env={**env, "THREADS_ALLOW_INSECURE_HTTP": "1"})
    assert allowed.returncode == 1  # accepted, then the host does not resolve
    assert "DNS" in allowed.stderr
