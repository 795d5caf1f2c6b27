"""The sandbox's OAuth endpoints and authorization window, written from threads-api.md §2.

Plain `requests`, no library client: the sandbox must refuse what Meta refuses, in Meta's
shapes, so that the client cannot pass by being lenient.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, graph_error

HOUR = 3600
DAY = 86400
ALL = (
    "threads_basic,threads_content_publish,threads_read_replies,threads_manage_replies,"
    "threads_manage_insights,threads_keyword_search,threads_profile_discovery,"
    "threads_manage_mentions,threads_delete,threads_location_tagging,threads_share_to_instagram"
)


def params_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def code_of(sb: ThreadsSandbox, **kwargs: Any) -> str:
    return params_of(sb.authorize(**kwargs))["code"]


def exchange(sb: ThreadsSandbox, code: str, /, **override: str) -> requests.Response:
    data = {
        "client_id": sb.app_id,
        "client_secret": sb.app_secret,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": sb.redirect_uri,
        **override,
    }
    return requests.post(f"{sb.url}/oauth/access_token", data=data, timeout=TIMEOUT)


def long_lived(sb: ThreadsSandbox, short: str, secret: str | None = None) -> requests.Response:
    params = {
        "grant_type": "th_exchange_token",
        "client_secret": sb.app_secret if secret is None else secret,
        "access_token": short,
    }
    return requests.get(f"{sb.url}/access_token", params=params, timeout=TIMEOUT)


def refresh(sb: ThreadsSandbox, token: str) -> requests.Response:
    params = {"grant_type": "th_refresh_token", "access_token": token}
    return requests.get(f"{sb.url}/refresh_access_token", params=params, timeout=TIMEOUT)


def short_token(sb: ThreadsSandbox, **kwargs: Any) -> str:
    response = exchange(sb, code_of(sb, **kwargs))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def long_token(sb: ThreadsSandbox, **kwargs: Any) -> str:
    response = long_lived(sb, short_token(sb, **kwargs))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def oauth_error(response: requests.Response) -> dict[str, Any]:
    """The code exchange's own error shape (not the Graph envelope)."""
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert "error" not in body
    return body


def me(sb: ThreadsSandbox, token: str) -> requests.Response:
    return requests.get(
        f"{sb.url}/v1.0/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )


def post_text(sb: ThreadsSandbox, token: str, text: str = "hi") -> requests.Response:
    auth = {"Authorization": f"Bearer {token}"}
    create = requests.post(
        f"{sb.url}/v1.0/me/threads",
        data={"media_type": "TEXT", "text": text},
        headers=auth,
        timeout=TIMEOUT,
    )
    if create.status_code != 200:
        return create
    return requests.post(
        f"{sb.url}/v1.0/me/threads_publish",
        data={"creation_id": create.json()["id"]},
        headers=auth,
        timeout=TIMEOUT,
    )


# -- the registered app and the authorization window ---------------------------------------
def test_the_app_has_threads_and_facebook_ids(sb: ThreadsSandbox) -> None:
    assert sb.app_id.isdigit() and sb.facebook_app_id.isdigit()
    assert sb.app_id != sb.facebook_app_id
    assert len(sb.app_secret) >= 32
    assert sb.redirect_uri.startswith("https://")


def test_allow_redirects_with_a_code_state_and_hash_underscore(sb: ThreadsSandbox) -> None:
    url = sb.authorize(state="xyz")
    assert url.startswith(sb.redirect_uri + "?code=AQB")
    assert url.endswith("#_")
    assert params_of(url)["state"] == "xyz"
    assert "#_" not in params_of(url)["code"]


def test_the_window_reads_the_authorization_url(sb: ThreadsSandbox) -> None:
    sb.add_redirect_uri("https://app.example/cb?src=threads")
    query = urlencode(
        {
            "client_id": sb.app_id,
            "redirect_uri": "https://app.example/cb?src=threads",
            "scope": "threads_basic,threads_content_publish",
            "response_type": "code",
            "state": "s t",
        }
    )
    url = sb.authorize(f"https://threads.com/oauth/authorize?{query}")
    assert url.startswith("https://app.example/cb?src=threads&code=")
    assert params_of(url)["state"] == "s t"
    token = short_token_from(sb, url, "https://app.example/cb?src=threads")
    info = sb.token_info(token)
    assert info is not None
    assert info["scopes"] == ["threads_basic", "threads_content_publish"]
    assert info["long_lived"] is False


def short_token_from(sb: ThreadsSandbox, url: str, redirect: str) -> str:
    response = exchange(sb, params_of(url)["code"], redirect_uri=redirect)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_space_separated_scopes_work_too(sb: ThreadsSandbox) -> None:
    url = sb.authorize(scopes="threads_basic threads_delete")
    info = sb.token_info(short_token_from(sb, url, sb.redirect_uri))
    assert info is not None and info["scopes"] == ["threads_basic", "threads_delete"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"client_id": "FACEBOOK"}, "1349026"),
        ({"redirect_uri": "https://localhost/threads/callback/"}, "redirect_uri"),
        ({"response_type": "token"}, "response_type"),
        ({"scope": "threads_basic,threads_fly"}, "threads_fly"),
        ({"scope": "threads_content_publish"}, "threads_basic is required"),
    ],
)
def test_the_window_refuses_bad_requests(
    sb: ThreadsSandbox, change: dict[str, str], fragment: str
) -> None:
    params = {
        "client_id": sb.app_id,
        "redirect_uri": sb.redirect_uri,
        "scope": ALL,
        "response_type": "code",
    }
    params.update(change)
    if params["client_id"] == "FACEBOOK":
        params["client_id"] = sb.facebook_app_id
    with pytest.raises(ValueError, match=fragment) as caught:
        sb.authorize("https://threads.com/oauth/authorize?" + urlencode(params))
    body = getattr(caught.value, "body", None)
    assert isinstance(body, dict) and "error_message" in body


def test_cancel_redirects_with_access_denied(sb: ThreadsSandbox) -> None:
    url = sb.deny(state="xyz")
    assert params_of(url) == {
        "error": "access_denied",
        "error_reason": "user_denied",
        "error_description": "The user denied your request",
        "state": "xyz",
    }
    assert "code" not in url


# -- POST /oauth/access_token ---------------------------------------------------------------
def test_code_exchange_answers_a_short_lived_token_and_a_numeric_user_id(
    sb: ThreadsSandbox,
) -> None:
    response = exchange(sb, code_of(sb))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "user_id"}
    assert body["user_id"] == int(sb.user_id)
    assert body["access_token"].startswith("TH")
    info = sb.token_info(body["access_token"])
    assert info is not None and info["long_lived"] is False
    assert info["expires_at"] - info["issued_at"] == pytest.approx(HOUR)


def test_a_code_works_once(sb: ThreadsSandbox) -> None:
    code = code_of(sb)
    assert exchange(sb, code).status_code == 200
    assert oauth_error(exchange(sb, code)) == {
        "error_type": "OAuthException",
        "code": 400,
        "error_message": "Matching code was not found or was already used",
    }


def test_a_code_expires_after_an_hour(sb: ThreadsSandbox) -> None:
    fresh, stale = code_of(sb), code_of(sb)
    sb.advance(HOUR - 5)
    assert exchange(sb, fresh).status_code == 200
    sb.advance(10)
    body = oauth_error(exchange(sb, stale))
    assert body["error_message"] == "Matching code was not found or was already used"


def test_the_code_needs_the_same_redirect_uri(sb: ThreadsSandbox) -> None:
    code = code_of(sb)
    body = oauth_error(exchange(sb, code, redirect_uri=sb.redirect_uri + "/"))
    assert "redirect_uri" in body["error_message"]
    assert exchange(sb, code).status_code == 200  # a refused attempt does not use it up


def test_the_facebook_app_id_is_error_1349026(sb: ThreadsSandbox) -> None:
    body = oauth_error(exchange(sb, code_of(sb), client_id=sb.facebook_app_id))
    assert body["error_code"] == 1349026
    assert body["error_message"].startswith("No application data was given")
    assert set(body) == {"error_message", "error_code"}


def test_a_wrong_secret_is_refused(sb: ThreadsSandbox) -> None:
    body = oauth_error(exchange(sb, code_of(sb), client_secret="0" * 32))
    assert body["error_message"] == "Error validating client secret."


@pytest.mark.parametrize(
    "missing", ["client_id", "client_secret", "code", "grant_type", "redirect_uri"]
)
def test_every_parameter_is_required(sb: ThreadsSandbox, missing: str) -> None:
    body = oauth_error(exchange(sb, code_of(sb), **{missing: ""}))
    assert missing in body["error_message"]


def test_the_exchange_is_a_post(sb: ThreadsSandbox) -> None:
    response = requests.get(
        f"{sb.url}/oauth/access_token",
        params={"client_id": sb.app_id, "code": code_of(sb)},
        timeout=TIMEOUT,
    )
    oauth_error(response)


def test_secrets_are_never_echoed(sb: ThreadsSandbox) -> None:
    code = code_of(sb)
    wrong = "wrong-secret-never-echoed"
    for response in (
        exchange(sb, code, client_secret=wrong),
        exchange(sb, code, client_id=sb.facebook_app_id),
        long_lived(sb, "THAAnot-a-token", secret=wrong),
        refresh(sb, "THAAnot-a-token-either"),
    ):
        assert response.status_code == 400
        for secret in (wrong, code, sb.app_secret, "THAAnot-a-token"):
            assert secret not in response.text


# -- GET /access_token?grant_type=th_exchange_token -------------------------------------------
def test_long_lived_exchange_answers_60_days(sb: ThreadsSandbox) -> None:
    response = long_lived(sb, short_token(sb))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 60 * DAY
    info = sb.token_info(body["access_token"])
    assert info is not None and info["long_lived"] is True


def test_long_lived_exchange_needs_the_app_secret(sb: ThreadsSandbox) -> None:
    error = graph_error(long_lived(sb, short_token(sb), secret="0" * 32))
    assert error["message"] == "Error validating client secret."
    assert error["type"] == "OAuthException"
    assert error["code"] == 1  # as Graph answers a wrong secret


def test_an_expired_short_lived_token_cannot_be_exchanged(sb: ThreadsSandbox) -> None:
    short = short_token(sb)
    sb.advance(HOUR + 1)
    error = graph_error(long_lived(sb, short))
    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert "Session has expired" in error["message"]


def test_long_lived_exchange_checks_grant_type_and_token(sb: ThreadsSandbox) -> None:
    response = requests.get(
        f"{sb.url}/access_token",
        params={"grant_type": "fb_exchange_token", "client_secret": sb.app_secret},
        timeout=TIMEOUT,
    )
    assert graph_error(response)["code"] == 100
    assert graph_error(long_lived(sb, "THAAunknown"))["code"] == 190


# -- GET /refresh_access_token ----------------------------------------------------------------
def test_refresh_needs_a_day_old_long_lived_token(sb: ThreadsSandbox) -> None:
    short = short_token(sb)
    token = long_lived(sb, short).json()["access_token"]
    assert graph_error(refresh(sb, token))["code"] == 100  # too young
    sb.advance(DAY)
    assert graph_error(refresh(sb, short))["code"] == 190  # short-lived: expired by now
    response = refresh(sb, token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["expires_in"] == 60 * DAY
    assert body["access_token"] != token


def test_refresh_of_a_short_lived_token_is_refused(sb: ThreadsSandbox) -> None:
    error = graph_error(refresh(sb, short_token(sb)))
    assert error["code"] == 100
    assert "long-lived" in error["message"]


def test_a_refresh_invalidates_nothing_else(sb: ThreadsSandbox) -> None:
    first = long_token(sb)
    second = long_token(sb)
    sb.advance(DAY)
    refreshed = refresh(sb, first).json()["access_token"]
    for token in (first, second, refreshed):
        assert me(sb, token).status_code == 200
    # The old token keeps its own 60 days; the refreshed one runs 60 days from the refresh.
    sb.advance(59 * DAY + 1)
    assert graph_error(me(sb, first))["error_subcode"] == 463
    assert me(sb, refreshed).status_code == 200


def test_an_expired_long_lived_token_cannot_be_refreshed(sb: ThreadsSandbox) -> None:
    token = long_token(sb)
    sb.advance(60 * DAY)
    error = graph_error(refresh(sb, token))
    assert (error["code"], error["error_subcode"]) == (190, 463)


def test_refresh_needs_threads_basic(sb: ThreadsSandbox) -> None:
    token = long_token(sb)
    # Meta refuses a grant without threads_basic in the window; the rule is still enforced.
    oauth = sb._dispatcher.oauth
    with sb._state.lock:
        oauth.tokens[token].scopes = ("threads_content_publish",)
    sb.advance(DAY)
    assert graph_error(refresh(sb, token), status=403)["code"] == 10


# -- issued tokens on the Graph API -----------------------------------------------------------
def test_issued_tokens_post_as_the_user_who_authorized(sb: ThreadsSandbox) -> None:
    other = sb.add_account(username="second_user")
    short = short_token(sb, user_id=other.user_id)
    assert me(sb, short).json() == {"id": other.user_id}
    response = post_text(sb, long_token(sb, user_id=other.user_id), "posted with OAuth")
    assert response.status_code == 200, response.text
    assert sb.posts[-1]["owner"] == other.user_id


def test_scopes_limit_what_a_token_may_do(sb: ThreadsSandbox) -> None:
    token = long_token(sb, scopes=["threads_basic"])
    assert me(sb, token).status_code == 200
    assert graph_error(post_text(sb, token), status=403)["code"] == 10
    publisher = long_token(sb, scopes="threads_basic,threads_content_publish")
    assert post_text(sb, publisher).status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "scope"),
    [
        ("/v1.0/keyword_search", {"q": "python"}, "threads_keyword_search"),
        ("/v1.0/profile_lookup", {"username": "meta"}, "threads_profile_discovery"),
        ("/v1.0/location_search", {"q": "Menlo Park"}, "threads_location_tagging"),
        ("/v1.0/me/mentions", {}, "threads_manage_mentions"),
    ],
)
def test_endpoints_with_their_own_permission(
    sb: ThreadsSandbox, path: str, params: dict[str, str], scope: str
) -> None:
    basic = long_token(sb, scopes=["threads_basic"])
    denied = requests.get(sb.url + path, params={**params, "access_token": basic}, timeout=5)
    assert graph_error(denied, status=403)["code"] == 10
    allowed = long_token(sb, scopes=f"threads_basic,{scope}")
    granted = requests.get(sb.url + path, params={**params, "access_token": allowed}, timeout=5)
    assert granted.status_code != 403, granted.text


def test_expired_tokens_are_graph_190_463(sb: ThreadsSandbox) -> None:
    short = short_token(sb)
    sb.advance(HOUR)
    error = graph_error(me(sb, short))
    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert error["message"].startswith("Error validating access token: Session has expired on")


def test_oauth_requests_are_logged_and_counted_as_other(sb: ThreadsSandbox) -> None:
    long_token(sb)
    paths = [r.path.split("?")[0] for r in sb.requests]
    assert paths == ["/oauth/access_token", "/access_token"]
    assert sb.requests[0].form["client_secret"] == sb.app_secret  # in the body, not the URL
    assert sb.stats()["other"] == 2
