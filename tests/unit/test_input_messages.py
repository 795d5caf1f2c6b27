"""What the input checks say, and the pure helpers behind them: literal hosts, GitHub names,
country codes, polls, ids, base URLs, and how a failed connection is described."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import requests

from threadspipepy import ThreadsPipe, ValidationError, media, validation
from threadspipepy._transport import describe_request_failure
from threadspipepy.config import check_base_url


# -- messages that say what is wrong ------------------------------------------------------------
def test_a_single_url_string_is_told_to_be_a_list() -> None:
    with pytest.raises(ValidationError) as caught:
        media.file_list("https://x.example/a.jpg")
    assert "files must be a list" in str(caught.value)
    assert "files=['https://x.example/a.jpg']" in str(caught.value)
    assert "files[0]" not in str(caught.value)  # not "files[0] ('h')"


def test_other_schemes_are_named_not_reported_as_missing_files() -> None:
    with pytest.raises(ValidationError) as caught:
        media.classify("ftp://x.example/a.jpg", 0)
    message = str(caught.value)
    assert "ftp:// URL" in message and "http(s)" in message
    assert "no such file" not in message


def test_a_directory_is_called_a_directory(tmp_path: Path) -> None:
    for given in (str(tmp_path), tmp_path):
        with pytest.raises(ValidationError) as caught:
            media.classify(given, 2)
        assert "is a directory" in str(caught.value)
        assert caught.value.parameter == "files[2]"


def test_a_password_in_a_media_url_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValidationError) as caught:
        media.classify("https://bot:hunter2secret@cdn.example.com/a.jpg", 0)
    assert "user name or password" in str(caught.value)
    assert "hunter2secret" not in str(caught.value)
    assert "https://cdn.example.com/a.jpg" in str(caught.value)


def test_internal_media_urls_pass_on_a_loopback_base_url() -> None:
    files = media.classify_all(["http://127.0.0.1:9/a.jpg"], "http://127.0.0.1:8080")
    assert files == [media.RemoteFile(0, "http://127.0.0.1:9/a.jpg")]
    with pytest.raises(ValidationError, match="cannot fetch"):
        media.classify_all(["http://127.0.0.1:9/a.jpg"], "https://graph.threads.net")
    # A DNS name is not looked up: only literal addresses are judged (documented limit).
    assert media.classify_all(["https://intranet.corp/a.jpg"], "https://graph.threads.net")


def test_a_dry_run_on_the_sandbox_keeps_a_loopback_media_url() -> None:
    tp = ThreadsPipe("1", "tok", threads_base_url="http://127.0.0.1:9")
    plan = tp.pipe("Look", files=["http://127.0.0.1:9/a.jpg"], dry_run=True)
    assert plan["data"]["posts"][0]["media"][0]["url"] == "http://127.0.0.1:9/a.jpg"


# -- hosts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.9.9.9", "::1", "127.1"]
)
def test_loopback_hosts(host: str) -> None:
    assert validation.host_is_loopback(host)
    assert validation.host_is_internal(host)


@pytest.mark.parametrize(
    "host",
    ["10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254", "fe80::1", "fd00::5", "0.0.0.0"],
)
def test_internal_hosts(host: str) -> None:
    assert validation.host_is_internal(host)
    assert not validation.host_is_loopback(host)


@pytest.mark.parametrize(
    "host", ["graph.threads.net", "8.8.8.8", "2001:4860:4860::8888", "localhost.example", "", None]
)
def test_public_or_unknown_hosts(host: str | None) -> None:
    assert not validation.host_is_internal(host)


def test_mapped_and_shorthand_addresses_are_read_as_what_they_spell() -> None:
    assert validation.host_is_loopback("::ffff:127.0.0.1")
    assert validation.host_is_loopback("2130706433")  # 127.0.0.1 as one number
    assert validation.host_is_internal("0xa.0.0.1")  # 10.0.0.1


# -- base URLs ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["https://graph.threads.net", "http://127.0.0.1:8080", "http://localhost:3000/x"]
)
def test_accepted_base_urls(url: str) -> None:
    assert check_base_url(url, "threads_base_url") == url


def test_plain_http_elsewhere_needs_the_opt_in() -> None:
    with pytest.raises(ValidationError) as caught:
        check_base_url("http://proxy.corp:8080", "gh_base_url", env_name="GITHUB_API_BASE_URL")
    message = str(caught.value)
    assert "in clear" in message and "allow_insecure_http=True" in message
    assert "GITHUB_API_BASE_URL" in message and "https://api.github.com" in message
    url = "http://proxy.corp:8080"
    assert check_base_url(url, "gh_base_url", allow_insecure_http=True) == url


def test_the_environment_is_named_when_it_gave_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADS_API_BASE_URL", "http://threads-proxy.example")
    with pytest.raises(ValidationError) as caught:
        ThreadsPipe("1", "tok")
    assert caught.value.parameter == "threads_base_url"
    assert "THREADS_API_BASE_URL" in str(caught.value)
    tp = ThreadsPipe("1", "tok", allow_insecure_http=True)
    assert "threads-proxy.example" in repr(tp)


def test_from_env_reads_the_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("THREADS_API_BASE_URL", "THREADS_ALLOW_INSECURE_HTTP"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / ".env"
    env.write_text("THREADS_USER_ID=1\nTHREADS_ACCESS_TOKEN=tok\n")
    env.chmod(0o600)
    with env.open("a") as handle:
        handle.write("THREADS_API_BASE_URL=http://threads-proxy.example\n")
    with pytest.raises(ValidationError, match="THREADS_ALLOW_INSECURE_HTTP"):
        ThreadsPipe.from_env(env)
    with env.open("a") as handle:
        handle.write("THREADS_ALLOW_INSECURE_HTTP=true\n")
    assert "threads-proxy.example" in repr(ThreadsPipe.from_env(env))
    monkeypatch.setenv("THREADS_ALLOW_INSECURE_HTTP", "0")  # the environment wins: off again
    with pytest.raises(ValidationError):
        ThreadsPipe.from_env(env)


def test_empty_credentials_are_not_refused_for_their_type() -> None:
    """Only wrong types are refused up front here; empty strings are another issue's matter."""
    assert validation.github_owner("") is None and validation.github_repo("") is None
    with pytest.raises(ValidationError) as caught:
        ThreadsPipe(True, "tok")
    assert "bool" in str(caught.value)


# -- values ----------------------------------------------------------------------------------------
def test_country_codes_are_the_assigned_ones() -> None:
    assert len(validation.ISO_COUNTRY_CODES) == 249
    assert validation.country_codes(["us", "gb", "AX"]) == "US,GB,AX"
    assert validation.country_codes("US, CA") == "US,CA"
    assert validation.country_codes(("SS",)) == "SS"
    with pytest.raises(ValidationError, match="UK is GB"):
        validation.country_codes(["UK"])
    for bad in (["XX"], ["ZZ"], ["QQ"], ["EU"], "US,XX"):
        with pytest.raises(ValidationError, match="not valid"):
            validation.country_codes(bad)
    for wrong in (123, {"US": 1}, b"US", [None]):
        with pytest.raises(ValidationError, match="allowed_country_codes"):
            validation.country_codes(wrong)  # type: ignore[arg-type]


def test_poll_spellings_are_checked_alike() -> None:
    expected = json.dumps({"option_a": "Yes", "option_b": "No"}, separators=(",", ":"))
    assert validation.poll(["Yes", "No"]) == expected
    assert validation.poll(("Yes", "No")) == expected
    assert validation.poll({"option_a": "Yes", "option_b": "No"}) == expected
    for bad in (
        {"option_a": "x" * 26, "option_b": "y"},
        {"option_a": "x", "option_b": ""},
        ["x" * 26, "y"],
        ["x", ""],
    ):
        with pytest.raises(ValidationError, match="1-25 characters"):
            validation.poll(bad)
    with pytest.raises(ValidationError, match="in order"):
        validation.poll({"option_b": "a", "option_a": "b"})


@pytest.mark.parametrize("value", ["17841400000000001", 17841400000000001, " 42 "])
def test_ids_are_digits(value: object) -> None:
    assert validation.require_id(value, "reply_to_id") == str(value).strip()


@pytest.mark.parametrize("value", ["abc", "12a", "-5", -5, "", "1.5", "١٢", True, None, 1.0])
def test_ids_that_are_not_digits_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="reply_to_id must be a Threads id"):
        validation.require_id(value, "reply_to_id")


@pytest.mark.parametrize(
    ("owner", "ok"),
    [
        ("octo", True),
        ("octo-cat", True),
        ("o" * 39, True),
        ("octo/cat", False),
        ("-octo", False),
        ("o" * 40, False),
        ("oct_o", False),
        ("..", False),
    ],
)
def test_github_owner_rules(owner: str, ok: bool) -> None:
    if ok:
        assert validation.github_owner(owner) == owner
    else:
        with pytest.raises(ValidationError, match="gh_username"):
            validation.github_owner(owner)


@pytest.mark.parametrize(
    ("repo", "ok"),
    [
        ("media", True),
        (".github", True),
        ("my_repo-2.0", True),
        ("r" * 100, True),
        (".", False),
        ("..", False),
        ("a/b", False),
        ("../x", False),
        ("r" * 101, False),
        ("a b", False),
    ],
)
def test_github_repo_rules(repo: str, ok: bool) -> None:
    if ok:
        assert validation.github_repo(repo) == repo
    else:
        with pytest.raises(ValidationError, match="gh_repo_name"):
            validation.github_repo(repo)


# -- connection failures, described without the exception --------------------------------------
def _failure_of(url: str, timeout: float = 2.0) -> requests.RequestException:
    try:
        requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        return exc
    raise AssertionError("the request succeeded")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_and_dns_failures_are_told_apart() -> None:
    refused = describe_request_failure(_failure_of(f"http://127.0.0.1:{_free_port()}/"))
    assert (refused.kind, refused.sent) == ("refused", False)
    dns = describe_request_failure(_failure_of("https://threads.invalid/"))
    assert (dns.kind, dns.sent) == ("dns", False)


def test_timeouts_resets_and_tls_from_requests_exceptions() -> None:
    read = describe_request_failure(requests.ReadTimeout("read timed out"))
    assert (read.kind, read.sent) == ("timeout", True)
    connect = describe_request_failure(requests.ConnectTimeout("connect timed out"))
    assert (connect.kind, connect.sent) == ("timeout", False)
    reset = requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer"))
    assert describe_request_failure(reset).kind == "reset"
    assert describe_request_failure(requests.exceptions.SSLError("bad handshake")).kind == "tls"
    assert describe_request_failure(requests.ConnectionError("?")).kind == "connection"
