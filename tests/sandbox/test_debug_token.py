"""The sandbox's debug_token endpoint, written from threads-api.md §2.7 (plain `requests`).

`GET /v1.0/debug_token?input_token=...` describes a token of the app to a caller whose own
token belongs to a Threads tester: type, application, data_access_expires_at, expires_at,
is_valid, issued_at, scopes, user_id, the times in Unix seconds.
"""

from __future__ import annotations

from typing import Any

import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, graph_error
from .test_oauth import DAY, code_of, exchange, long_lived, refresh

FIELDS = {
    "type",
    "application",
    "data_access_expires_at",
    "expires_at",
    "is_valid",
    "issued_at",
    "scopes",
    "user_id",
}


def oauth_token(sb: ThreadsSandbox, scopes: str = "threads_basic,threads_content_publish") -> str:
    """A long-lived token issued through the OAuth flow."""
    short = exchange(sb, code_of(sb, scopes=scopes)).json()["access_token"]
    return str(long_lived(sb, short).json()["access_token"])


def debug(
    sb: ThreadsSandbox, caller: str, input_token: str | None, *, method: str = "GET"
) -> requests.Response:
    params = {} if input_token is None else {"input_token": input_token}
    return requests.request(
        method,
        f"{sb.url}/v1.0/debug_token",
        params=params,
        headers={"Authorization": f"Bearer {caller}"},
        timeout=TIMEOUT,
    )


def data_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data"}
    data: dict[str, Any] = body["data"]
    return data


def test_a_token_described_to_its_own_user(sb: ThreadsSandbox) -> None:
    token = oauth_token(sb)
    now = sb.wall_time().timestamp()
    data = data_of(debug(sb, token, token))
    assert set(data) == FIELDS
    assert data["type"] == "USER"
    assert data["is_valid"] is True
    assert data["user_id"] == sb.user_id
    assert data["scopes"] == ["threads_basic", "threads_content_publish"]
    assert isinstance(data["application"], str) and data["application"]
    for name in ("issued_at", "expires_at", "data_access_expires_at"):
        assert isinstance(data[name], int), name  # Unix seconds (§1: debug_token times)
    assert abs(data["issued_at"] - now) <= 2
    assert abs(data["expires_at"] - (now + 60 * DAY)) <= 2
    assert abs(data["data_access_expires_at"] - (now + 90 * DAY)) <= 2


def test_the_access_token_may_also_go_in_the_query(sb: ThreadsSandbox) -> None:
    token = oauth_token(sb)
    response = requests.get(
        f"{sb.url}/v1.0/debug_token",
        params={"access_token": sb.access_token, "input_token": token},
        timeout=TIMEOUT,
    )
    assert data_of(response)["user_id"] == sb.user_id


def test_a_refreshed_token_has_its_own_times(sb: ThreadsSandbox) -> None:
    token = oauth_token(sb)
    sb.advance(10 * DAY)
    fresh = refresh(sb, token).json()["access_token"]
    old, new = data_of(debug(sb, fresh, token)), data_of(debug(sb, fresh, fresh))
    assert new["issued_at"] - old["issued_at"] >= 10 * DAY - 2
    assert new["expires_at"] - old["expires_at"] >= 10 * DAY - 2
    assert old["is_valid"] and new["is_valid"]  # a refresh invalidates nothing


def test_an_expired_token_is_described_as_not_valid(sb: ThreadsSandbox) -> None:
    token = oauth_token(sb)
    sb.advance(61 * DAY)
    data = data_of(debug(sb, sb.access_token, token))
    assert data["is_valid"] is False
    assert data["error"]["code"] == 190
    assert data["error"]["subcode"] == 463
    assert "expired" in data["error"]["message"]
    assert data["expires_at"] < sb.wall_time().timestamp()


def test_an_expired_caller_is_refused(sb: ThreadsSandbox) -> None:
    token = oauth_token(sb)
    sb.advance(61 * DAY)
    error = graph_error(debug(sb, token, token))
    assert (error["code"], error.get("error_subcode")) == (190, 463)


def test_an_unknown_input_token_is_not_valid(sb: ThreadsSandbox) -> None:
    data = data_of(debug(sb, sb.access_token, "THAAnot-a-token-of-this-app"))
    assert data["is_valid"] is False
    assert data["error"]["code"] == 190
    assert data["scopes"] == []


def test_a_token_made_for_a_sandbox_account_never_expires(sb: ThreadsSandbox) -> None:
    data = data_of(debug(sb, sb.access_token, sb.access_token))
    assert data["is_valid"] is True
    assert data["expires_at"] == 0
    assert data["user_id"] == sb.user_id
    assert "threads_basic" in data["scopes"]


def test_the_caller_must_be_a_threads_tester(sb: ThreadsSandbox) -> None:
    token = oauth_token(sb)
    sb.set_tester(tester=False)
    error = graph_error(debug(sb, token, token), status=403)
    assert error["code"] == 10
    assert "Tester" in error["message"]
    sb.set_tester(tester=True)
    assert data_of(debug(sb, token, token))["is_valid"] is True


def test_input_token_is_required_and_a_token_too(sb: ThreadsSandbox) -> None:
    assert graph_error(debug(sb, sb.access_token, None))["code"] == 100
    assert graph_error(debug(sb, "THAAunknown", "x"))["code"] == 190
    assert graph_error(debug(sb, sb.access_token, sb.access_token, method="POST"))["code"] == 100
