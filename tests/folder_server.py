"""A folder served over HTTP on 127.0.0.1, as a user's own web server serves DirectoryHost's
folder: the standard library's http.server, in a thread, with a request log and a hold."""

from __future__ import annotations

import fnmatch
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class FolderServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requests: list[tuple[str, int]] = []  # (path, status)
        self._held: list[tuple[str, threading.Event, threading.Event]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._wait_if_held(self.path)
                super().do_GET()

            def send_response(self, code: int, message: str | None = None) -> None:
                with owner._lock:
                    owner.requests.append((self.path, code))
                super().send_response(code, message)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        handler = functools.partial(Handler, directory=str(folder))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FolderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            for _, _, release in self._held:
                release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def hold(self, pattern: str = "*") -> tuple[threading.Event, threading.Event]:
        """Hold the next GET whose path matches: (arrived, release) events."""
        arrived, release = threading.Event(), threading.Event()
        with self._lock:
            self._held.append((pattern, arrived, release))
        return arrived, release

    def _wait_if_held(self, path: str) -> None:
        with self._lock:
            match = next((h for h in self._held if fnmatch.fnmatchcase(path, h[0])), None)
            if match is not None:
                self._held.remove(match)
        if match is not None:
            match[1].set()
            match[2].wait(10)
