"""Scopes, the authorization URL, the redirect and the state check: pure, no requests."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import ThreadsPipe, ValidationError, auth
from threadspipepy.auth import (
    ALL_SCOPES,
    SCOPES,
    AuthorizationDeniedError,
    StateMismatchError,
    authorization_url,
    check_state,
    parse_redirect,
    resolve_scopes,
)

APP_ID = "1234567890123456"
REDIRECT = "https://example.com/threads/callback"


def query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


# -- scopes -------------------------------------------------------------------------------------
def test_scope_keys_match_the_class_attribute() -> None:
    assert dict(SCOPES) == ThreadsPipe.__threads_auth_scope__
    # 0.4.5's five keys are kept, with their old meaning.
    for key, name in {
        "basic": "threads_basic",
        "publish": "threads_content_publish",
        "read_replies": "threads_read_replies",
        "manage_replies": "threads_manage_replies",
        "insights": "threads_manage_insights",
    }.items():
        assert SCOPES[key] == name


def test_all_is_every_current_scope() -> None:
    assert resolve_scopes("all") == ALL_SCOPES
    assert len(ALL_SCOPES) == 11
    assert "threads_share_to_instagram" in ALL_SCOPES


@pytest.mark.parametrize(
    "scope",
    [
        "publish",
        "threads_content_publish",
        ["publish"],
        ["basic", "threads_content_publish"],
        "basic,publish",
        "basic, publish",
        "threads_basic threads_content_publish",
        ("PUBLISH",),
        ["basic,publish", "publish"],
    ],
)
def test_keys_names_lists_and_comma_strings(scope: object) -> None:
    assert resolve_scopes(scope) == ("threads_basic", "threads_content_publish")  # type: ignore[arg-type]


def test_threads_basic_is_always_first_and_duplicates_go() -> None:
    assert resolve_scopes(["insights", "insights", "delete"]) == (
        "threads_basic",
        "threads_manage_insights",
        "threads_delete",
    )


def test_unknown_scope_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_scopes("basic,publsh")
    message = str(caught.value)
    assert caught.value.parameter == "scope"
    assert "'publsh'" in message
    for key, name in SCOPES.items():
        assert key in message
        assert name in message


@pytest.mark.parametrize("scope", ["", " , ", []])
def test_empty_scope_is_refused(scope: object) -> None:
    with pytest.raises(ValidationError):
        resolve_scopes(scope)  # type: ignore[arg-type]


def test_non_string_scope_entries_are_refused() -> None:
    with pytest.raises(ValidationError):
        resolve_scopes(["basic", 3])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        resolve_scopes(7)  # type: ignore[arg-type]


def test_scope_keys_can_be_extended_like_0_4_5s_class_attribute() -> None:
    keys = {**SCOPES, "everything_to_post": "threads_content_publish"}
    assert resolve_scopes("everything_to_post", keys=keys)[-1] == "threads_content_publish"


# -- the authorization URL ----------------------------------------------------------------------
def test_url_parameters_and_default_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.AUTHORIZE_URL_ENV, raising=False)
    url, state = authorization_url(APP_ID, REDIRECT, ["basic", "publish"])
    assert url.startswith("https://threads.com/oauth/authorize?")
    assert query(url) == {
        "client_id": APP_ID,
        "redirect_uri": REDIRECT,
        "scope": "threads_basic,threads_content_publish",
        "response_type": "code",
        "state": state,
    }


def test_every_parameter_is_encoded() -> None:
    redirect = "https://example.com/cb?next=/home&x=a b"
    url, _ = authorization_url(APP_ID, redirect, "basic", state="s/&=?#x")
    raw_query = urlsplit(url).query
    assert "next=/home" not in raw_query  # the redirect's own query is not spliced in raw
    assert " " not in url and "#" not in url
    assert query(url)["redirect_uri"] == redirect
    assert query(url)["state"] == "s/&=?#x"
    assert "%2C" in raw_query or "," not in query(url)["scope"]


def test_state_is_fresh_random_and_unguessable() -> None:
    states = {authorization_url(APP_ID, REDIRECT)[1] for _ in range(500)}
    assert len(states) == 500
    assert all(len(s) >= 40 for s in states)
    # Pasted back on a command line (`access_token --state ...`): never read as an option.
    assert all(s[0].isalnum() and s.isascii() for s in states)


def test_given_state_is_kept() -> None:
    url, state = authorization_url(APP_ID, REDIRECT, state="mine")
    assert state == "mine"
    assert query(url)["state"] == "mine"


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        (auth.AUTHORIZE_URL_NET, "https://threads.net/oauth/authorize?"),
        ("threads.net", "https://threads.net/oauth/authorize?"),
        ("https://www.threads.net", "https://www.threads.net/oauth/authorize?"),
        ("http://127.0.0.1:9/oauth/authorize", "http://127.0.0.1:9/oauth/authorize?"),
    ],
)
def test_authorize_host_is_configurable(argument: str, expected: str) -> None:
    assert authorization_url(APP_ID, REDIRECT, authorize_url=argument)[0].startswith(expected)


def test_authorize_host_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.AUTHORIZE_URL_ENV, auth.AUTHORIZE_URL_NET)
    assert authorization_url(APP_ID, REDIRECT)[0].startswith(auth.AUTHORIZE_URL_NET + "?")
    explicit = authorization_url(APP_ID, REDIRECT, authorize_url=auth.AUTHORIZE_URL)[0]
    assert explicit.startswith(auth.AUTHORIZE_URL + "?")  # argument > environment


@pytest.mark.parametrize("app_id", ["", "abc", "12 34", True, None, "1234-5"])
def test_app_id_must_be_numeric(app_id: object) -> None:
    with pytest.raises(ValidationError) as caught:
        authorization_url(app_id, REDIRECT)  # type: ignore[arg-type]
    assert caught.value.parameter == "app_id"
    assert "Threads App ID" in str(caught.value)


def test_app_id_may_be_an_int() -> None:
    assert query(authorization_url(1234, REDIRECT)[0])["client_id"] == "1234"


@pytest.mark.parametrize("redirect", ["", "/callback", "example.com/cb", "ftp://x/y", None])
def test_redirect_uri_must_be_absolute_http(redirect: object) -> None:
    with pytest.raises(ValidationError) as caught:
        authorization_url(APP_ID, redirect)  # type: ignore[arg-type]
    assert caught.value.parameter == "redirect_uri"


def test_facade_get_auth_token_returns_the_url_and_opens_a_browser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(auth, "open_browser", lambda url: opened.append(url) or True)
    tp = ThreadsPipe("1", "token")
    url = tp.get_auth_token(APP_ID, REDIRECT, scope="basic,publish")
    assert opened == [url]
    assert query(url)["scope"] == "threads_basic,threads_content_publish"
    assert query(url)["state"]


def test_open_browser_does_nothing_on_a_headless_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(auth.sys, "platform", "linux")
    calls: list[str] = []
    monkeypatch.setattr(auth.webbrowser, "open", lambda url: calls.append(url) or True)
    assert auth.open_browser("https://threads.com/oauth/authorize") is False
    assert calls == []
    monkeypatch.setenv("DISPLAY", ":0")
    assert auth.open_browser("https://threads.com/oauth/authorize") is True
    assert len(calls) == 1


# -- the redirect -------------------------------------------------------------------------------
def test_redirect_code_without_the_hash_underscore() -> None:
    answer = parse_redirect(f"{REDIRECT}?code=AQBx-hBsH3abc&state=xyz#_")
    assert answer.code == "AQBx-hBsH3abc"
    assert answer.state == "xyz"
    assert "AQBx" not in repr(answer) and "xyz" not in repr(answer)


@pytest.mark.parametrize(
    "url",
    [
        "/threads/callback?code=AQBcode&state=s",  # a web framework's request path
        "code=AQBcode&state=s",  # just the query
        "https://example.com/cb?state=s&code=AQBcode%23_",  # the #_ escaped into the code
    ],
)
def test_redirect_in_other_forms(url: str) -> None:
    answer = parse_redirect(url)
    assert answer.code == "AQBcode"
    assert answer.state == "s"


def test_cancel_is_access_denied() -> None:
    url = (
        f"{REDIRECT}?error=access_denied&error_reason=user_denied"
        "&error_description=The+user+denied+your+request&state=s"
    )
    with pytest.raises(AuthorizationDeniedError) as caught:
        parse_redirect(url)
    assert caught.value.error == "access_denied"
    assert caught.value.error_reason == "user_denied"
    assert caught.value.error_description == "The user denied your request"
    assert "access_denied" in str(caught.value)
    assert "Allow" in str(caught.value)


def test_other_redirect_errors() -> None:
    with pytest.raises(AuthorizationDeniedError, match="invalid_scope: bad scope"):
        parse_redirect(f"{REDIRECT}?error=invalid_scope&error_description=bad+scope")


@pytest.mark.parametrize("url", ["", "   ", f"{REDIRECT}?state=s", f"{REDIRECT}?code=#_"])
def test_no_code_is_a_validation_error(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_redirect(url)
    assert caught.value.parameter == "requested_url"


# -- the state check ----------------------------------------------------------------------------
def test_state_check_passes_on_equal_states() -> None:
    check_state("abc", "abc")


@pytest.mark.parametrize("received", [None, "", "abd", "abc ", "ABC"])
def test_missing_or_different_state_is_refused(received: str | None) -> None:
    with pytest.raises(StateMismatchError) as caught:
        check_state("abc", received)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.parameter == "state"
    assert "abc" not in str(caught.value)


@pytest.mark.parametrize("expected", [None, ""])
def test_the_expected_state_is_required(expected: str | None) -> None:
    with pytest.raises(ValidationError) as caught:
        check_state(expected, "abc")
    assert not isinstance(caught.value, StateMismatchError)
    assert caught.value.parameter == "state"


def test_state_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    check_state("ünïcode-state", "ünïcode-state")
    assert calls == [("ünïcode-state".encode(), "ünïcode-state".encode())]
