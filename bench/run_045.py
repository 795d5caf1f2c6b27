"""Run one ThreadsPipe-py 0.4.5 `pipe()` against a sandbox and print timing JSON.

Executed by the benchmark's own venv (bench/.cache/venv-045), never by the project's Python:
both packages are called `threadspipepy`. It reads one job as JSON on stdin:

    {"base_url": "http://127.0.0.1:PORT", "user_id": "...", "access_token": "...",
     "post": "...", "files": [...], "wait": 2.0 | null}

0.4.5 is driven as a black box. Three things happen before it is imported, none of which
changes its logic:
- requests' URLs are rewritten from https://graph.threads.net to the sandbox (0.4.5 hard-codes
  the host and has no base-URL option);
- the root logger gets a WARNING-level handler, so 0.4.5's import-time
  `logging.basicConfig(level=DEBUG)` does nothing and its DEBUG/INFO output stays off;
- `time.sleep` is wrapped to count the sleeps and the time spent in them (it still sleeps).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from importlib import metadata
from typing import Any

GRAPH_HOST = "https://graph.threads.net"


def redirect_requests(base_url: str) -> None:
    import requests

    original = requests.sessions.Session.request

    def request(self: Any, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith(GRAPH_HOST):
            url = base_url.rstrip("/") + url[len(GRAPH_HOST) :]
        return original(self, method, url, *args, **kwargs)

    requests.sessions.Session.request = request  # type: ignore[method-assign]


class SleepCounter:
    def __init__(self) -> None:
        self.count = 0
        self.requested = 0.0
        self.slept = 0.0
        self._real = time.sleep

    def __call__(self, seconds: float) -> None:
        self.count += 1
        self.requested += seconds
        start = time.perf_counter()
        self._real(seconds)
        self.slept += time.perf_counter() - start


def summarize(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {"info": None, "message": repr(result)[:500], "media_ids": []}
    data = result.get("data") if isinstance(result.get("data"), dict) else {}
    error = result.get("error")
    return {
        "info": result.get("info"),
        "message": str(result.get("message"))[:500],
        "media_ids": [str(i) for i in (data or {}).get("media_ids", [])],
        "error": None if error is None else repr(error)[:500],
    }


def main() -> int:
    job = json.load(sys.stdin)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    redirect_requests(job["base_url"])
    sleeps = SleepCounter()
    time.sleep = sleeps

    from threadspipepy.threadspipe import ThreadsPipe  # 0.4.5, from this venv

    logging.getLogger().setLevel(logging.WARNING)
    options: dict[str, Any] = {}
    if job.get("wait") is not None:
        options["post_publish_wait_time"] = job["wait"]
        options["media_item_publish_wait_time"] = job["wait"]
    tp = ThreadsPipe(job["user_id"], job["access_token"], **options)
    start = time.perf_counter()
    try:
        result: Any = tp.pipe(post=job["post"], files=list(job["files"]))
    except Exception as exc:  # 0.4.5 lets some failures escape pipe()
        result = {"info": "exception", "message": f"{type(exc).__name__}: {exc}"}
    wall = time.perf_counter() - start
    out = {
        "wall": wall,
        "sleeps": sleeps.count,
        "sleep_requested": sleeps.requested,
        "slept": sleeps.slept,
        "versions": {
            "threadspipepy": metadata.version("threadspipepy"),
            "requests": metadata.version("requests"),
            "python": sys.version.split()[0],
        },
        **summarize(result),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
