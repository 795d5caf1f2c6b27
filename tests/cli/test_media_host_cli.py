"""Choosing the media host without code: THREADS_MEDIA_HOST and `post --media-host`, with the
real entry point in a subprocess, a sandbox that fetches the media for real, and S3 (moto on
127.0.0.1) or a served folder behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadspipepy.testing import ThreadsSandbox

from ..folder_server import FolderServer
from ..media_samples import JPEG, MP4
from ..s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3TestServer
from .conftest import RunCli


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    (tmp_path / "clip.mp4").write_bytes(MP4)
    return tmp_path / "photo.jpg"


@pytest.fixture
def www(tmp_path: Path, sb: ThreadsSandbox) -> Iterator[FolderServer]:
    folder = tmp_path / "www"
    folder.mkdir()
    with FolderServer(folder) as server:
        sb.fetch_external_media(server.host)
        yield server


@pytest.fixture
def s3(sb: ThreadsSandbox) -> Iterator[S3TestServer]:
    with S3TestServer(clock=sb.wall_time) as server:
        sb.fetch_external_media(server.host)
        yield server


def aws_env(tmp_path: Path) -> dict[str, str]:
    """Credentials where boto3's chain finds them, and no shared config of the developer's."""
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_threads_media_host_chooses_a_served_folder(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], www: FolderServer, photo: Path
) -> None:
    env = {**sandbox_env, "THREADS_MEDIA_HOST": f"dir://{www.folder}?base_url={www.url}"}
    proc = run_cli("--json", "post", "Served", "-f", "photo.jpg", "-f", "clip.mp4", env=env)
    assert proc.returncode == 0, proc.stderr
    children = sb.posts[0]["children"]
    assert [c["media_type"] for c in children] == ["IMAGE", "VIDEO"]
    assert all(c["url"].startswith(www.url + "/") for c in children)
    assert {(f["stage"], f["status"]) for f in sb.media_fetches} == {
        ("create", 200),
        ("processing", 200),
    }
    assert list(www.folder.iterdir()) == []
    assert json.loads(proc.stdout)["info"] == "success"


def test_media_host_option_chooses_s3_with_credentials_from_the_environment(
    run_cli: RunCli,
    sb: ThreadsSandbox,
    sandbox_env: dict[str, str],
    s3: S3TestServer,
    photo: Path,
    tmp_path: Path,
) -> None:
    bucket = s3.new_bucket()
    uri = f"s3://{bucket}/cli?endpoint_url={s3.endpoint_url}&region={REGION}"
    env = {**sandbox_env, **aws_env(tmp_path)}
    proc = run_cli("-vv", "post", "To S3", "-f", "photo.jpg", "--media-host", uri, env=env)
    assert proc.returncode == 0, proc.stderr
    [url] = [sb.posts[0]["url"]]
    assert url.startswith(f"{s3.endpoint_url}/{bucket}/cli/") and "X-Amz-Signature=" in url
    assert [f["status"] for f in sb.media_fetches] == [200, 200]
    assert s3.objects(bucket) == {}
    assert SECRET_ACCESS_KEY not in proc.stdout + proc.stderr


def test_the_option_wins_over_the_setting(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], www: FolderServer, photo: Path
) -> None:
    env = {**sandbox_env, "THREADS_MEDIA_HOST": "s3://some-bucket"}
    uri = f"dir://{www.folder}?base_url={www.url}"
    proc = run_cli("post", "Served", "-f", "photo.jpg", "--media-host", uri, env=env)
    assert proc.returncode == 0, proc.stderr
    assert sb.posts[0]["url"].startswith(www.url + "/")
    assert list(www.folder.iterdir()) == []


def test_media_host_works_with_the_offline_sandbox(
    run_cli: RunCli, tmp_path: Path, photo: Path
) -> None:
    folder = tmp_path / "www"
    folder.mkdir()
    uri = f"dir://{folder}?base_url=http://127.0.0.1:9/media"
    proc = run_cli("--sandbox", "--json", "post", "Hi", "-f", "photo.jpg", "--media-host", uri)
    assert proc.returncode == 0, proc.stderr
    [post] = json.loads(proc.stdout)["data"]["posts"]
    assert post["media"][0].startswith("http://127.0.0.1:9/media/")
    assert list(folder.iterdir()) == []


def test_a_bad_media_host_is_a_usage_error_before_any_request(
    run_cli: RunCli, sb: ThreadsSandbox, sandbox_env: dict[str, str], photo: Path
) -> None:
    proc = run_cli("post", "Bad", "-f", "photo.jpg", "--media-host", "ftp://x", env=sandbox_env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --media-host: ")
    env = {**sandbox_env, "THREADS_MEDIA_HOST": "dir:///srv/media"}
    proc = run_cli("post", "Bad", "-f", "photo.jpg", env=env)
    assert proc.returncode == 2
    assert "THREADS_MEDIA_HOST: dir: needs base_url=" in proc.stderr
    assert sb.requests == []


def test_a_missing_s3_extra_says_which_pip_install_fixes_it(
    run_cli: RunCli,
    sb: ThreadsSandbox,
    sandbox_env: dict[str, str],
    cli_env: dict[str, str],
    photo: Path,
    tmp_path: Path,
) -> None:
    # A boto3 that cannot be imported shadows the installed one, as if the extra were absent.
    shadow = tmp_path / "no-extras"
    (shadow / "boto3").mkdir(parents=True)
    (shadow / "boto3" / "__init__.py").write_text("raise ImportError('No module named boto3')\n")
    pythonpath = f"{shadow}:{cli_env['PYTHONPATH']}"
    env = {**sandbox_env, "PYTHONPATH": pythonpath, "THREADS_MEDIA_HOST": "s3://my-media"}
    proc = run_cli("post", "No extra", "-f", "photo.jpg", env=env)
    assert proc.returncode == 2
    assert 'pip install boto3 (or pip install ".[s3]"' in proc.stderr
    assert "THREADS_MEDIA_HOST" in proc.stderr
    proc = run_cli(
        "post", "No extra", "--media-host", "s3://my-media", env={**env, "THREADS_MEDIA_HOST": ""}
    )
    assert proc.returncode == 2 and 'pip install boto3 (or pip install ".[s3]"' in proc.stderr
    assert sb.requests == []
