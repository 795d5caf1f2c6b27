"""Tokens, account scoping, /me fields and Graph's answers to unknown paths (threads-api.md §1,
§4.8, §7)."""

from __future__ import annotations

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error


def test_token_in_query_form_and_bearer_header_is_accepted(sb: ThreadsSandbox) -> None:
    base = f"{sb.url}/v1.0"
    by_query = requests.get(f"{base}/me", params={"access_token": sb.access_token}, timeout=TIMEOUT)
    by_header = requests.get(
        f"{base}/me", headers={"Authorization": f"Bearer {sb.access_token}"}, timeout=TIMEOUT
    )
    by_form = requests.post(
        f"{base}/me/threads",
        data={"access_token": sb.access_token, "media_type": "TEXT", "text": "hi"},
        timeout=TIMEOUT,
    )
    assert by_query.json() == {"id": sb.user_id}
    assert by_header.json() == {"id": sb.user_id}
    assert by_form.status_code == 200
    assert "id" in by_form.json()


def test_bad_or_missing_token_is_oauth_190_and_never_echoed(sb: ThreadsSandbox) -> None:
    base = f"{sb.url}/v1.0"
    secret = "THAAwrong-token-do-not-echo"
    answers = [
        requests.get(f"{base}/me", params={"access_token": secret}, timeout=TIMEOUT),
        requests.get(f"{base}/me", headers={"Authorization": f"Bearer {secret}"}, timeout=TIMEOUT),
        requests.post(f"{base}/me/threads", data={"media_type": "TEXT"}, timeout=TIMEOUT),
        requests.get(f"{base}/me", headers={"Authorization": "Basic abc"}, timeout=TIMEOUT),
    ]
    traces = set()
    for answer in answers:
        error = graph_error(answer)
        assert error["code"] == 190
        assert error["type"] == "OAuthException"
        assert error["message"] == "Invalid OAuth access token - Cannot parse access token"
        assert secret not in answer.text
        assert all(secret not in value for value in answer.headers.values())
        traces.add(error["fbtrace_id"])
    assert len(traces) == len(answers)  # a fresh fbtrace_id on every error
    assert sb.containers == []


def test_me_fields_selection(graph: Graph, sb: ThreadsSandbox) -> None:
    fields = (
        "id,username,name,threads_profile_picture_url,threads_biography,is_verified,"
        "is_eligible_for_geo_gating"
    )
    body = graph.get("me", fields=fields).json()
    assert set(body) == set(fields.split(","))
    assert body["id"] == sb.user_id
    assert body["username"] == sb.default_account.username
    assert body["is_verified"] is False
    assert body["is_eligible_for_geo_gating"] is True
    assert graph.get("me").json() == {"id": sb.user_id}
    assert graph.get(sb.user_id, fields="username").json() == {
        "username": sb.default_account.username
    }


def test_unknown_field_is_rejected(graph: Graph) -> None:
    error = graph_error(graph.get("me", fields="id,follower_count"))
    assert error["code"] == 100
    assert "follower_count" in error["message"]


def test_token_selects_the_account_and_other_ids_are_forbidden(sb: ThreadsSandbox) -> None:
    other = sb.add_account(username="second_user", geo_gating_eligible=False)
    as_other = Graph(sb, other.access_token)
    body = as_other.get("me", fields="id,username,is_eligible_for_geo_gating").json()
    assert body == {
        "id": other.user_id,
        "username": "second_user",
        "is_eligible_for_geo_gating": False,
    }
    error = graph_error(as_other.get(sb.user_id), status=403)
    assert error["code"] == 10
    error = graph_error(as_other.post(f"{sb.user_id}/threads", media_type="TEXT", text="x"), 403)
    assert error["code"] == 10
    assert other.user_id != sb.user_id
    assert other.access_token != sb.access_token


def test_unknown_version_path_and_object(graph: Graph, sb: ThreadsSandbox) -> None:
    headers = graph.headers
    old = requests.get(f"{sb.url}/v9.9/me", headers=headers, timeout=TIMEOUT)
    assert graph_error(old)["code"] == 2500
    edge = graph.get("me/not_an_edge")
    assert graph_error(edge)["code"] == 2500
    assert "not_an_edge" in edge.json()["error"]["message"]
    missing = graph_error(graph.get("12345"))
    assert (missing["code"], missing["error_subcode"]) == (100, 33)
    wrong_method = graph_error(graph.get("me/threads_publish"))
    assert wrong_method["code"] == 100


def test_unversioned_paths_default_to_v1(graph: Graph, sb: ThreadsSandbox) -> None:
    answer = requests.get(f"{sb.url}/me", headers=graph.headers, timeout=TIMEOUT)
    assert answer.json() == {"id": sb.user_id}


def test_handler_crash_answers_500_envelope(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    from threadspipepy.testing import _graph

    def boom(self: object, req: object) -> None:
        raise RuntimeError("bug in a handler")

    monkeypatch.setattr(_graph.GraphApp, "_route", boom)
    error = graph_error(graph.get("me"), status=500)
    assert error["code"] == 1
    assert error["is_transient"] is True
