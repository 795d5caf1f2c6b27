"""What 0.4.5 scripts do that must keep working (issue 15, items 1-3).

- 0.4.5's README builds the client with empty credentials to start the OAuth flow, then
  fills them with `update_param`; calls that need them fail clearly, before any request.
- Failed results keep 0.4.5's nested Graph error: `result['error']['error']['code']`.
- `update_param('uid', 'tok')` positionally; a media URL written without its scheme.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from threadspipepy import ThreadsPipe, ValidationError, auth
from threadspipepy.auth import Credentials
from threadspipepy.testing import ThreadsSandbox


@pytest.fixture
def sandbox() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox(processing_delays={"IMAGE": 0.0, "VIDEO": 0.0, "CAROUSEL": 0.0}) as sb:
        yield sb


def empty_client(sb: ThreadsSandbox, **options: Any) -> ThreadsPipe:
    """0.4.5's README: `ThreadsPipe(user_id='', access_token='')`, pointed at the sandbox."""
    return ThreadsPipe(
        user_id="",
        access_token="",
        threads_base_url=sb.url,
        gh_base_url=sb.github_url,
        **options,
    )


# -- item 1: empty credentials ------------------------------------------------------------------
def test_the_readme_oauth_flow_runs_on_a_client_built_with_empty_credentials(
    sandbox: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "open_browser", lambda url: False)
    api = empty_client(sandbox)
    url = api.get_auth_token(app_id=sandbox.app_id, redirect_uri=sandbox.redirect_uri)
    redirected = sandbox.authorize(url)
    tokens = api.get_access_tokens(
        app_id=sandbox.app_id,
        app_secret=sandbox.app_secret,
        auth_code=redirected,
        redirect_uri=sandbox.redirect_uri,
    )
    assert "error" not in tokens
    api.update_param(
        user_id=tokens["user_id"],
        access_token=tokens["tokens"]["long_lived"]["access_token"],
    )
    result = api.pipe(post="The first post after the OAuth flow")
    assert result["info"] == "success"
    assert [p["text"] for p in sandbox.posts] == ["The first post after the OAuth flow"]
    # A day later, a client with empty credentials refreshes the long-lived token too.
    sandbox.advance(86400)
    refreshed = empty_client(sandbox).refresh_token(tokens["tokens"]["long_lived"]["access_token"])
    assert "error" not in refreshed and refreshed["access_token"]


CALLS: dict[str, tuple[Callable[[ThreadsPipe], Any], str]] = {
    "pipe": (lambda tp: tp.pipe("Hello"), "user_id"),
    "pipe with files": (
        lambda tp: tp.pipe("Hello", files=["https://cdn.example.com/a.jpg"]),
        "user_id",
    ),
    "get_posts": (lambda tp: tp.get_posts(), "access_token"),
    "get_profile": (lambda tp: tp.get_profile(), "access_token"),
    "iter_posts": (lambda tp: next(tp.iter_posts()), "access_token"),
    "get_user_insights": (lambda tp: tp.get_user_insights(), "access_token"),
    "get_quota_usage": (lambda tp: tp.get_quota_usage(), "user_id"),
    "repost_post": (lambda tp: tp.repost_post("1"), "access_token"),
    "create_container": (lambda tp: tp.create_container("TEXT", text="x"), "user_id"),
    "resume_pipe": (
        lambda tp: tp.resume_pipe({"info": "error", "data": {"remaining": [{"index": 0}]}}),
        "user_id",
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_posting_or_reading_without_credentials_names_them_before_any_request(
    sandbox: ThreadsSandbox, name: str
) -> None:
    call, parameter = CALLS[name]
    api = empty_client(sandbox)
    with pytest.raises(ValidationError) as caught:
        call(api)
    assert caught.value.parameter == parameter
    assert parameter in str(caught.value) and "update_param" in str(caught.value)
    assert sandbox.requests == []


def test_only_the_missing_credential_is_named(sandbox: ThreadsSandbox) -> None:
    api = ThreadsPipe(user_id=sandbox.user_id, access_token="", threads_base_url=sandbox.url)
    with pytest.raises(ValidationError, match=r"^access_token is empty") as caught:
        api.pipe("Hello")
    assert caught.value.parameter == "access_token"
    api = ThreadsPipe(user_id="", access_token=sandbox.access_token, threads_base_url=sandbox.url)
    assert api.get_profile()["id"] == sandbox.user_id  # reading needs only the token
    with pytest.raises(ValidationError, match=r"^user_id is empty"):
        api.pipe("Hello")


def test_a_dry_run_needs_no_credentials(sandbox: ThreadsSandbox) -> None:
    plan = empty_client(sandbox).pipe("A plan, nothing sent", dry_run=True)
    assert plan.dry_run and plan["data"]["posts"][0]["text"] == "A plan, nothing sent"
    assert sandbox.requests == []


def test_no_credentials_at_all_is_still_a_type_error() -> None:
    with pytest.raises(TypeError):
        ThreadsPipe()  # type: ignore[call-arg]


def test_empty_credentials_are_filled_from_a_token_store(
    sandbox: ThreadsSandbox, tmp_path: Path
) -> None:
    store = tmp_path / "token.json"
    saved = Credentials(
        user_id=sandbox.user_id,
        access_token=sandbox.access_token,
        issued_at=datetime.now(timezone.utc),  # fresh: no refresh is due
    )
    store.write_text(saved.to_json(), encoding="utf-8")
    store.chmod(0o600)
    api = empty_client(sandbox, token_store=store)
    assert api.__threads_user_id__ == sandbox.user_id
    assert api.pipe("Posted with the stored token").ok


# -- item 2: 0.4.5's nested Graph error ---------------------------------------------------------
def test_a_failed_pipe_keeps_the_graph_error_nested_as_0_4_5_did(sandbox: ThreadsSandbox) -> None:
    sandbox.fail("POST", "/v1.0/*/threads", code=100, subcode=2207052, message="Bad media")
    with sandbox.client() as tp:
        result = tp.pipe("This will fail")
    assert result["info"] == "error"
    nested = result["error"]["error"]
    assert nested["code"] == 100 and nested["error_subcode"] == 2207052
    assert nested["message"] == "Bad media" and nested["fbtrace_id"]
    # ... next to the flattened keys the docs use
    assert result["error"]["code"] == 100 and result["error"]["error_class"] == "ThreadsAPIError"
    assert result.error_code == 100 and result.error_subcode == 2207052


def test_a_getter_failure_has_both_shapes_too(sandbox: ThreadsSandbox) -> None:
    sandbox.fail("GET", "/v1.0/me", code=190, message="Invalid OAuth access token")
    with sandbox.client() as tp:
        result = tp.get_profile()
    assert result["error"]["code"] == 190  # the Graph JSON's own shape, as 0.4.5 returned it
    assert result["error"]["error"]["code"] == 190
    assert result["error"]["error"]["type"] == "OAuthException"


def test_a_failure_that_never_reached_meta_has_a_nested_error_without_a_code(
    sandbox: ThreadsSandbox,
) -> None:
    sandbox.drop("POST", "/v1.0/*/threads", times=None)
    with sandbox.client(max_retries=0) as tp:
        result = tp.pipe("The answer is lost")
    assert result["error"]["error"]["code"] is None
    assert "Threads answered" in result["error"]["error"]["message"]


# -- item 3: update_param positional, a URL without its scheme --------------------------------
def test_update_param_takes_user_id_and_token_positionally(sandbox: ThreadsSandbox) -> None:
    other = sandbox.add_account("second")
    with sandbox.client() as tp:
        tp.update_param(other.user_id, other.access_token)
        assert tp.__threads_user_id__ == other.user_id
        assert tp.pipe("From the second account").ok
    assert sandbox.posts[-1]["owner"] == other.user_id


def test_a_media_url_without_its_scheme_is_sent_as_https_with_a_warning(
    sandbox: ThreadsSandbox, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING, logger="threadspipepy")
    with sandbox.client() as tp:
        result = tp.pipe("A scheme-less URL", files=["cdn.example.com/photos/a.jpg"])
    assert result.ok
    (create,) = sandbox.requests_to("POST", "/v1.0/*/threads")
    assert create.params["image_url"] == "https://cdn.example.com/photos/a.jpg"
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("files[0] (cdn.example.com/photos/a.jpg)" in w and "https://" in w for w in warning)


def test_a_local_file_wins_over_a_web_address_of_the_same_name(
    sandbox: ThreadsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.media_samples import png  # a real PNG

    folder = tmp_path / "my.photos"
    folder.mkdir()
    (folder / "a.png").write_bytes(png())
    monkeypatch.chdir(tmp_path)
    with sandbox.client() as tp:
        assert tp.pipe("A local file", files=["my.photos/a.png"]).ok
    assert len(sandbox.requests_to("PUT", "/github/*")) == 1  # hosted, not sent as a URL


@pytest.mark.parametrize("name", ["photo.jpg", "missing/photo.jpg", "./cdn.example.com/a.jpg"])
def test_a_missing_file_name_is_not_taken_for_a_web_address(
    sandbox: ThreadsSandbox, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with sandbox.client() as tp, pytest.raises(ValidationError, match="no such file") as caught:
        tp.pipe("Typo", files=[name])
    assert caught.value.parameter == "files[0]"
    assert sandbox.requests == []
