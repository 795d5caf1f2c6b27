"""Bad input is refused before any request, with the parameter named.

Each row is one careless (or hostile) argument to a public entry point. For every row: the
error class, `exc.parameter`, the parameter's name in the message, and a sandbox that received
no request at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from threadspipepy import ThreadsPipe, ValidationError, auth
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import PNG

HERE = Path(__file__).parent
META = "https://graph.threads.net"


@dataclass(frozen=True)
class Row:
    name: str
    call: Callable[[ThreadsSandbox], Any]
    parameter: str
    error: type[Exception] = ValidationError


def pipe(**kwargs: Any) -> Callable[[ThreadsSandbox], Any]:
    post = kwargs.pop("post", "Hello")
    return lambda sb: sb.client().pipe(post, **kwargs)


def client(**options: Any) -> Callable[[ThreadsSandbox], Any]:
    return lambda sb: sb.client(**options)


def to_meta(files: list[Any]) -> Callable[[ThreadsSandbox], Any]:
    """pipe() on a client that talks to Meta (GitHub still the sandbox's)."""

    def call(sb: ThreadsSandbox) -> Any:
        tp = ThreadsPipe(sb.user_id, sb.access_token, threads_base_url=META, gh_base_url=sb.url)
        return tp.pipe("Look", files=files)

    return call


def on_client(method: str, *args: Any, **kwargs: Any) -> Callable[[ThreadsSandbox], Any]:
    return lambda sb: getattr(sb.client(), method)(*args, **kwargs)


def oauth(method: str, **changes: Any) -> Callable[[ThreadsSandbox], Any]:
    """A client OAuth helper with the sandbox's app, one argument spoiled."""

    def call(sb: ThreadsSandbox) -> Any:
        args = {
            "app_id": sb.app_id,
            "app_secret": sb.app_secret,
            "auth_code": "AQBcode#_",
            "redirect_uri": sb.redirect_uri,
        }
        args.update(changes)
        return getattr(sb.client(), method)(**args)

    return call


ROWS = [
    # -- the constructor and update_param ---------------------------------------------------
    Row("user_id True", client(user_id=True), "user_id"),
    Row("user_id a list", client(user_id=[1, 2]), "user_id"),
    Row("user_id a float", client(user_id=1.5), "user_id"),
    Row("user_id missing", client(user_id=None), "user_id", TypeError),
    Row("access_token an int", client(access_token=123), "access_token"),
    Row("api version an int", client(threads_api_version=1), "threads_api_version"),
    Row("api version without v", client(threads_api_version="1.0"), "threads_api_version"),
    Row("session a string", client(session="not a session"), "session"),
    Row(
        "base url without scheme", client(threads_base_url="graph.threads.net"), "threads_base_url"
    ),
    Row(
        "base url plain http",
        client(threads_base_url="http://graph.threads.net"),
        "threads_base_url",
    ),
    Row("base url ftp", client(threads_base_url="ftp://graph.threads.net"), "threads_base_url"),
    Row(
        "base url with a password",
        client(threads_base_url="https://me:pw@graph.threads.net"),
        "threads_base_url",
    ),
    Row("github url plain http", client(gh_base_url="http://api.github.com"), "gh_base_url"),
    Row("gh_username with a slash", client(gh_username="octo/cat"), "gh_username"),
    Row("gh_username with a leading hyphen", client(gh_username="-octo"), "gh_username"),
    Row("gh_username too long", client(gh_username="a" * 40), "gh_username"),
    Row("gh_username an int", client(gh_username=42), "gh_username"),
    Row("gh_repo_name ..", client(gh_repo_name=".."), "gh_repo_name"),
    Row("gh_repo_name with ../", client(gh_repo_name="media/../x"), "gh_repo_name"),
    Row("gh_repo_name with a space", client(gh_repo_name="my media"), "gh_repo_name"),
    Row("gh_bearer_token an int", client(gh_bearer_token=123), "gh_bearer_token"),
    Row("timeout zero", client(timeout=0), "timeout"),
    Row("timeout a string", client(timeout="30"), "timeout"),
    Row("max_retries negative", client(max_retries=-1), "max_retries"),
    Row("wait time negative", client(post_publish_wait_time=-1), "post_publish_wait_time"),
    Row("insecure opt-in a string", client(allow_insecure_http="yes"), "allow_insecure_http"),
    Row("update_param user_id", on_client("update_param", user_id=True), "user_id"),
    Row(
        "update_param plain http",
        on_client("update_param", threads_base_url="http://evil.example"),
        "threads_base_url",
    ),
    Row("update_param unknown", on_client("update_param", nonsense=1), "nonsense"),
    Row("update_param repo path", on_client("update_param", gh_repo_name="a/b"), "gh_repo_name"),
    # -- pipe: text and files ---------------------------------------------------------------
    Row("post an int", pipe(post=123), "post"),
    Row("files a URL string", pipe(files="https://cdn.example.com/a.jpg"), "files"),
    Row("files bytes", pipe(files=PNG), "files"),
    Row("files a dict", pipe(files={"a": "https://cdn.example.com/a.jpg"}), "files"),
    Row("files an int", pipe(files=5), "files"),
    Row("an ftp URL", pipe(files=["ftp://cdn.example.com/a.jpg"]), "files[0]"),
    Row("a file URL", pipe(files=["file:///etc/passwd"]), "files[0]"),
    Row("a directory", pipe(files=[str(HERE)]), "files[0]"),
    Row("a directory as a Path", pipe(files=["https://cdn.example.com/a.jpg", HERE]), "files[1]"),
    Row("a URL with a password", pipe(files=["https://u:pw@cdn.example.com/a.jpg"]), "files[0]"),
    Row("a GIF URL", pipe(files=["https://cdn.example.com/a.gif"]), "files[0]"),
    Row("a number among files", pipe(files=[123]), "files[0]"),
    Row("bytes that are no image", pipe(files=[b"not an image at all"]), "files[0]"),
    Row("a missing file", pipe(files=["missing/photo.jpg"]), "files[0]"),
    Row("a malformed http URL", pipe(files=["https://cdn.example.com/a b.jpg"]), "files[0]"),
    Row(
        "too many captions",
        pipe(files=["https://cdn.example.com/a.jpg"], file_captions=["a", "b"]),
        "file_captions",
    ),
    Row(
        "a caption that is no string",
        pipe(files=["https://cdn.example.com/a.jpg"], file_captions=[123]),
        "file_captions[0]",
    ),
    Row(
        "a local file and no GitHub",
        lambda sb: sb.client(gh_bearer_token=None).pipe("x", files=[PNG]),
        "gh_bearer_token",
    ),
    Row("a loopback media URL to Meta", to_meta(["http://127.0.0.1:8080/a.jpg"]), "files[0]"),
    Row("localhost media to Meta", to_meta(["http://localhost/a.jpg"]), "files[0]"),
    Row("a private media URL to Meta", to_meta(["https://10.0.0.5/a.jpg"]), "files[0]"),
    Row(
        "a link-local media URL to Meta",
        to_meta(["https://cdn.example.com/a.jpg", "http://169.254.169.254/latest.jpg"]),
        "files[1]",
    ),
    Row("an IPv6 loopback media URL to Meta", to_meta(["http://[::1]/a.jpg"]), "files[0]"),
    Row("a shorthand loopback media URL to Meta", to_meta(["http://127.1/a.jpg"]), "files[0]"),
    # -- pipe: options ----------------------------------------------------------------------
    Row("who_can_reply unknown", pipe(who_can_reply="friends"), "who_can_reply"),
    Row("country XX", pipe(allowed_country_codes=["XX"]), "allowed_country_codes"),
    Row("country UK", pipe(allowed_country_codes="UK"), "allowed_country_codes"),
    Row("countries an int", pipe(allowed_country_codes=123), "allowed_country_codes"),
    Row(
        "a country that is no string",
        pipe(allowed_country_codes=["US", 1]),
        "allowed_country_codes",
    ),
    Row("countries empty", pipe(allowed_country_codes=[]), "allowed_country_codes"),
    Row("reply_to_id letters", pipe(reply_to_id="abc"), "reply_to_id"),
    Row("reply_to_id True", pipe(reply_to_id=True), "reply_to_id"),
    Row("reply_to_id negative", pipe(reply_to_id=-5), "reply_to_id"),
    Row("quote_post_id mixed", pipe(quote_post_id="12a"), "quote_post_id"),
    Row("location_id a float", pipe(location_id=1.5), "location_id"),
    Row("topic_tag an int", pipe(topic_tag=123), "topic_tag"),
    Row("topic_tag with a dot", pipe(topic_tag="a.b"), "topic_tag"),
    Row("topic_tag too long", pipe(topic_tag="x" * 51), "topic_tag"),
    Row("poll with one option", pipe(poll=["only one"]), "poll"),
    Row("poll option too long", pipe(poll=["a" * 26, "b"]), "poll"),
    Row("poll option empty", pipe(poll=["Yes", " "]), "poll"),
    Row("poll dict too long", pipe(poll={"option_a": "x" * 26, "option_b": "y"}), "poll"),
    Row("poll dict empty option", pipe(poll={"option_a": "Yes", "option_b": ""}), "poll"),
    Row("poll dict with a gap", pipe(poll={"option_a": "a", "option_c": "c"}), "poll"),
    Row("poll a string", pipe(poll="Yes,No"), "poll"),
    Row("poll and a GIF", pipe(poll=["a", "b"], gif="xT9IgzoKnwFNmISR8I"), "poll"),
    Row("spoiler past the text", pipe(post="short", spoilers=[(0, 100)]), "spoilers"),
    Row("spoiler not numbers", pipe(spoilers=[("a", 1)]), "spoilers"),
    Row("gif with a space", pipe(gif="has space"), "gif"),
    Row("text_attachment a string", pipe(text_attachment="plain"), "text_attachment"),
    Row("text_attachment empty", pipe(text_attachment={"plaintext": ""}), "text_attachment"),
    Row("link not a URL", pipe(link_attachments=["not a url"]), "link_attachments[0]"),
    Row("spoiler_media without files", pipe(spoiler_media=True), "spoiler_media"),
    # -- single calls ---------------------------------------------------------------------
    Row("repost letters", on_client("repost_post", "abc"), "post_id"),
    Row("delete None", on_client("delete_post", None), "post_id"),
    Row("container status letters", on_client("container_status", "x"), "container_id"),
    Row("publish True", on_client("publish_container", True), "container_id"),
    Row("container type GIF", on_client("create_container", "GIF"), "media_type"),
    Row("resume an empty dict", on_client("resume_pipe", {}), "error_result"),
    # -- OAuth ------------------------------------------------------------------------------
    Row("app_id letters", oauth("get_access_tokens", app_id="my-app"), "app_id"),
    Row("app_secret empty", oauth("get_access_tokens", app_secret=" "), "app_secret"),
    Row("auth_code empty", oauth("get_access_tokens", auth_code=""), "auth_code"),
    Row("redirect_uri relative", oauth("get_access_tokens", redirect_uri="/cb"), "redirect_uri"),
    Row("refresh an empty token", on_client("refresh_token", ""), "access_token"),
    Row(
        "refresh into a bad variable",
        on_client("refresh_token", "tok", env_path=".env", env_variable="BAD-NAME"),
        "env_variable",
    ),
    Row(
        "refresh into a directory",
        on_client("refresh_token", "tok", env_path=str(HERE), env_variable="TOKEN"),
        "env_path",
    ),
    Row(
        "complete without state",
        lambda sb: sb.client().complete_authorization(
            sb.app_id, sb.app_secret, sb.redirect_uri, f"{sb.redirect_uri}?code=x&state=y", ""
        ),
        "state",
    ),
    Row(
        "complete with another state",
        lambda sb: sb.client().complete_authorization(
            sb.app_id, sb.app_secret, sb.redirect_uri, f"{sb.redirect_uri}?code=x&state=y", "z"
        ),
        "state",
        auth.StateMismatchError,
    ),
    Row("refresh not credentials", on_client("refresh_credentials", "token"), "credentials"),
    Row(
        "standalone exchange over plain http",
        lambda sb: auth.exchange_code(
            sb.app_id, sb.app_secret, "code", sb.redirect_uri, base_url="http://oauth.example"
        ),
        "base_url",
    ),
    Row(
        "standalone refresh to a URL with a password",
        lambda sb: auth.refresh_access_token("tok", base_url="https://a:b@graph.threads.net"),
        "base_url",
    ),
    Row(
        "authorization_url with a bad scope",
        on_client("authorization_url", "123", "https://app.example/cb", "everything"),
        "scope",
    ),
]


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as sandbox:
        yield sandbox


def test_the_table_is_long_enough() -> None:
    assert len(ROWS) >= 60
    assert len({row.name for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_bad_input_is_refused_before_any_request(
    row: Row, sb: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("THREADS_API_BASE_URL", raising=False)
    monkeypatch.delenv("GITHUB_API_BASE_URL", raising=False)
    monkeypatch.delenv("THREADS_ALLOW_INSECURE_HTTP", raising=False)
    with pytest.raises(row.error) as caught:
        row.call(sb)
    error = caught.value
    if isinstance(error, ValidationError):
        assert error.parameter == row.parameter
    assert row.parameter in str(error), str(error)
    assert sb.requests == []
