"""`post` with media, chains and attachments, `--dry-run`, `resume`, `repost` and `delete`.

Each test runs the real entry point in a subprocess against a sandbox started here (media
are processed at once, see conftest.py) and checks what the sandbox received.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from threadspipepy.testing import ThreadsSandbox

RunCli = Callable[..., subprocess.CompletedProcess[str]]  # the run_cli fixture (conftest.py)

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. "
)
TEXT_1200 = (LOREM * 6)[:1200].rsplit(" ", 1)[0] + "."  # three posts


def images(n: int) -> list[str]:
    return [f"https://cdn.example.com/photos/{i}.jpg" for i in range(n)]


def file_args(urls: list[str]) -> list[str]:
    return [arg for url in urls for arg in ("-f", url)]


def creates(sb: ThreadsSandbox) -> list[dict[str, str]]:
    """Forms of every container the sandbox was asked to create, in order."""
    return [r.form for r in sb.requests_to("POST", "/v1.0/*/threads")]


def post_creates(sb: ThreadsSandbox) -> list[dict[str, str]]:
    return [f for f in creates(sb) if f.get("is_carousel_item") != "true"]


def item_creates(sb: ThreadsSandbox) -> list[dict[str, str]]:
    return [f for f in creates(sb) if f.get("is_carousel_item") == "true"]


def root_post(sb: ThreadsSandbox, text: str = "The root post") -> str:
    with sb.client() as tp:
        result = tp.pipe(text)
    assert result.ok, result
    return str(result["data"]["media_ids"][0])


# -- media and the options that go on every post ----------------------------------------------
def test_files_captions_and_audience_options(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    urls = ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.png"]
    urls.append("https://cdn.example.com/c.mp4")
    proc = run_cli(
        "post",
        "Holiday photos",
        *file_args(urls),
        "--caption",
        "the beach",
        "--caption",
        "",  # no alt text for the second file
        "--caption",
        "the waves",
        "--spoiler-media",
        "--location",
        "112233",
        "--reply-approvals",
        "--who-can-reply",
        "followers_only",
        "--countries",
        "us,CA",
        "--country",  # the old spelling, repeatable
        "gb",
        "--topic-tag",
        "Travel",
        env=sandbox_env,
    )
    assert proc.returncode == 0, proc.stderr
    (carousel,) = post_creates(sb)
    assert carousel["media_type"] == "CAROUSEL"
    assert carousel["text"] == "Holiday photos"
    assert carousel["is_spoiler_media"] == "true"
    assert carousel["location_id"] == "112233"
    assert carousel["enable_reply_approvals"] == "true"
    assert carousel["reply_control"] == "followers_only"
    assert carousel["allowlisted_country_codes"] == "US,CA,GB"
    assert carousel["topic_tag"] == "Travel"
    # Items are created in parallel: compare them by URL, and the order in the carousel.
    items = {i.get("image_url") or i.get("video_url"): i for i in item_creates(sb)}
    assert [items[url]["media_type"] for url in urls] == ["IMAGE", "IMAGE", "VIDEO"]
    assert [items[url].get("alt_text") for url in urls] == ["the beach", None, "the waves"]
    (post,) = sb.posts
    assert [child["url"] for child in post["children"]] == urls
    assert post["is_spoiler_media"] is True
    assert proc.stdout.strip() == f"Published 1 post: {post['id']}"


def test_media_only_post_without_text(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli("post", "-f", "https://cdn.example.com/a.jpg", env=sandbox_env)
    assert proc.returncode == 0, proc.stderr
    (single,) = post_creates(sb)
    assert single["media_type"] == "IMAGE"
    assert single["image_url"] == "https://cdn.example.com/a.jpg"
    assert "text" not in single


def test_long_text_becomes_a_chain_with_tags_links_and_quotes(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    quoted = root_post(sb)
    sb.clear_requests()
    proc = run_cli(
        "post",
        TEXT_1200,
        "--tag",
        "one",
        "--tag",
        "#two",
        "--link",
        "",  # nothing on part 1
        "--link",
        "https://example.com/second",
        "--quote",
        quoted,
        "--persist-quote",
        "--reply-control",  # the old spelling of --who-can-reply
        "mentioned_only",
        env=sandbox_env,
    )
    assert proc.returncode == 0, proc.stderr
    forms = post_creates(sb)
    assert len(forms) == 3
    ids = [p["id"] for p in sb.posts[1:]]
    assert proc.stdout.strip() == f"Published 3 posts: {' '.join(ids)}"
    assert forms[0]["text"].endswith("\n#one")
    assert forms[1]["text"].endswith("\n#two")
    assert "#" not in forms[2]["text"]
    assert [f.get("link_attachment") for f in forms] == [None, "https://example.com/second", None]
    assert [f.get("quote_post_id") for f in forms] == [quoted] * 3
    assert [f.get("reply_control") for f in forms] == ["mentioned_only"] * 3
    assert "reply_to_id" not in forms[0]
    assert forms[1]["reply_to_id"] == ids[0] and forms[2]["reply_to_id"] == ids[1]


def test_no_chain_posts_the_first_part_and_reports_the_rest(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli(
        "post",
        TEXT_1200,
        "--no-chain",
        "--persist-tags",
        "--tag",
        "alpha",
        "--tag",
        "beta",
        env=sandbox_env,
    )
    assert proc.returncode == 0, proc.stderr
    (form,) = post_creates(sb)
    assert "#alpha" in form["text"] and "#beta" in form["text"]
    assert proc.stdout.startswith("Published 1 post: ")
    assert "chained_post=False" in proc.stderr  # the note on what was not posted


def test_poll_goes_on_the_post(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli("post", "Tabs or spaces?", "--poll", "Tabs", "--poll", "Spaces", env=sandbox_env)
    assert proc.returncode == 0, proc.stderr
    (form,) = post_creates(sb)
    assert json.loads(form["poll_attachment"]) == {"option_a": "Tabs", "option_b": "Spaces"}


def test_gif_goes_on_the_post(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli("post", "Friday", "--gif", "xT9IgzoKnwFNmISR8I", env=sandbox_env)
    assert proc.returncode == 0, proc.stderr
    (form,) = post_creates(sb)
    assert json.loads(form["gif_attachment"]) == {
        "gif_id": "xT9IgzoKnwFNmISR8I",
        "provider": "GIPHY",
    }


def test_text_from_stdin_with_files(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli(
        "post", "-", *file_args(images(2)), input="From a pipe\nwith photos\n", env=sandbox_env
    )
    assert proc.returncode == 0, proc.stderr
    (carousel,) = post_creates(sb)
    assert carousel["text"] == "From a pipe\nwith photos"


def test_local_files_need_github_settings(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32)
    env = {k: v for k, v in sandbox_env.items() if not k.startswith("GH_")}
    proc = run_cli("post", "Local", "-f", "photo.jpg", env=env)
    assert proc.returncode == 2
    assert "gh_bearer_token" in proc.stderr
    assert sb.requests == []


def test_local_files_are_hosted_and_removed(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32)
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32)
    env = {
        **sandbox_env,
        "GH_BEARER_TOKEN": sb.gh_token,
        "GH_USERNAME": sb.gh_username,
        "GH_REPO_NAME": sb.gh_repo_name,
        "GITHUB_API_BASE_URL": sb.github_url,
    }
    proc = run_cli("post", "Local files", "-f", "./photo.jpg", "-f", "clip.mp4", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [c["media_type"] for c in sb.posts[0]["children"]] == ["IMAGE", "VIDEO"]
    assert len(sb.requests_to("PUT", "/github/*")) == 2
    assert sb.github_files == {}
    assert sb.gh_token not in proc.stdout + proc.stderr


def test_a_link_on_a_part_with_media_is_a_usage_error(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli(
        "post", "Look", "-f", images(1)[0], "--link", "https://example.com", env=sandbox_env
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --link: ")
    assert sb.requests == []


# -- --dry-run --------------------------------------------------------------------------------
def test_dry_run_prints_the_plan_and_sends_nothing(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli(
        "post",
        TEXT_1200,
        *file_args(images(21)),
        "--who-can-reply",
        "accounts_you_follow",
        "--link",
        "",
        "--link",
        "",
        "--link",
        "https://example.com/more",
        "--dry-run",
        env=sandbox_env,
    )
    assert proc.returncode == 0, proc.stderr
    assert sb.requests == []
    header, *lines = proc.stdout.splitlines()
    assert header == "Dry run: nothing was sent. 3 posts would be published:"
    assert [line.split()[:3] for line in lines] == [
        ["1/3", "CAROUSEL", "20"],
        ["2/3", "IMAGE", "1"],
        ["3/3", "TEXT", "0"],
    ]
    assert lines[0].split()[4] == '"Lorem'
    assert all("reply_control=accounts_you_follow" in line for line in lines)
    assert "link_attachment=https://example.com/more" in lines[2]


def test_dry_run_json_prints_the_planned_posts(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    proc = run_cli(
        "--json",
        "post",
        TEXT_1200,
        *file_args(images(1)),
        "--persist-tags",
        "--tag",
        "solo",
        "--topic-tag",
        "cli",
        "--dry-run",
        env=sandbox_env,
    )
    assert proc.returncode == 0, proc.stderr
    assert sb.requests == []
    doc = json.loads(proc.stdout)
    assert doc["data"]["dry_run"] is True
    assert doc["data"]["media_ids"] == []
    posts = doc["data"]["posts"]
    assert [p["media_type"] for p in posts] == ["IMAGE", "TEXT", "TEXT"]
    assert [p["text"].count("#solo") for p in posts] == [1, 1, 1]  # --persist-tags
    assert all(p["options"]["topic_tag"] == "cli" for p in posts)


# -- partial failure and resume ---------------------------------------------------------------
def _break_the_second_post(
    run_cli: RunCli, sb: ThreadsSandbox, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Post 20 images + a video: the carousel goes out, the video post (part 2) fails."""
    sb.fail_next_container(status="ERROR", error_message="UNKNOWN", media_type="VIDEO")
    files = [*images(20), "https://cdn.example.com/clip.mp4"]
    return run_cli(*args, "post", "Holiday", *file_args(files), env=env)


def test_partial_failure_names_what_is_live_and_resume_finishes_it(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    failed = _break_the_second_post(run_cli, sb, sandbox_env, "--json")
    assert failed.returncode == 1
    (first,) = sb.posts
    doc = json.loads(failed.stdout)
    assert doc["data"]["media_ids"] == [first["id"]]
    assert len(doc["data"]["remaining"]) == 1
    error, live, hint = failed.stderr.splitlines()
    assert error.startswith("error: Could not publish part 2 of 2")
    assert live == f"1 of 2 posts are live: {first['id']}"
    assert "threadspipepy resume FILE" in hint

    saved = tmp_path / "failed.json"
    saved.write_text(failed.stdout, encoding="utf-8")
    resumed = run_cli("resume", str(saved), env=sandbox_env)
    assert resumed.returncode == 0, resumed.stderr
    first_post, second = sb.posts
    assert first_post["id"] == first["id"]
    assert second["reply_to_id"] == first["id"]
    assert second["media_type"] == "VIDEO"
    assert resumed.stdout.strip() == f"Published 1 more post: {second['id']}"


def test_partial_failure_without_json_and_resume_from_stdin(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    failed = _break_the_second_post(run_cli, sb, sandbox_env)
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert "1 of 2 posts are live: " in failed.stderr
    # What `--json post` prints is the library's result; resume reads it from stdin too.
    sb.fail_next_container(status="ERROR", error_message="UNKNOWN", media_type="VIDEO")
    with sb.client() as tp:
        result = tp.pipe("Again", files=[*images(20), "https://cdn.example.com/clip.mp4"])
    assert not result.ok
    resumed = run_cli("--json", "resume", "-", input=json.dumps(result), env=sandbox_env)
    assert resumed.returncode == 0, resumed.stderr
    doc = json.loads(resumed.stdout)
    first = result["data"]["media_ids"][0]
    assert doc["data"]["media_ids"] == [first, sb.posts[-1]["id"]]
    assert sb.posts[-1]["reply_to_id"] == first


def test_resume_refuses_what_it_cannot_finish(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    with sb.client() as tp:
        done = tp.pipe("Complete")
    (tmp_path / "done.json").write_text(json.dumps(done), encoding="utf-8")
    (tmp_path / "junk.json").write_text("not json", encoding="utf-8")
    for name in ("done.json", "junk.json"):
        proc = run_cli("resume", name, env=sandbox_env)
        assert proc.returncode == 2, (name, proc.stderr)
        assert proc.stderr.startswith("error: ")
    assert len(sb.posts) == 1


# -- repost and delete ------------------------------------------------------------------------
def test_repost_and_delete_exit_codes(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str]
) -> None:
    root = root_post(sb)
    repost = run_cli("repost", root, env=sandbox_env)
    assert repost.returncode == 0, repost.stderr
    assert repost.stdout.startswith(f"Reposted {root}: ")
    assert len(sb.requests_to("POST", f"/v1.0/{root}/repost")) == 1
    again = run_cli("repost", root, env=sandbox_env)  # already reposted: Meta refuses
    assert again.returncode == 1
    assert again.stderr.startswith("error: Could not repost post")

    deleted = run_cli("--json", "delete", root, env=sandbox_env)
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {"success": True, "deleted_id": root}
    assert root not in [p["id"] for p in sb.posts]
    gone = run_cli("delete", root, env=sandbox_env)
    assert gone.returncode == 1
    assert gone.stderr.startswith("error: ")
