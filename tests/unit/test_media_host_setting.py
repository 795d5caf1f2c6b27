"""THREADS_MEDIA_HOST / --media-host URIs (pure parsing), and building hosts from them and
from their constructors: every bad value is a ValidationError naming the setting, said
before any request, and no message repeats a value that could be a secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.hosting import (
    DirectoryHost,
    MediaHostSetting,
    S3Host,
    media_host_from_setting,
    parse_media_host,
)
from threadspipepy.hosting.s3 import url_lifetime


def test_s3_uris() -> None:
    assert parse_media_host("s3://my-media") == MediaHostSetting(
        "s3", "my-media", "threadspipepy-tmp"
    )
    spec = parse_media_host(
        "s3://my-media/threads/tmp/?endpoint_url=https://acct.r2.cloudflarestorage.com"
        "&region=auto&public_base_url=https://cdn.example.com&url_margin=60"
    )
    assert (spec.kind, spec.location, spec.prefix) == ("s3", "my-media", "threads/tmp")
    assert spec.options == {
        "endpoint_url": "https://acct.r2.cloudflarestorage.com",
        "region": "auto",
        "public_base_url": "https://cdn.example.com",
        "url_margin": "60",
    }


def test_dir_uris() -> None:
    spec = parse_media_host("dir:///srv/my%20media?base_url=https://media.example.com/t")
    assert spec == MediaHostSetting(
        "dir", "/srv/my media", "", {"base_url": "https://media.example.com/t"}
    )
    assert parse_media_host("dir:media?base_url=https://x.example").location == "media"
    assert parse_media_host("dir://localhost/srv/m?base_url=https://x.example").location == (
        "/srv/m"
    )


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("", "give a media host URI"),
        ("ftp://bucket", "s3:// or dir:"),
        ("s3://", "needs a bucket"),
        ("s3://bucket?color=blue", "unknown option 'color'"),
        ("s3://bucket?region=a&region=b", "given twice"),
        ("s3://bucket?region", "name=value"),
        ("s3://bucket#top", "fragment"),
        ("dir:///srv/media", "needs base_url="),
        ("dir://server/srv/media?base_url=https://x.example", "dir:///absolute/path"),
        ("dir:?base_url=https://x.example", "needs a folder"),
    ],
)
def test_bad_uris_name_the_setting(uri: str, words: str) -> None:
    with pytest.raises(ValidationError, match=r"^THREADS_MEDIA_HOST: ") as caught:
        parse_media_host(uri)
    assert words in str(caught.value)
    assert caught.value.parameter == "THREADS_MEDIA_HOST"
    assert "s3://my-bucket/threads" in str(caught.value)  # an example of what is accepted


def test_secrets_in_a_uri_are_refused_without_being_repeated() -> None:
    secret = "wJalrXUtnFEMI-K7MDENG-canary"
    for uri in (
        f"s3://AKIAEXAMPLE:{secret}@bucket/prefix",
        f"s3://bucket?aws_secret_access_key={secret}",
    ):
        with pytest.raises(ValidationError) as caught:
            parse_media_host(uri, setting="--media-host")
        assert secret not in str(caught.value)
        assert caught.value.parameter == "--media-host"


def test_a_directory_host_from_a_uri(tmp_path: Path) -> None:
    host = media_host_from_setting(f"dir://{tmp_path}?base_url=https://m.example/t/&file_mode=640")
    assert isinstance(host, DirectoryHost)
    assert (host.directory, host.base_url, host.file_mode) == (
        tmp_path,
        "https://m.example/t",
        0o640,
    )
    with pytest.raises(ValidationError, match="THREADS_MEDIA_HOST: directory") as caught:
        media_host_from_setting(f"dir://{tmp_path}/missing?base_url=https://m.example")
    assert caught.value.parameter == "THREADS_MEDIA_HOST"
    with pytest.raises(ValidationError, match="base_url must be"):
        media_host_from_setting(f"dir://{tmp_path}?base_url=ftp://m.example")
    with pytest.raises(ValidationError, match="file_mode must be octal"):
        media_host_from_setting(f"dir://{tmp_path}?base_url=https://m.example&file_mode=rw")


def test_an_s3_host_from_a_uri_lives_as_long_as_processing_may_last() -> None:
    host = media_host_from_setting(
        "s3://my-media/t?endpoint_url=http://127.0.0.1:9&region=us-east-1&url_margin=60",
        container_timeout=120,
    )
    assert isinstance(host, S3Host)
    assert (host.bucket, host.prefix, host.endpoint_url) == ("my-media", "t", "http://127.0.0.1:9")
    assert host.url_lifetime == 180
    default = media_host_from_setting("s3://my-media")
    assert isinstance(default, S3Host) and default.url_lifetime == 300 + 900
    for bad, words in [
        ("s3://my-media?url_margin=soon", "url_margin must be a number"),
        ("s3://my-media?path_style=maybe", "path_style must be true or false"),
        ("s3://my_media!", "bucket must be"),
        ("s3://my-media?endpoint_url=127.0.0.1:9000", "endpoint_url must be an http(s) URL"),
        ("s3://my-media?url_margin=700000", "7 days"),
    ]:
        with pytest.raises(ValidationError) as caught:
            media_host_from_setting(bad)
        assert words in str(caught.value), bad
        assert caught.value.parameter == "THREADS_MEDIA_HOST"


def test_url_lifetime_is_container_timeout_plus_the_margin() -> None:
    assert url_lifetime(300, 900) == 1200
    assert url_lifetime(0.5, 0) == 1  # whole seconds, rounded up
    with pytest.raises(ValidationError) as caught:
        url_lifetime(300, -1)
    assert caught.value.parameter == "url_margin"


def test_s3_host_arguments_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        S3Host("my-media", access_key_id="AKIAEXAMPLE")
    assert caught.value.parameter == "secret_access_key"
    with pytest.raises(ValidationError) as caught:
        S3Host("my-media", part_size=1024)
    assert caught.value.parameter == "part_size"
    with pytest.raises(ValidationError) as caught:
        S3Host("my-media", max_concurrency=0)
    assert caught.value.parameter == "max_concurrency"


def test_a_missing_extra_says_which_pip_install_fixes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 now raises ImportError
    with pytest.raises(ImportError, match=r'pip install boto3 \(or pip install "\.\[s3\]"'):
        S3Host("my-media")
    with pytest.raises(
        ValidationError, match=r'pip install boto3 \(or pip install "\.\[s3\]"'
    ) as caught:
        media_host_from_setting("s3://my-media")
    assert caught.value.parameter == "THREADS_MEDIA_HOST"


def test_from_env_reads_threads_media_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("THREADS_USER_ID", "1")
    monkeypatch.setenv("THREADS_ACCESS_TOKEN", "token")
    monkeypatch.setenv("THREADS_MEDIA_HOST", f"dir://{tmp_path}?base_url=https://m.example")
    tp = ThreadsPipe.from_env(None)
    assert isinstance(tp._media_host(), DirectoryHost)
    host = ThreadsPipe.from_env(
        None, media_host="s3://my-media", container_timeout=60
    )._media_host()
    assert isinstance(host, S3Host) and host.url_lifetime == 60 + 900
    monkeypatch.setenv("THREADS_MEDIA_HOST", "s3://")
    with pytest.raises(ValidationError) as caught:
        ThreadsPipe.from_env(None)
    assert caught.value.parameter == "THREADS_MEDIA_HOST"
    with pytest.raises(ValidationError) as caught:
        ThreadsPipe.from_env(None, media_host="nowhere")
    assert caught.value.parameter == "media_host"


def test_from_env_reads_it_from_the_env_file_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("THREADS_USER_ID", "THREADS_ACCESS_TOKEN", "THREADS_MEDIA_HOST"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "media"
    folder.mkdir()
    env_file = tmp_path / ".env"
    env_file.write_text(
        "THREADS_USER_ID=1\nTHREADS_ACCESS_TOKEN=token\n"
        f"THREADS_MEDIA_HOST=dir://{folder}?base_url=https://m.example/x\n"
    )
    host = ThreadsPipe.from_env(env_file)._media_host()
    assert isinstance(host, DirectoryHost) and host.base_url == "https://m.example/x"


def test_importing_the_library_does_not_import_boto3() -> None:
    code = (
        "import sys, threadspipepy, threadspipepy.hosting, threadspipepy.cli; "
        "print(sorted(m for m in ('boto3', 'botocore', 's3transfer') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
