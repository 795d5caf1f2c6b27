"""A fake GitHub contents API (under /github) and raw file host (under /raw), plus /media.

Called with the state lock held. Mirrors api.github.com's status codes and bodies for the calls a
media host makes: PUT, GET and DELETE on /repos/{owner}/{repo}/contents/{path}.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import mimetypes
import secrets
from typing import Any
from urllib.parse import quote

from ._errors import github_error
from ._records import Incoming, Response
from ._state import SandboxState

MAX_FILE_BYTES = 100 * 1024 * 1024
INLINE_CONTENT_BYTES = 1024 * 1024  # GitHub inlines content only for files up to 1 MB
_CONTENTS_DOC = "/repos/contents/repos#create-or-update-file-contents"


def blob_sha(data: bytes) -> str:
    """Git's blob id, which GitHub reports as a file's `sha`."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _error(status: int, message: str, doc: str = "") -> Response:
    return Response.json(status, github_error(status, message, doc))


class GitHubApp:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # routing -----------------------------------------------------------------------------
    def handle(self, req: Incoming) -> Response:
        parts = req.path[len("/github") :].strip("/").split("/")
        auth = self._auth(req)
        if auth is not None and (auth or req.method not in ("GET", "HEAD")):
            return _error(401, "Bad credentials")
        if parts == ["user"] and req.method in ("GET", "HEAD"):
            if auth is False:
                return _error(401, "Requires authentication")
            return Response.json(200, {"login": self.state.gh_username, "id": 1000001})
        if len(parts) < 3 or parts[0] != "repos":
            return _error(404, "Not Found")
        owner, repo = parts[1], parts[2]
        files = self.state.repos.get((owner, repo))
        if files is None:
            return _error(404, "Not Found")
        if len(parts) == 3 and req.method in ("GET", "HEAD"):
            return Response.json(200, self._repo_json(owner, repo))
        if len(parts) < 4 or parts[3] != "contents":
            return _error(404, "Not Found")
        path = "/".join(parts[4:])
        handlers = {"GET": self._get, "HEAD": self._get, "PUT": self._put, "DELETE": self._delete}
        handler = handlers.get(req.method)
        if handler is None:
            return _error(404, "Not Found")
        return handler(req, owner, repo, files, path)

    def _auth(self, req: Incoming) -> bool | None:
        """None when the token is right; False when absent; True when present but wrong."""
        header = req.headers.get("Authorization", "").strip()
        if not header:
            return False
        scheme, _, token = header.partition(" ")
        if scheme.lower() in ("bearer", "token") and token.strip() == self.state.gh_token:
            return None
        return True

    # contents ----------------------------------------------------------------------------
    def _get(
        self, req: Incoming, owner: str, repo: str, files: dict[str, bytes], path: str
    ) -> Response:
        ref = req.query.get("ref")
        if ref not in (None, "", "main"):
            return _error(404, f"No commit found for the ref {ref}")
        if path in files:
            data = files[path]
            body = self._content_json(owner, repo, path, data)
            inline = len(data) <= INLINE_CONTENT_BYTES
            body["content"] = base64.encodebytes(data).decode("ascii") if inline else ""
            body["encoding"] = "base64" if inline else "none"
            return Response.json(200, body)
        prefix = f"{path}/" if path else ""
        below = [p for p in files if p.startswith(prefix)]
        if not below:
            return _error(404, "Not Found", "/repos/contents/repos#get-repository-content")
        entries: dict[str, dict[str, Any]] = {}
        for name in sorted(below):
            head, sep, _ = name[len(prefix) :].partition("/")
            entry_path = prefix + head
            if sep:
                entries.setdefault(head, {"name": head, "path": entry_path, "type": "dir"})
            else:
                entries[head] = self._content_json(owner, repo, entry_path, files[entry_path])
        return Response.json(200, list(entries.values()))

    def _put(
        self, req: Incoming, owner: str, repo: str, files: dict[str, bytes], path: str
    ) -> Response:
        body = _json_body(req)
        if body is None:
            return _error(400, "Problems parsing JSON")
        if not path or path.endswith("/") or any(p.startswith(path + "/") for p in files):
            return _error(422, "path is not a valid file path", _CONTENTS_DOC)
        message, content = body.get("message"), body.get("content")
        if not isinstance(message, str) or not message:
            return _error(422, 'Invalid request.\n\n"message" wasn\'t supplied.', _CONTENTS_DOC)
        if not isinstance(content, str):
            return _error(422, 'Invalid request.\n\n"content" wasn\'t supplied.', _CONTENTS_DOC)
        branch = body.get("branch")
        if branch not in (None, "main"):
            return _error(404, f"Branch {branch} not found", _CONTENTS_DOC)
        try:
            compact = "".join(content.split())
            data = base64.b64decode(compact.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return _error(422, "content is not valid Base64", _CONTENTS_DOC)
        if len(data) > MAX_FILE_BYTES:
            return _error(
                422, "File is too large: files over 100 MB are not allowed", _CONTENTS_DOC
            )
        sha = body.get("sha")
        existed = path in files
        if existed and not sha:
            return _error(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', _CONTENTS_DOC)
        if existed and sha != blob_sha(files[path]):
            return _error(409, f"{path} does not match {sha}", _CONTENTS_DOC)
        files[path] = data
        result = {
            "content": self._content_json(owner, repo, path, data),
            "commit": self._commit(owner, repo, message),
        }
        return Response.json(200 if existed else 201, result)

    def _delete(
        self, req: Incoming, owner: str, repo: str, files: dict[str, bytes], path: str
    ) -> Response:
        doc = "/repos/contents/repos#delete-a-file"
        body = _json_body(req)
        if body is None:
            return _error(400, "Problems parsing JSON")
        message, sha = body.get("message"), body.get("sha")
        if not isinstance(message, str) or not message:
            return _error(422, 'Invalid request.\n\n"message" wasn\'t supplied.', doc)
        if not isinstance(sha, str) or not sha:
            return _error(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', doc)
        if path not in files:
            return _error(404, "Not Found", doc)
        if sha != blob_sha(files[path]):
            return _error(409, f"{path} does not match {sha}", doc)
        del files[path]
        return Response.json(200, {"content": None, "commit": self._commit(owner, repo, message)})

    # JSON shapes -------------------------------------------------------------------------
    def _content_json(self, owner: str, repo: str, path: str, data: bytes) -> dict[str, Any]:
        base = self.state.base_url
        sha = blob_sha(data)
        quoted = quote(path)
        url = f"{base}/github/repos/{owner}/{repo}/contents/{quoted}?ref=main"
        git_url = f"{base}/github/repos/{owner}/{repo}/git/blobs/{sha}"
        html_url = f"https://github.com/{owner}/{repo}/blob/main/{quoted}"
        return {
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": len(data),
            "url": url,
            "html_url": html_url,
            "git_url": git_url,
            "download_url": f"{base}/raw/{owner}/{repo}/main/{quoted}",
            "type": "file",
            "_links": {"self": url, "git": git_url, "html": html_url},
        }

    def _commit(self, owner: str, repo: str, message: str) -> dict[str, Any]:
        sha = secrets.token_hex(20)
        return {
            "sha": sha,
            "message": message,
            "html_url": f"https://github.com/{owner}/{repo}/commit/{sha}",
        }

    def _repo_json(self, owner: str, repo: str) -> dict[str, Any]:
        return {
            "id": 2000001,
            "name": repo,
            "full_name": f"{owner}/{repo}",
            "owner": {"login": owner},
            "private": False,
            "visibility": "public",
            "default_branch": "main",
            "html_url": f"https://github.com/{owner}/{repo}",
        }

    # static hosts ------------------------------------------------------------------------
    def serve_static(self, req: Incoming) -> Response:
        """GET/HEAD on /raw/{owner}/{repo}/main/{path} and /media/{path}."""
        if req.method not in ("GET", "HEAD"):
            return Response.text(405, "405: Method Not Allowed")
        found = self.state.resolve_local(req.path)
        if found is None:
            return Response.text(404, "404: Not Found")
        data, content_type = found
        if content_type is None:
            content_type = mimetypes.guess_type(req.path)[0] or "application/octet-stream"
        return Response(200, data, content_type=content_type)


def _json_body(req: Incoming) -> dict[str, Any] | None:
    if isinstance(req.json, dict):
        return req.json
    try:
        value = json.loads(req.body or b"{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
