"""OAuth against the sandbox over HTTP: the whole flow, the facade methods, their results and
errors, the .env refresh, and that no secret reaches a log line, repr or message."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import (
    Credentials,
    ThreadsPipe,
    ThreadsPipeError,
    TokenExpiredError,
    ValidationError,
    auth,
)
from threadspipepy.auth import AuthorizationDeniedError, OAuthError, StateMismatchError
from threadspipepy.testing import ThreadsSandbox

from .conftest import FakeTime

DAY = 86400


def params_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def authorize(sb: ThreadsSandbox, scope: Any = "all") -> tuple[str, str]:
    """The app builds the URL, the user clicks Allow: (redirect URL, state)."""
    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri, scope)
    return sb.authorize(url), state


def complete(sb: ThreadsSandbox, redirected: str, state: str, **kw: Any) -> Credentials:
    return auth.complete_authorization(
        sb.app_id, sb.app_secret, sb.redirect_uri, redirected, state, base_url=sb.url, **kw
    )


# -- the whole flow ---------------------------------------------------------------------------
def test_from_authorization_url_to_a_posting_client(sandbox: ThreadsSandbox) -> None:
    redirected, state = authorize(sandbox, ["basic", "publish"])
    creds = complete(sandbox, redirected, state, scopes=["basic", "publish"])
    assert creds.user_id == sandbox.user_id
    assert creds.scopes == ("threads_basic", "threads_content_publish")
    assert not creds.short_lived
    expires_in = creds.expires_in()
    assert expires_in is not None and abs(expires_in.total_seconds() - 60 * DAY) < 60
    info = sandbox.token_info(creds.access_token)
    assert info is not None and info["long_lived"]

    with ThreadsPipe.from_credentials(creds, threads_base_url=sandbox.url) as tp:
        result = tp.pipe("Posted with a token from the OAuth flow")
    assert result.ok, result
    post = sandbox.posts[-1]
    assert post["text"] == "Posted with a token from the OAuth flow"

    # What was sent: the secret in the POST body, never in a URL; no Authorization header.
    exchange, long_lived = sandbox.requests[:2]
    assert (exchange.method, exchange.path) == ("POST", "/oauth/access_token")
    assert exchange.form == {
        "client_id": sandbox.app_id,
        "client_secret": sandbox.app_secret,
        "code": params_of(redirected)["code"],
        "grant_type": "authorization_code",
        "redirect_uri": sandbox.redirect_uri,
    }
    assert exchange.query == {}
    assert long_lived.method == "GET"
    assert long_lived.path == "/access_token"
    assert long_lived.query["grant_type"] == "th_exchange_token"
    assert "authorization" not in {k.lower() for k in exchange.headers}
    assert "authorization" not in {k.lower() for k in long_lived.headers}


def test_the_facade_does_the_same_flow(tp: ThreadsPipe, sandbox: ThreadsSandbox) -> None:
    url, state = tp.authorization_url(sandbox.app_id, sandbox.redirect_uri, "basic,publish")
    creds = tp.complete_authorization(
        sandbox.app_id, sandbox.app_secret, sandbox.redirect_uri, sandbox.authorize(url), state
    )
    assert isinstance(creds, Credentials)
    sandbox.advance(DAY)
    fresh = tp.refresh_credentials(creds)
    assert fresh.access_token != creds.access_token
    assert fresh.user_id == creds.user_id and fresh.scopes == creds.scopes
    with ThreadsPipe(credentials=fresh, threads_base_url=sandbox.url) as client:
        assert client.pipe("Still posting after a refresh").ok


def test_a_reused_code_fails_with_a_clear_error(sandbox: ThreadsSandbox) -> None:
    redirected, state = authorize(sandbox)
    complete(sandbox, redirected, state)
    with pytest.raises(OAuthError) as caught:
        complete(sandbox, redirected, state)
    message = str(caught.value)
    assert "Matching code was not found or was already used" in message
    assert "used once" in message
    assert caught.value.status_code == 400


@pytest.mark.parametrize("state", ["", "forged-state"])
def test_a_wrong_or_missing_state_is_refused_before_any_request(
    sandbox: ThreadsSandbox, state: str
) -> None:
    redirected, issued = authorize(sandbox)
    with pytest.raises(ValidationError) as caught:
        complete(sandbox, redirected, state)
    assert caught.value.parameter == "state"
    assert sandbox.requests == []
    # The code was not spent: the state that was issued still completes.
    assert complete(sandbox, redirected, issued).user_id == sandbox.user_id


def test_a_redirect_without_state_is_refused(sandbox: ThreadsSandbox) -> None:
    redirected = sandbox.authorize(scopes="threads_basic")  # no state in the URL
    with pytest.raises(StateMismatchError):
        complete(sandbox, redirected, "the-state-we-issued")
    assert sandbox.requests == []


def test_cancel_is_authorization_denied(sandbox: ThreadsSandbox) -> None:
    url, state = auth.authorization_url(sandbox.app_id, sandbox.redirect_uri)
    with pytest.raises(AuthorizationDeniedError) as caught:
        complete(sandbox, sandbox.deny(url), state)
    assert caught.value.error == "access_denied"
    assert sandbox.requests == []
    # A denial carrying someone else's state is a state mismatch first.
    with pytest.raises(StateMismatchError):
        complete(sandbox, sandbox.deny(state="other"), state)


def test_the_facebook_app_id_names_the_cause(sandbox: ThreadsSandbox) -> None:
    redirected, state = authorize(sandbox)
    with pytest.raises(OAuthError) as caught:
        auth.complete_authorization(
            sandbox.facebook_app_id,
            sandbox.app_secret,
            sandbox.redirect_uri,
            redirected,
            state,
            base_url=sandbox.url,
        )
    assert caught.value.code == 1349026
    assert "Facebook app id" in str(caught.value)
    assert "No application data was given" in str(caught.value)


def test_a_wrong_secret_on_the_long_lived_exchange(sandbox: ThreadsSandbox) -> None:
    short = auth.exchange_code(
        sandbox.app_id,
        sandbox.app_secret,
        params_of(authorize(sandbox)[0])["code"] + "#_",
        sandbox.redirect_uri,
        base_url=sandbox.url,
    )
    with pytest.raises(OAuthError, match="Threads App Secret"):
        auth.exchange_for_long_lived("f" * 32, short["access_token"], base_url=sandbox.url)
    assert len(sandbox.requests) == 2  # Graph's code 1 here is not retried as transient


def test_the_short_lived_token_expires_after_an_hour(sandbox: ThreadsSandbox) -> None:
    code = params_of(authorize(sandbox)[0])["code"]
    short = auth.exchange_code(
        sandbox.app_id, sandbox.app_secret, code, sandbox.redirect_uri, base_url=sandbox.url
    )
    sandbox.advance(3601)
    with pytest.raises(TokenExpiredError, match="1 hour"):
        auth.exchange_for_long_lived(
            sandbox.app_secret, short["access_token"], base_url=sandbox.url
        )


# -- refresh ------------------------------------------------------------------------------------
def test_refresh_too_early_then_later_then_expired(sandbox: ThreadsSandbox) -> None:
    creds = complete(sandbox, *authorize(sandbox))
    with pytest.raises(OAuthError, match="24 hours old"):
        auth.refresh_credentials(creds, base_url=sandbox.url)
    sandbox.advance(DAY)
    fresh = auth.refresh_credentials(creds, base_url=sandbox.url)
    assert fresh.access_token != creds.access_token
    # The old token is still valid (a refresh invalidates nothing else).
    with ThreadsPipe.from_credentials(creds, threads_base_url=sandbox.url) as tp:
        assert tp.get_quota_usage().ok
    sandbox.advance(60 * DAY)
    with pytest.raises(TokenExpiredError) as caught:
        auth.refresh_credentials(fresh, base_url=sandbox.url)
    message = str(caught.value)
    assert "Session has expired" in message
    assert "authorize the app again" in message
    assert caught.value.subcode == 463


def test_refresh_token_updates_a_env_file_leaving_the_rest_byte_identical(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path
) -> None:
    creds = complete(sandbox, *authorize(sandbox))
    env = tmp_path / ".env"
    before = (
        "# production settings\r\n"
        f"THREADS_USER_ID={creds.user_id}\r\n"
        "GH_REPO_NAME='media'   # public repo\r\n"
        "\r\n"
        f"export THREADS_ACCESS_TOKEN='{creds.access_token}'  # refreshed by cron\r\n"
        'OTHER="x y"\r\n'
    )
    env.write_bytes(before.encode())
    env.chmod(0o640)
    sandbox.advance(DAY)
    result = tp.refresh_token(creds.access_token, env, "THREADS_ACCESS_TOKEN")
    assert result.ok, result
    assert set(result) == {"access_token", "token_type", "expires_in"}
    new = result["access_token"]
    assert env.read_bytes() == before.replace(creds.access_token, new).encode()
    assert stat.S_IMODE(env.stat().st_mode) == 0o640
    with ThreadsPipe.from_env(env, threads_base_url=sandbox.url) as client:
        assert client.pipe("Posting with the refreshed token from .env").ok


def test_refresh_token_creates_a_private_env_file(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path
) -> None:
    creds = complete(sandbox, *authorize(sandbox))
    sandbox.advance(DAY)
    env = tmp_path / "new.env"
    body = auth.refresh_token(creds.access_token, env, "TOKEN", base_url=sandbox.url)
    assert env.read_text() == f"TOKEN={body['access_token']}\n"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_refresh_token_checks_the_env_arguments_before_any_request(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError):
        tp.refresh_token("THAAtoken", tmp_path / ".env")
    with pytest.raises(ValidationError):
        tp.refresh_token("THAAtoken", tmp_path / "no" / "dir" / ".env", "TOKEN")
    with pytest.raises(ValidationError):
        tp.refresh_token("THAAtoken", tmp_path / ".env", "not a name")
    assert sandbox.requests == []


def test_refresh_token_failure_result_and_raise_on_error(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    result = tp.refresh_token("THAAnot-a-real-token")
    assert not result.ok
    assert result["message"] == "An error occurred: could not refresh the access token"
    assert result["error"]["error_class"] == "OAuthError"
    assert "THAAnot-a-real-token" not in json.dumps(result)
    with pytest.raises(OAuthError):
        result.raise_for_error()
    tp.update_param(raise_on_error=True)
    with pytest.raises(OAuthError):
        tp.refresh_token("THAAnot-a-real-token")


# -- 0.4.5's get_access_tokens --------------------------------------------------------------------
def test_get_access_tokens_keeps_0_4_5s_shape(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    redirected, _ = authorize(sandbox)
    code = params_of(redirected)["code"] + "#_"  # as pasted from the address bar
    result = tp.get_access_tokens(sandbox.app_id, sandbox.app_secret, code, sandbox.redirect_uri)
    assert result.ok
    assert set(result) == {"user_id", "tokens"}
    assert result["user_id"] == int(sandbox.user_id)
    assert set(result["tokens"]) == {"short_lived", "long_lived"}
    assert set(result["tokens"]["short_lived"]) == {"access_token", "user_id"}
    assert set(result["tokens"]["long_lived"]) == {"access_token", "token_type", "expires_in"}
    # The module-level function gives the same, and takes the whole redirect URL too.
    again = auth.get_access_tokens(
        sandbox.app_id,
        sandbox.app_secret,
        authorize(sandbox)[0],
        sandbox.redirect_uri,
        base_url=sandbox.url,
    )
    assert set(again) == {"user_id", "tokens"}


def test_get_access_tokens_failure_messages(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    code = params_of(authorize(sandbox)[0])["code"]
    wrong = tp.get_access_tokens(sandbox.app_id, "0" * 32, code, sandbox.redirect_uri)
    assert wrong["message"] == "Could not generate short lived token"
    assert wrong["info"] == "error"
    assert "Threads App Secret" in wrong["error"]["message"]
    sandbox.fail("GET", "/access_token*", code=190, message="Invalid OAuth access token")
    failed = tp.get_access_tokens(sandbox.app_id, sandbox.app_secret, code, sandbox.redirect_uri)
    assert failed["message"] == "Could not generate long lived token"
    assert failed["error"]["code"] == 190


def test_get_access_tokens_with_a_cancel_redirect(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    denied = sandbox.deny(state="s")
    result = tp.get_access_tokens(sandbox.app_id, sandbox.app_secret, denied, sandbox.redirect_uri)
    assert result["message"] == "Could not generate short lived token"
    assert result["error"]["error_class"] == "AuthorizationDeniedError"
    assert sandbox.requests == []


def test_get_access_tokens_validates_first(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    with pytest.raises(ValidationError) as caught:
        tp.get_access_tokens("not-numeric", "secret", "code", sandbox.redirect_uri)
    assert caught.value.parameter == "app_id"
    with pytest.raises(ValidationError) as caught:
        tp.get_access_tokens(sandbox.app_id, "secret", "   ", sandbox.redirect_uri)
    assert caught.value.parameter == "auth_code"
    assert sandbox.requests == []


def test_get_auth_token_returns_the_url(
    tp: ThreadsPipe, sandbox: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "open_browser", lambda url: False)
    url = tp.get_auth_token(sandbox.app_id, sandbox.redirect_uri, ["basic", "insights"])
    redirected = sandbox.authorize(url)  # the sandbox's window accepts what it built
    assert params_of(redirected)["state"] == params_of(url)["state"]


def test_oauth_calls_use_the_clients_base_url_and_retry_only_unsent_requests(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = fake_time.install(sandbox.client())
    code = params_of(authorize(sandbox)[0])["code"]
    sandbox.drop("POST", "/oauth/access_token", after=True)  # processed, answer lost
    result = tp.get_access_tokens(sandbox.app_id, sandbox.app_secret, code, sandbox.redirect_uri)
    assert not result.ok
    assert result["error"]["error_class"] == "ThreadsConnectionError"
    assert len(sandbox.requests_to("POST", "/oauth/access_token")) == 1  # never sent twice


# -- secrets ------------------------------------------------------------------------------------
def test_no_secret_reaches_logs_reprs_or_messages(
    sandbox: ThreadsSandbox, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    seen: list[str] = []
    secrets: list[str] = [sandbox.app_secret]
    with caplog.at_level(logging.DEBUG):  # the root logger: urllib3's request lines included
        redirected, state = authorize(sandbox)
        secrets.append(params_of(redirected)["code"])
        creds = complete(sandbox, redirected, state)
        secrets.append(creds.access_token)
        seen += [repr(creds), str(creds), repr(auth.parse_redirect(redirected))]
        tp = sandbox.client()
        # Failures of every step, with the secrets in play.
        for call in (
            lambda: complete(sandbox, redirected, state),  # reused code
            lambda: auth.exchange_for_long_lived(
                "e" * 32, creds.access_token, base_url=sandbox.url
            ),
            lambda: auth.refresh_credentials(creds, base_url=sandbox.url),  # too young
            lambda: auth.get_access_tokens(
                sandbox.facebook_app_id,
                sandbox.app_secret,
                redirected,
                sandbox.redirect_uri,
                base_url=sandbox.url,
            ),
        ):
            with pytest.raises(ThreadsPipeError) as caught:
                call()
            seen += [str(caught.value), repr(caught.value), repr(caught.value.args)]
        results = [
            tp.get_access_tokens(
                sandbox.app_id, sandbox.app_secret, redirected, sandbox.redirect_uri
            ),
            tp.refresh_token(creds.access_token),
        ]
        sandbox.advance(DAY)
        refreshed = tp.refresh_token(creds.access_token, tmp_path / ".env", "TOKEN")
        assert refreshed.ok
        secrets.append(refreshed["access_token"])
        fresh = tp.refresh_credentials(creds)
        secrets.append(fresh.access_token)
        seen.append(repr(fresh))
        sandbox.advance(61 * DAY)
        with pytest.raises(TokenExpiredError) as expired:
            tp.refresh_credentials(fresh)
        seen += [str(expired.value), repr(expired.value)]
    for result in results:
        assert not result.ok
        seen += [json.dumps(result), repr(result), str(result.exception)]
    for record in caplog.records:
        seen.append(record.getMessage())
        seen.append(str(record.args))
    assert any(
        r.name.startswith("urllib3") and "client_secret=" in r.getMessage() for r in caplog.records
    )
    assert any(r.name == "threadspipepy.auth" for r in caplog.records)
    for text in seen:
        for secret in secrets:
            assert secret not in text
