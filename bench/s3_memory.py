#!/usr/bin/env python3
"""Peak memory and time of posting a 50 MiB and a 500 MiB local video through S3Host.

    python bench/s3_memory.py            # 3 runs per size (about a minute); rewrites the
                                         # S3 section of docs/11-benchmarks.md
    python bench/s3_memory.py --no-doc   # print only
    python bench/s3_memory.py --render   # rewrite the doc from the last saved run

Needs the `s3` extra and moto (`pip install -e ".[dev]"`). moto's S3 server and the Threads
sandbox run in this process, on 127.0.0.1; each run is a fresh subprocess that builds a
ThreadsPipe with `media_host=S3Host(...)` (default settings: 8 MiB parts, 4 at once) and
posts the file once, `pipe("S3 memory test", files=[path])`: a multipart upload to moto, a
presigned URL, the container, publish, and the delete. The files (bench/.cache/s3/) start
with MP4 magic bytes and are otherwise sparse (zeros that take no disk space), so nothing big
is written. Memory is read as bench/memory.py reads it: the peak RSS (VmHWM) is reset to the
current RSS after imports and client construction (the baseline) and read again after pipe()
returned; the figure is the peak minus the baseline. Linux only. The time is pipe()'s wall
time and, inside it, the upload's (S3Host.upload). The sandbox's processing delays are small
and it does not download the video (moto would serve it; that costs the server, not the
client).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
DOC = ROOT / "docs" / "11-benchmarks.md"
MIB = 2**20
SIZES = (50 * MIB, 500 * MIB)
MP4_MAGIC = b"\x00\x00\x00\x18ftypmp42"
DELAYS: dict[str, float] = {"TEXT": 0.0, "IMAGE": 0.2, "VIDEO": 0.5, "CAROUSEL": 0.2}
REPEAT = 3
BUCKET = "threadspipepy-bench"
KEY_ID, SECRET = "AKIABENCHMARK", "bench-secret"
BEGIN = "<!-- BEGIN bench/s3_memory.py output: generated, edit bench/s3_memory.py instead -->"
END = "<!-- END bench/s3_memory.py output -->"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def use_checkout_if_not_installed() -> None:
    try:
        import threadspipepy  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(ROOT / "src"))


# -- the child: one pipe() through S3Host, in its own process ---------------------------------
def child() -> int:
    job = json.load(sys.stdin)
    use_checkout_if_not_installed()
    from run_045 import memory_reading

    from threadspipepy import ThreadsPipe
    from threadspipepy.hosting import S3Host

    host = S3Host(
        job["bucket"],
        endpoint_url=job["endpoint_url"],
        region="us-east-1",
        access_key_id=KEY_ID,
        secret_access_key=SECRET,
    )
    upload_seconds: list[float] = []
    upload = host.upload

    def timed_upload(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return upload(*args)
        finally:
            upload_seconds.append(time.perf_counter() - started)

    host.upload = timed_upload  # type: ignore[method-assign]
    tp = ThreadsPipe(
        job["user_id"], job["access_token"], threads_base_url=job["base_url"], media_host=host
    )
    baseline = memory_reading(reset_peak=True)
    start = time.perf_counter()
    try:
        result = tp.pipe("S3 memory test", files=[job["path"]])
        info, message = result.get("info"), str(result.get("message"))
    except Exception as exc:  # reported, not raised
        info, message = "exception", f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - start
    peak = memory_reading()
    tp.close()
    print(
        json.dumps(
            {
                "wall": wall,
                "upload": sum(upload_seconds),
                "info": info,
                "message": message[:500],
                "memory_kib": {"baseline": baseline, "peak": peak},
                "part_size": host.part_size,
                "max_concurrency": host.max_concurrency,
            }
        )
    )
    return 0


# -- the orchestrator -----------------------------------------------------------------------------
def video_file(size: int) -> Path:
    """A sparse MP4 of `size` bytes: the magic bytes, then a hole (made once, cached)."""
    path = CACHE / "s3" / f"video-{size // MIB}mib.mp4"
    if path.exists() and path.stat().st_size == size:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(MP4_MAGIC)
        out.truncate(size)
    return path


def run_once(size: int, endpoint_url: str, client: Any) -> dict[str, Any]:
    from threadspipepy.testing import ThreadsSandbox

    path = video_file(size)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    with ThreadsSandbox(processing_delays=DELAYS) as sb:
        job = {
            "base_url": sb.url,
            "user_id": sb.user_id,
            "access_token": sb.access_token,
            "endpoint_url": endpoint_url,
            "bucket": BUCKET,
            "path": str(path),
        }
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            env=env,
            cwd=BENCH,
            timeout=900,
            check=False,
        )
        posts = [p["media_type"] for p in sb.posts]
    left = client.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        out: dict[str, Any] = {"info": "exception", "message": tail[0], "memory_kib": None}
    else:
        out = json.loads(lines[-1])
    memory = out.get("memory_kib") or {}
    baseline, peak = memory.get("baseline") or {}, memory.get("peak") or {}
    ok = (
        out.get("info") == "success"
        and posts == ["VIDEO"]
        and left == 0
        and bool(baseline.get("reset"))
        and peak.get("hwm") is not None
    )
    growth = (peak["hwm"] - baseline["hwm"]) * 1024 if ok else None
    return {**out, "size": size, "ok": ok, "posts": posts, "left": left, "growth": growth}


def measure(repeat: int, command: str) -> dict[str, Any]:
    import boto3
    from moto.server import ThreadedMotoServer
    from run import environment

    use_checkout_if_not_installed()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint_url = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )
        client.create_bucket(Bucket=BUCKET)
        runs: list[dict[str, Any]] = []
        for size in SIZES:
            for i in range(repeat):
                run = run_once(size, endpoint_url, client)
                runs.append(run)
                if run["ok"]:
                    status = (
                        f"+{run['growth'] / MIB:6.1f} MiB peak, pipe() {run['wall']:5.1f} s, "
                        f"upload {run['upload']:5.1f} s"
                    )
                else:
                    status = f"FAILED: {run.get('message')} ({run['posts']}, {run['left']} left)"
                log(f"  {size // MIB:>4} MiB run {i + 1}/{repeat}: {status}")
    finally:
        server.stop()
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "environment": environment(),
        "config": {"command": command, "sizes": list(SIZES), "delays": DELAYS, "repeat": repeat},
        "runs": runs,
    }


# -- the report ---------------------------------------------------------------------------------
def render(results: dict[str, Any]) -> str:
    env, config = results["environment"], results["config"]
    good = [r for r in results["runs"] if r["ok"]]
    part = good[0]["part_size"] if good else 8 * MIB
    concurrency = good[0]["max_concurrency"] if good else 4
    lines = [
        BEGIN,
        "",
        f"_Generated by `{config['command']}` on {results['date']}._",
        "",
        f"- **Machine:** {env['platform']}, {env['python']}; threadspipepy {env['threadspipepy']}.",
        f"- **Set-up:** S3Host with its defaults ({part // MIB} MiB parts, {concurrency} at "
        "once) against moto's S3 server on 127.0.0.1; the sandbox for Threads; sparse MP4 "
        f"files; {config['repeat']} run(s) per size, a fresh process each; the median run.",
        "",
        "| Video | Peak − baseline (MiB) | × file size | pipe() (s) | upload (s) "
        "| upload MiB/s | Runs (min – max, MiB) |",
        "|--:|--:|--:|--:|--:|--:|---|",
    ]
    for size in config["sizes"]:
        runs = [r for r in results["runs"] if r["size"] == size]
        ok = sorted((r for r in runs if r["ok"]), key=lambda r: r["growth"])
        if not ok:
            failed = runs[0].get("message") if runs else "not run"
            lines.append(f"| {size // MIB} MiB | failed: {failed} | | | | | |")
            continue
        median = ok[len(ok) // 2]
        upload = statistics.median(r["upload"] for r in ok)
        lines.append(
            f"| {size // MIB} MiB | {median['growth'] / MIB:,.1f} "
            f"| {median['growth'] / size:.2f}x "
            f"| {statistics.median(r['wall'] for r in ok):.1f} | {upload:.1f} "
            f"| {size / MIB / upload:,.0f} | {len(ok)}/{len(runs)} ok "
            f"({ok[0]['growth'] / MIB:,.1f} – {ok[-1]['growth'] / MIB:,.1f}) |"
        )
    bound = (concurrency + 1) * part
    lines += [
        "",
        f"The bound S3Host sets on the parts: {concurrency} in memory plus the one being read, "
        f"{bound // MIB} MiB with these settings, whatever the file's size. The upload rate "
        "is moto's (a Python server on the same machine), not the client's.",
        "",
        END,
    ]
    return "\n".join(lines)


def rewrite_doc(doc: Path, section: str) -> None:
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{doc} has no generated S3 section ({BEGIN!r} ... {END!r})")
    doc.write_text(pattern.sub(lambda _: section, text, count=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per size (median)")
    parser.add_argument("--no-doc", action="store_true", help="print, leave the doc alone")
    parser.add_argument("--render", action="store_true", help="rewrite the doc from the last run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    saved = CACHE / "s3-memory-results.json"
    if args.render:
        rewrite_doc(DOC, render(json.loads(saved.read_text("utf-8"))))
        return 0
    if not sys.platform.startswith("linux"):
        raise SystemExit("bench/s3_memory.py reads /proc/self (VmHWM, clear_refs): Linux only")
    given = sys.argv[1:] if argv is None else argv
    log(f"S3Host: {', '.join(f'{s // MIB} MiB' for s in SIZES)}, {args.repeat} run(s) each")
    results = measure(args.repeat, " ".join(["python bench/s3_memory.py", *given]))
    raw = json.dumps(results, indent=2)
    CACHE.mkdir(exist_ok=True)
    (CACHE / "s3-memory-last-run.json").write_text(raw, encoding="utf-8")
    section = render(results)
    print(section)
    if not args.no_doc:
        saved.write_text(raw, encoding="utf-8")
        rewrite_doc(DOC, section)
        log(f"Rewrote the S3 section of {DOC.relative_to(ROOT)}")
    return 0 if all(r["ok"] for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
