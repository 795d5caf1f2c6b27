#!/usr/bin/env python3
"""Benchmark threadspipepy against ThreadsPipe-py 0.4.5 on the offline sandbox.

    python bench/run.py           # all eight scenarios (about 20 minutes), rewrites the
                                  # generated section of docs/11-benchmarks.md
    python bench/run.py --quick   # smoke run: scenarios 1-3, no 35 s sleeps, doc untouched
    python bench/run.py --memory  # also the memory benchmark (bench/memory.py) afterwards

Every run gets a fresh in-process ThreadsSandbox (the scenario's processing delays and a fixed
per-request latency, see scenarios.py), which counts the Graph requests it receives.
threadspipepy runs in this process through `sb.client()` (a fresh client each run: nothing
learned in one run helps the next); ThreadsPipe-py 0.4.5 is installed from PyPI into
bench/.cache/venv-045 and runs as a black box in a subprocess (bench/run_045.py). Everything
sleeps for real. Raw results go to bench/.cache/last-run.json, and to results.json (which
--render reads) when the doc is rewritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from report import render, rewrite_doc
from scenarios import (
    DEFAULT_045_WAIT,
    FAST_045_WAIT,
    LATENCY,
    PROCESSING_DELAYS,
    SCENARIOS,
    Scenario,
)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
DOC = ROOT / "docs" / "11-benchmarks.md"
RUNNER = BENCH / "run_045.py"
PINS = ("threadspipepy==0.4.5", "requests")  # 0.4.5 forgot to declare requests

if TYPE_CHECKING:
    from threadspipepy.testing import ThreadsSandbox


def use_checkout_if_not_installed() -> None:
    """Let `python bench/run.py` work without `pip install -e .`: fall back to src/."""
    try:
        import threadspipepy  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(ROOT / "src"))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the sandbox and what it saw --------------------------------------------------------------
def sandbox(scenario: Scenario, latency: float) -> ThreadsSandbox:
    from threadspipepy.testing import ThreadsSandbox

    return ThreadsSandbox(processing_delays=scenario.delays, latency=latency)


def observe(sb: ThreadsSandbox) -> dict[str, Any]:
    """The requests the sandbox received and the chain it ended up holding."""
    stats = sb.stats()
    posts = [
        {
            "kind": p["media_type"].replace("_ALBUM", "").replace("_POST", ""),
            "items": len(p["children"]),
        }
        for p in sb.posts
    ]
    return {"requests": stats["total"], "polls": stats["status"], "stats": stats, "posts": posts}


def expected_chain(scenario: Scenario, posts: list[dict[str, Any]]) -> bool:
    return len(posts) == len(scenario.shape) and all(
        p["items"] == s.items for p, s in zip(posts, scenario.shape, strict=True)
    )


# -- the two clients ----------------------------------------------------------------------------
def load_posting_modules() -> None:
    """What the first pipe() of a process imports (threadspipepy loads each feature on first
    use): imported before any clock starts, as 0.4.5's imports are (see bench/importtime.py
    for what importing costs)."""
    import threadspipepy._pipe  # noqa: F401


def run_ours(scenario: Scenario, latency: float) -> dict[str, Any]:
    load_posting_modules()
    with sandbox(scenario, latency) as sb:
        tp = sb.client()
        try:
            start = time.perf_counter()
            try:
                result = tp.pipe(scenario.text, files=list(scenario.files))
                info, message = result.get("info"), str(result.get("message"))
            except Exception as exc:  # a benchmark reports failures, it does not stop
                info, message = "exception", f"{type(exc).__name__}: {exc}"
            wall = time.perf_counter() - start
        finally:
            tp.close()
        seen = observe(sb)
    return {"wall": wall, "info": info, "message": message, "sleeps": None, **seen}


def run_045(python: Path, scenario: Scenario, latency: float, wait: float | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    with sandbox(scenario, latency) as sb:
        job = {
            "base_url": sb.url,
            "user_id": sb.user_id,
            "access_token": sb.access_token,
            "post": scenario.text,
            "files": list(scenario.files),
            "wait": wait,
        }
        proc = subprocess.run(
            [str(python), str(RUNNER)],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env=env,
            cwd=BENCH,
            timeout=4 * 3600,
            check=False,
        )
        seen = observe(sb)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"wall": 0.0, "info": "exception", "message": tail[0], "sleeps": None, **seen}
    out = json.loads(lines[-1])
    return {**out, **seen}


def settle(
    scenario: Scenario, client: str, attempt: Callable[[], dict[str, Any]], repeat: int
) -> dict[str, Any]:
    """Run `attempt` `repeat` times; keep the median run (by wall time)."""
    runs = []
    for i in range(repeat):
        run = attempt()
        run["ok"] = run.get("info") == "success" and expected_chain(scenario, run["posts"])
        if run.get("info") == "success" and not run["ok"]:
            run["message"] = f"published an unexpected chain: {run['posts']}"
        log(
            f"  {client:<13} run {i + 1}/{repeat}: {run['wall']:8.2f} s, "
            f"{run['requests']:4d} requests, {'ok' if run['ok'] else 'FAILED: ' + run['message']}"
        )
        runs.append(run)
    runs.sort(key=lambda r: r["wall"])
    chosen = dict(runs[len(runs) // 2])
    chosen.update(
        scenario=scenario.key,
        client=client,
        mode="measured",
        walls=[r["wall"] for r in runs],
    )
    if repeat > 1:
        chosen["wall"] = statistics.median(r["wall"] for r in runs)
    return chosen


def estimate_defaults(scenario: Scenario, fast: dict[str, Any]) -> dict[str, Any]:
    """0.4.5 at its 35 s defaults, from the 2 s run.

    0.4.5 creates a container and reads its status at once; every container with a processing
    time (carousel items, carousels, single media: N of them) is still processing then and, at
    35 s, sleeps exactly once (no delay here is longer), followed by one more read. So: the
    2 s run's wall time minus its time asleep, plus N x 35 s; its requests minus its sleeps
    (one read after each), plus N.
    """
    containers = scenario.containers_that_process
    valid = (
        fast["ok"]
        and fast["sleeps"] >= containers
        and max(scenario.delays.values()) < DEFAULT_045_WAIT
    )
    wall = fast["wall"] - fast["slept"] + containers * DEFAULT_045_WAIT
    requests = fast["requests"] - fast["sleeps"] + containers
    stats = dict(fast["stats"])
    stats["status"] = stats.get("status", 0) - fast["sleeps"] + containers
    stats["total"] = requests
    return {
        "scenario": scenario.key,
        "client": "045-defaults",
        "mode": "estimated",
        "ok": bool(valid),
        "info": "estimate",
        "message": "estimate" if valid else "no valid basis for an estimate",
        "wall": wall,
        "requests": requests,
        "polls": stats["status"],
        "stats": stats,
        "sleeps": containers,
        "posts": [],
        "basis": {k: fast[k] for k in ("wall", "slept", "sleeps", "requests")},
    }


# -- the 0.4.5 venv ---------------------------------------------------------------------------
def venv_045() -> Path:
    venv = CACHE / "venv-045"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        log(f"Creating {venv.relative_to(ROOT)} ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('threadspipepy'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != "0.4.5":
        log("Installing threadspipepy==0.4.5 and requests from PyPI (0.4.5 omits requests) ...")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *PINS],
            check=True,
        )
    return python


# -- the machine ------------------------------------------------------------------------------
def environment() -> dict[str, Any]:
    cpu_model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    cpu_model = cpu_model or platform.processor() or None
    import threadspipepy

    version = threadspipepy.__version__
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        version += f" (git {commit}{', with uncommitted changes in src/' if dirty else ''})"
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "threadspipepy": version,
    }


# -- main ---------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: scenarios 1-3, 0.4.5's 35 s defaults estimated where they would "
        "sleep; the doc is not rewritten unless --write-doc",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="also run 0.4.5 at its defaults on the 45-image chain (about 30 minutes) "
        "instead of estimating it",
    )
    parser.add_argument("--scenarios", nargs="+", choices=[s.key for s in SCENARIOS])
    parser.add_argument("--repeat", type=int, default=1, help="runs per 0.4.5 cell (median shown)")
    parser.add_argument(
        "--repeat-ours",
        type=int,
        default=3,
        help="runs per threadspipepy cell (median shown; its runs are short and noisier)",
    )
    parser.add_argument("--latency", type=float, default=LATENCY, help="sandbox latency (s)")
    parser.add_argument("--skip-045", action="store_true", help="only run threadspipepy")
    parser.add_argument("--write-doc", action="store_true", help="rewrite the doc after --quick")
    parser.add_argument("--no-doc", action="store_true", help="never rewrite the doc")
    parser.add_argument(
        "--render",
        action="store_true",
        help="run nothing: rewrite the doc from the last bench/.cache/results.json",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="afterwards run bench/memory.py too (peak memory of hosting a 50 MiB video), "
        "with the same doc, --quick (one run per client) and --skip-045 choices",
    )
    return parser.parse_args(argv)


def run_memory(args: argparse.Namespace) -> int:
    """bench/memory.py with the options that match this run's."""
    import memory

    options = ["--render"] if args.render else []
    if not args.render:
        if args.no_doc or (args.quick and not args.write_doc):
            options.append("--no-doc")
        if args.quick:
            options += ["--repeat", "1"]
        if args.skip_045:
            options.append("--skip-045")
    return memory.main(options)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        rewrite_doc(DOC, render(json.loads((CACHE / "results.json").read_text("utf-8"))))
        log(f"Rewrote the generated section of {DOC.relative_to(ROOT)}")
        return run_memory(args) if args.memory else 0
    use_checkout_if_not_installed()
    chosen = [s for s in SCENARIOS if not args.scenarios or s.key in args.scenarios]
    if args.quick and not args.scenarios:
        chosen = [s for s in chosen if s.key in ("text", "chain3", "carousel10")]
    python = None if args.skip_045 else venv_045()
    env = environment()
    runs: list[dict[str, Any]] = []
    started = time.monotonic()
    for scenario in chosen:
        log(f"{scenario.title}")
        runs.append(
            settle(scenario, "ours", lambda s=scenario: run_ours(s, args.latency), args.repeat_ours)
        )
        if python is None:
            continue
        fast = settle(
            scenario,
            "045-fast",
            lambda s=scenario: run_045(python, s, args.latency, FAST_045_WAIT),
            args.repeat,
        )
        runs.append(fast)
        estimate = estimate_defaults(scenario, fast)
        real = args.full or (
            not scenario.sleeps_in_045 if args.quick else scenario.real_045_defaults
        )
        if real:
            if scenario.sleeps_in_045:
                log(f"  045-defaults: about {estimate['wall'] / 60:.1f} min of 35 s sleeps ...")
            measured = settle(
                scenario,
                "045-defaults",
                lambda s=scenario: run_045(python, s, args.latency, None),
                args.repeat,
            )
            if scenario.sleeps_in_045 and estimate["ok"] and measured["ok"]:
                measured["estimate_check"] = {
                    "predicted": estimate["wall"],
                    "predicted_requests": estimate["requests"],
                    "measured": measured["wall"],
                    "measured_requests": measured["requests"],
                }
            runs.append(measured)
        else:
            log(f"  045-defaults: estimated, {estimate['wall']:.0f} s (not run)")
            runs.append(estimate)
    if python is not None:
        versions = next((r["versions"] for r in runs if r.get("versions")), None)
        env["threadspipe_045"] = versions
    command = "python bench/run.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    results = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "environment": env,
        "config": {
            "command": command,
            "latency": args.latency,
            "processing_delays": PROCESSING_DELAYS,
            "repeat": args.repeat,
            "repeat_ours": args.repeat_ours,
            "fast_045_wait": FAST_045_WAIT,
            "default_045_wait": DEFAULT_045_WAIT,
        },
        "elapsed": time.monotonic() - started,
        "runs": runs,
    }
    CACHE.mkdir(exist_ok=True)
    raw = json.dumps(results, indent=2)
    (CACHE / "last-run.json").write_text(raw, encoding="utf-8")
    section = render(results)
    print(section)
    if not args.no_doc and (args.write_doc or not args.quick):
        (CACHE / "results.json").write_text(raw, encoding="utf-8")  # what --render reads
        rewrite_doc(DOC, section)
        log(f"Rewrote the generated section of {DOC.relative_to(ROOT)}")
    log(f"Done in {results['elapsed']:.0f} s")
    status = 0 if all(r["ok"] for r in runs) else 1
    if args.memory:
        status = max(status, run_memory(args))
    return status


if __name__ == "__main__":
    sys.exit(main())
