"""Run one ThreadsPipe-py 0.4.5 `pipe()` against a sandbox and print timing JSON.

Executed by the benchmark's own venv (bench/.cache/venv-045), never by the project's Python:
both packages are called `threadspipepy`. It reads one job as JSON on stdin:

    {"base_url": "http://127.0.0.1:PORT", "user_id": "...", "access_token": "...",
     "post": "...", "files": [...], "wait": 2.0 | null,
     "github_url": "http://127.0.0.1:PORT/github" (optional), "options": {...} (optional)}

`options` are extra ThreadsPipe() keyword arguments (the memory benchmark passes gh_*). The
output includes `memory_kib`: the process's memory after ThreadsPipe() was constructed and
after pipe() returned, for bench/memory.py, which also sets `"reset_peak": true` to reset the
peak RSS to the current RSS before the first reading (see memory_reading).

0.4.5 is driven as a black box. Three things happen before it is imported, none of which
changes its logic:
- requests' URLs are rewritten from https://graph.threads.net to the sandbox (0.4.5 hard-codes
  the host and has no base-URL option), and from https://api.github.com to the sandbox's
  GitHub API when the job gives `github_url`;
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
GITHUB_HOST = "https://api.github.com"


def redirect_requests(base_url: str, github_url: str | None = None) -> None:
    import requests

    original = requests.sessions.Session.request
    hosts = {GRAPH_HOST: base_url.rstrip("/")}
    if github_url:
        hosts[GITHUB_HOST] = github_url.rstrip("/")

    def request(self: Any, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str):
            for host, target in hosts.items():
                if url.startswith(host):
                    url = target + url[len(host) :]
                    break
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


def memory_reading(reset_peak: bool = False) -> dict[str, Any]:
    """This process's memory in KiB: peak RSS (VmHWM), current RSS (VmRSS), ru_maxrss.

    With `reset_peak` the peak is first reset to the current RSS (Linux: "5" written to
    /proc/self/clear_refs), so a later `hwm` is the most this process held after this call.
    `maxrss` (getrusage) is kept for reference only: on Linux a child started from a large
    process inherits the parent's RSS as its ru_maxrss, and the reset does not clear that.
    """
    reading: dict[str, Any] = {"hwm": None, "rss": None, "maxrss": None, "reset": False}
    if reset_peak:
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            reading["reset"] = True
        except OSError:
            pass
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    reading["hwm" if key == "VmHWM" else "rss"] = int(value.split()[0])
    except OSError:
        pass
    try:
        import resource

        reading["maxrss"] = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    except ImportError:  # Windows
        pass
    return reading


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
    redirect_requests(job["base_url"], job.get("github_url"))
    sleeps = SleepCounter()
    time.sleep = sleeps

    from threadspipepy.threadspipe import ThreadsPipe  # 0.4.5, from this venv

    logging.getLogger().setLevel(logging.WARNING)
    options: dict[str, Any] = dict(job.get("options") or {})
    if job.get("wait") is not None:
        options["post_publish_wait_time"] = job["wait"]
        options["media_item_publish_wait_time"] = job["wait"]
    tp = ThreadsPipe(job["user_id"], job["access_token"], **options)
    baseline = memory_reading(reset_peak=bool(job.get("reset_peak")))
    start = time.perf_counter()
    try:
        result: Any = tp.pipe(post=job["post"], files=list(job["files"]))
    except Exception as exc:  # 0.4.5 lets some failures escape pipe()
        result = {"info": "exception", "message": f"{type(exc).__name__}: {exc}"}
    wall = time.perf_counter() - start
    out = {
        "memory_kib": {"baseline": baseline, "peak": memory_reading()},
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
