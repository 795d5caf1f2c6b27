"""The request log: what the sandbox received, in order, and what it answered."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from threadspipepy.testing import RecordedRequest, ThreadsSandbox

from .conftest import TIMEOUT, Graph


def test_log_records_method_path_query_form_headers_status(
    graph: Graph, sb: ThreadsSandbox
) -> None:
    graph.get("me", fields="id,username")
    graph.post("me/threads", media_type="TEXT", text="logged")
    get, post = sb.requests
    assert isinstance(get, RecordedRequest)
    assert (get.method, get.path, get.status) == ("GET", "/v1.0/me", 200)
    assert get.query == {"fields": "id,username"}
    assert get.form == {}
    assert get.json is None
    assert get.body_size == 0
    assert get.headers["Authorization"] == f"Bearer {sb.access_token}"
    assert get.headers["authorization"] == get.headers["Authorization"]  # any case
    assert (post.method, post.path, post.status) == ("POST", "/v1.0/me/threads", 200)
    assert post.form == {"media_type": "TEXT", "text": "logged"}
    assert post.body_size == len("media_type=TEXT&text=logged")
    assert post.params["text"] == "logged"
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.status = 500  # type: ignore[misc]


def test_json_and_multipart_bodies_and_repeated_keys(sb: ThreadsSandbox) -> None:
    base = f"{sb.url}/v1.0/me/threads"
    auth = {"Authorization": f"Bearer {sb.access_token}"}
    as_json = requests.post(
        base, json={"media_type": "TEXT", "text": "json body"}, headers=auth, timeout=TIMEOUT
    )
    assert as_json.status_code == 200
    multipart = requests.post(
        base,
        files={"media_type": (None, "TEXT"), "text": (None, "multi part ✓")},
        headers=auth,
        timeout=TIMEOUT,
    )
    assert multipart.status_code == 200
    repeated = requests.post(
        base,
        data=[
            ("media_type", "TEXT"),
            ("text", "geo"),
            ("allowlisted_country_codes", "US"),
            ("allowlisted_country_codes", "CA"),
        ],
        headers=auth,
        timeout=TIMEOUT,
    )
    assert repeated.status_code == 200
    first, second, third = sb.requests
    assert first.json == {"media_type": "TEXT", "text": "json body"}
    assert second.form == {"media_type": "TEXT", "text": "multi part ✓"}
    assert third.form["allowlisted_country_codes"] == "US,CA"
    assert [c["params"]["text"] for c in sb.containers] == ["json body", "multi part ✓", "geo"]


def test_requests_to_filters_by_method_and_glob(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="a")
    graph.status(cid)
    graph.publish(cid)
    graph.get("me")
    assert len(sb.requests_to("POST")) == 2
    assert len(sb.requests_to(path="/v1.0/*/threads_publish")) == 1
    assert len(sb.requests_to("get", "/v1.0/*")) == 2
    assert sb.requests_to("DELETE") == []
    sb.clear_requests()
    assert sb.requests == []
    graph.get("me")
    assert [r.path for r in sb.requests] == ["/v1.0/me"]


def test_failed_requests_are_logged_with_their_status(graph: Graph, sb: ThreadsSandbox) -> None:
    requests.get(f"{sb.url}/v1.0/me", params={"access_token": "bad"}, timeout=TIMEOUT)
    sb.fail("GET", "/v1.0/me", status=503)
    graph.get("me")
    assert [r.status for r in sb.requests] == [400, 503]
    assert sb.requests[0].query == {"access_token": "bad"}


def test_unreadable_body_is_a_400_not_a_hang(sb: ThreadsSandbox) -> None:
    import socket

    port = int(sb.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as conn:
        conn.sendall(b"POST /v1.0/me/threads HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        answer = conn.recv(1024)
    assert answer.startswith(b"HTTP/1.1 400")
    assert sb.requests[-1].status == 400
