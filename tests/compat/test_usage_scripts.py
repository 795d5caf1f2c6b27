"""Five scripts written the way ThreadsPipe-py 0.4.5 users write them run unchanged here.

tests/compat/scripts holds a cron poster, the README's OAuth bootstrap, a media poster (local
files through GitHub, URLs, a URL without its scheme), a reader that exports posts, replies
and insights, and a reply bot. Each runs in a subprocess exactly as written; only the
environment points it at a sandbox (THREADS_API_BASE_URL, GITHUB_API_BASE_URL), as it would
point a real run at Meta. The checks read what the sandbox received and what was left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from dotenv import dotenv_values

import threadspipepy
from tests.media_samples import png
from threadspipepy.testing import ThreadsSandbox

SCRIPTS = Path(__file__).resolve().parent / "scripts"
PACKAGE_ROOT = str(Path(threadspipepy.__file__).resolve().parents[1])
NO_DELAYS = {"IMAGE": 0.0, "VIDEO": 0.0, "CAROUSEL": 0.0}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox(processing_delays=NO_DELAYS) as sandbox:
        yield sandbox


@pytest.fixture
def run(sb: ThreadsSandbox, tmp_path: Path) -> Run:
    """`run(script, *args, input=None, env=None)`: the script in a subprocess, in tmp_path,
    with the sandbox's account in the environment and nothing of the developer's."""
    home = tmp_path / "home"
    home.mkdir()
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("THREADS_", "GH_", "GITHUB_"))
        and key not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")
    }
    base.update(
        HOME=str(home),
        PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_ROOT, base.get("PYTHONPATH")])),
        THREADS_USER_ID=sb.user_id,
        THREADS_ACCESS_TOKEN=sb.access_token,
        THREADS_API_BASE_URL=sb.url,
        GITHUB_API_BASE_URL=sb.github_url,
        GH_BEARER_TOKEN=sb.gh_token,
        GH_USERNAME=sb.gh_username,
        GH_REPO_NAME=sb.gh_repo_name,
    )

    def go(
        script: str, *args: str, input: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SCRIPTS / script), *args],
            input=input,
            capture_output=True,
            text=True,
            env={**base, **(env or {})},
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    return go


def creates(sb: ThreadsSandbox) -> list[dict[str, str]]:
    return [r.params for r in sb.requests_to("POST", "/v1.0/*/threads")]


def test_the_scripts_are_unchanged_0_4_5_style() -> None:
    for script in SCRIPTS.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        assert "from threadspipepy.threadspipe import ThreadsPipe" in source
        assert "threadspipepy.testing" not in source and "sandbox" not in source.lower()


def test_cron_poster(run: Run, sb: ThreadsSandbox) -> None:
    done = run("cron_poster.py")
    assert done.returncode == 0, done.stdout + done.stderr
    ids = done.stdout.split(":", 1)[1].strip().split(",")
    assert [p["id"] for p in sb.posts] == ids and len(ids) == 2
    assert {c["reply_control"] for c in creates(sb)} == {"accounts_you_follow"}
    assert [p["text"].rsplit("\n", 1)[1] for p in sb.posts] == ["#devlife", "#shipit"]


def test_cron_poster_reports_meta_s_error_the_0_4_5_way(run: Run, sb: ThreadsSandbox) -> None:
    sb.fail("POST", "/v1.0/*/threads", code=2207051, message="Action is blocked")
    done = run("cron_poster.py")
    assert done.returncode == 1
    assert "Could not post: Could not publish part 1 of 2" in done.stdout
    assert "Action is blocked" in done.stdout
    assert sb.posts == []


def test_oauth_bootstrap_from_the_readme(run: Run, sb: ThreadsSandbox, tmp_path: Path) -> None:
    redirected = sb.authorize()  # the user clicked Allow; the code is pasted
    code = parse_qs(urlsplit(redirected).query)["code"][0]
    env = {
        "THREADS_APP_ID": sb.app_id,
        "THREADS_APP_SECRET": sb.app_secret,
        "THREADS_REDIRECT_URI": sb.redirect_uri,
        "THREADS_USER_ID": "",
        "THREADS_ACCESS_TOKEN": "",
    }
    done = run("oauth_bootstrap.py", input=code + "#_\n", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Scopes available: basic, publish, read_replies, manage_replies, insights" in done.stdout
    saved = dotenv_values(tmp_path / ".env")
    assert saved["THREADS_USER_ID"] == sb.user_id
    assert sb.token_info(str(saved["THREADS_ACCESS_TOKEN"])) is not None
    assert [p["text"] for p in sb.posts] == ["Hello from my new Threads app!"]
    assert f"First post: {sb.posts[0]['id']}" in done.stdout


def test_media_poster(run: Run, sb: ThreadsSandbox, tmp_path: Path) -> None:
    (tmp_path / "photo1.jpg").write_bytes(JPEG)
    (tmp_path / "photo2.png").write_bytes(png())
    files = ["photo1.jpg", "photo2.png", "https://cdn.example.com/x.jpg", "cdn.example.com/y.jpg"]
    done = run("media_poster.py", "Weekend trip", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    (post,) = sb.posts
    assert post["media_type"] == "CAROUSEL_ALBUM" and post["text"] == "Weekend trip"
    items = {c["image_url"]: c["alt_text"] for c in creates(sb) if c.get("is_carousel_item")}
    assert items.pop("https://cdn.example.com/x.jpg") == "Photo 3"
    assert items.pop("https://cdn.example.com/y.jpg") == "Photo 4"  # https:// was added
    assert sorted(items.values()) == ["Photo 1", "Photo 2"]
    assert all(url.startswith(sb.raw_url) for url in items)  # hosted on the fake GitHub
    assert sb.github_files == {}  # the temporary uploads are gone


def test_reader_exporter(run: Run, sb: ThreadsSandbox, tmp_path: Path) -> None:
    posts = sb.seed_posts(3, start="2024-06-03T10:00:00", spacing=86400, text="Day {i}")
    sb.seed_replies(posts[0]["id"], 2, text="Nice {i}")
    for views, post in zip((10, 20, 30), posts, strict=True):
        sb.seed_insights(post["id"], views=views, likes=1)
    sb.seed_user_insights(views={"2024-06-03": 7, "2024-06-04": 8}, likes=5)
    done = run("reader_exporter.py", "2024-06-01", "2024-06-08", "export.json")
    assert done.returncode == 0, done.stdout + done.stderr
    export = json.loads((tmp_path / "export.json").read_text())
    assert export["profile"]["id"] == sb.user_id
    by_text = {p["text"]: p for p in export["posts"]}
    assert set(by_text) == {"Day 1", "Day 2", "Day 3"}
    assert by_text["Day 1"]["replies"] == ["Nice 1", "Nice 2"]
    assert [by_text[f"Day {i}"]["views"] for i in (1, 2, 3)] == [10, 20, 30]
    assert set(export["account"]) == {"views", "likes"}


def test_reply_bot(run: Run, sb: ThreadsSandbox, tmp_path: Path) -> None:
    sb.seed_posts(1, text="An older post")
    (latest,) = sb.seed_posts(1, text="What do you think?")
    kind = sb.seed_replies(latest["id"], 2, username="fan", text="Great point {i}")
    (spam,) = sb.seed_replies(latest["id"], 1, username="bot", text="crypto giveaway {i}!!")
    done = run("reply_bot.py")
    assert done.returncode == 0, done.stdout + done.stderr
    thanks = [p for p in sb.posts if p["text"].startswith("Thanks for the reply")]
    assert sorted(p["reply_to_id"] for p in thanks) == sorted(r["id"] for r in kind)
    assert all(p["text"] == "Thanks for the reply, @fan!" for p in thanks)
    with sb.client() as tp:
        hidden = tp.get_post_replies(latest["id"], fields="id,hide_status")["data"]
    assert {r["id"]: r["hide_status"] for r in hidden}[spam["id"]] == "HIDDEN"
    again = run("reply_bot.py")
    assert again.returncode == 0 and again.stdout == ""  # everyone was handled once
    assert len([p for p in sb.posts if p["text"].startswith("Thanks")]) == 2
    assert (tmp_path / "replied.txt").read_text().split() == sorted(
        [*(r["id"] for r in kind), spam["id"]]
    )
