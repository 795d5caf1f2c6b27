"""Helpers for the sandbox's own tests: plain `requests` against the server, no library client.

The `threads_sandbox` fixture itself comes from the package's pytest11 plugin.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

TIMEOUT = 10


class Graph:
    """A few calls to the sandbox's Graph API as one account (Bearer token by default)."""

    def __init__(self, sb: ThreadsSandbox, token: str) -> None:
        self.sb = sb
        self.token = token
        self.base = f"{sb.url}/v1.0"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(
            f"{self.base}/{path}", params=params, headers=self.headers, timeout=TIMEOUT
        )

    def post(self, path: str, **data: Any) -> requests.Response:
        return requests.post(
            f"{self.base}/{path}", data=data, headers=self.headers, timeout=TIMEOUT
        )

    def create(self, **data: Any) -> str:
        """Create a container and return its id (the creation must succeed)."""
        response = self.post("me/threads", **data)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def status(self, container_id: str) -> dict[str, Any]:
        response = self.get(container_id, fields="id,status,error_message")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def publish(self, container_id: str) -> requests.Response:
        return self.post("me/threads_publish", creation_id=container_id)

    def post_text(self, text: str, **extra: Any) -> str:
        """Create and publish a TEXT post; return the media id."""
        response = self.publish(self.create(media_type="TEXT", text=text, **extra))
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def finished_item(self, media_type: str = "IMAGE") -> str:
        """A FINISHED carousel item container (advances the sandbox clock past processing)."""
        url_key = "image_url" if media_type == "IMAGE" else "video_url"
        cid = self.create(
            media_type=media_type, is_carousel_item="true", **{url_key: "https://cdn.example.com/a"}
        )
        self.sb.advance(5)
        return cid


def graph_error(response: requests.Response, status: int = 400) -> dict[str, Any]:
    """The Graph error object of a failed response, after checking its envelope."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert isinstance(error["message"], str)
    assert isinstance(error["code"], int)
    assert error["fbtrace_id"]
    return error


def rejected(graph: Graph, **data: Any) -> str:
    """Container creation must fail with Graph code 100 and create nothing; returns the message."""
    before = len(graph.sb.containers)
    error = graph_error(graph.post("me/threads", **data))
    assert error["code"] == 100, error
    assert len(graph.sb.containers) == before
    return str(error["message"])


@pytest.fixture
def sb(threads_sandbox: ThreadsSandbox) -> ThreadsSandbox:
    return threads_sandbox


@pytest.fixture
def graph(threads_sandbox: ThreadsSandbox) -> Graph:
    return Graph(threads_sandbox, threads_sandbox.access_token)
