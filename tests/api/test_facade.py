"""The facade's own promises: constructor, update_param, repr, from_env, logging, quota."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.testing import ThreadsSandbox

from .conftest import FakeTime


def test_constructor_needs_user_id_and_token() -> None:
    with pytest.raises(TypeError):
        ThreadsPipe()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="access_token"):
        ThreadsPipe(user_id=1)


def test_constructor_rejects_bad_options_by_name() -> None:
    with pytest.raises(ValidationError, match="timeout") as caught:
        ThreadsPipe(1, "tok", timeout=0)
    assert caught.value.parameter == "timeout"
    with pytest.raises(ValidationError, match="threads_base_url"):
        ThreadsPipe(1, "tok", threads_base_url="graph.threads.net")


def test_045_attribute_names_still_work() -> None:
    tp = ThreadsPipe(user_id=12345, access_token="tok-abcdef", gh_username="octo")
    assert tp.__threads_user_id__ == "12345"
    assert tp.__threads_access_token__ == "tok-abcdef"
    assert tp.__gh_username__ == "octo"
    assert "everyone" in ThreadsPipe.who_can_reply_list
    assert ThreadsPipe.__threads_auth_scope__["basic"] == "threads_basic"
    from threadspipepy.threadspipe import ThreadsPipe as SameClass

    assert SameClass is ThreadsPipe


def test_repr_shows_no_secret() -> None:
    tp = ThreadsPipe(1, "super-secret-token", gh_bearer_token="gh-secret-token")
    text = repr(tp)
    assert "super-secret-token" not in text and "gh-secret-token" not in text
    assert "user_id='1'" in text


def test_update_param_reaches_every_later_request(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    other = sandbox.add_account()
    tp.update_param(user_id=other.user_id, access_token=other.access_token)
    assert tp.pipe("From the other account").ok
    for request in sandbox.requests:
        assert request.headers["Authorization"] == f"Bearer {other.access_token}"
        assert sandbox.user_id not in request.path
    assert sandbox.posts[0]["owner"] == other.user_id
    with pytest.raises(ValidationError, match="no_such_option"):
        tp.update_param(no_such_option=1)


def test_update_param_changes_the_api_version(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    tp.update_param(threads_api_version="v9.9")
    result = tp.get_publishing_limit()
    assert not result.ok
    assert sandbox.requests[-1].path.startswith("/v9.9/")


def test_context_manager_closes_the_session(sandbox: ThreadsSandbox) -> None:
    with sandbox.client() as tp:
        assert tp.get_publishing_limit().ok
        adapter = tp._graph.session.get_adapter(sandbox.url)
        assert adapter.poolmanager.pools  # a pooled connection was used
    assert not adapter.poolmanager.pools  # and closed with the client


def test_from_env_reads_the_file_only_when_called(
    sandbox: ThreadsSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("THREADS_USER_ID", "THREADS_ACCESS_TOKEN", "THREADS_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    env = tmp_path / "my.env"
    env.write_text(
        f"THREADS_USER_ID={sandbox.user_id}\nTHREADS_ACCESS_TOKEN=wrong-token\n"
        f"THREADS_API_BASE_URL={sandbox.url}\n"
    )
    monkeypatch.setenv("THREADS_ACCESS_TOKEN", sandbox.access_token)  # the environment wins
    tp = ThreadsPipe.from_env(env)
    assert tp.get_publishing_limit().ok
    with pytest.raises(ValidationError, match="THREADS_USER_ID"):
        ThreadsPipe.from_env(tmp_path / "missing.env")


def test_importing_configures_no_logging() -> None:
    import importlib

    import threadspipepy

    root = logging.getLogger()
    before = (root.level, list(root.handlers), logging.root.manager.disable)
    importlib.reload(threadspipepy)
    assert (root.level, list(root.handlers), logging.root.manager.disable) == before


def test_disable_logging_silences_only_this_instance(
    sandbox: ThreadsSandbox, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = fake_time.install(sandbox.client(disable_logging=True))
    loud = fake_time.install(sandbox.client())
    with caplog.at_level(logging.DEBUG, logger="threadspipepy"):
        quiet.pipe("Quiet post")
        client_records = [
            r
            for r in caplog.records
            if r.name.startswith("threadspipepy") and not r.name.startswith("threadspipepy.testing")
        ]
        assert client_records == []
        logging.getLogger("host.app").warning("the host still logs")
        loud.pipe("Loud post")
    assert "the host still logs" in caplog.text
    assert "Published part 1/1" in caplog.text


def test_quota_full_means_nothing_is_posted(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.set_quota_usage(posts=250)
    result = tp.pipe("One too many")
    assert result["message"] == "Rate limit exceeded!"
    assert result["error"]["error_class"] == "RateLimitError"
    assert "250 of 250 posts used" in result["error"]["message"]
    # The quota is read while the container is created: nothing is published, and the
    # container is left to expire unpublished.
    assert sandbox.requests_to("POST", "/v1.0/*/threads_publish") == []
    assert sandbox.posts == []
    assert [(c["media_type"], c["status"]) for c in sandbox.containers] == [("TEXT", "FINISHED")]


def test_replies_count_against_the_reply_quota(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    root = tp.pipe("Root")["data"]["media_ids"][0]
    sandbox.set_quota_usage(posts=250, replies=0)
    assert tp.pipe("A reply still fits", reply_to_id=root).ok
    sandbox.set_quota_usage(replies=1000)
    result = tp.pipe("No room for replies", reply_to_id=root)
    assert "1000 of 1000 replies used" in result["error"]["message"]


def test_quota_check_can_be_skipped(sandbox: ThreadsSandbox, fake_time: FakeTime) -> None:
    tp = fake_time.install(sandbox.client(check_rate_limit_before_post=False))
    assert tp.pipe("No quota read").ok
    assert sandbox.requests_to("GET", "/v1.0/*/threads_publishing_limit") == []


def test_wait_on_rate_limit_rechecks_and_gives_up_at_the_ceiling(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = fake_time.install(sandbox.client(wait_on_rate_limit=True, max_rate_limit_wait=600))
    sandbox.set_quota_usage(posts=250)
    result = tp.pipe("Waits, then gives up")
    assert result["error"]["error_class"] == "RateLimitError"
    assert fake_time.sleeps == [300.0, 300.0]
    assert len(sandbox.requests_to("GET", "/v1.0/*/threads_publishing_limit")) == 3
    assert sandbox.requests_to("POST") == []


def test_get_quota_usage_fields(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    posts = tp.get_quota_usage()
    replies = tp.get_quota_usage(for_reply=True)
    assert set(posts["data"][0]) == {"quota_usage", "config"}
    assert set(replies["data"][0]) == {"reply_quota_usage", "reply_config"}


def test_a_failed_quota_read_is_not_called_a_rate_limit(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("GET", "/v1.0/*/threads_publishing_limit", status=500, times=5)
    result = tp.pipe("Quota unknown")
    assert result["message"] == "Could not check the publishing quota"
    assert result["error"]["error_class"] == "ServerError"
    assert sandbox.requests_to("POST", "/v1.0/*/threads_publish") == []  # read meanwhile
    assert sandbox.posts == []


def test_mask_secrets_masks_what_the_client_holds_and_nothing_else(
    sandbox: ThreadsSandbox,
) -> None:
    with sandbox.client(gh_bearer_token="ghp_" + "x" * 36) as tp:
        token = tp.__threads_access_token__
        text = f"sent {token} with ghp_{'x' * 36}; the promo code=SUMMER stays"
        assert tp.mask_secrets(text) == "sent *** with ***; the promo code=SUMMER stays"
        tp.update_param(access_token="a-new-token-value")
        assert tp.mask_secrets("a-new-token-value") == "***"
