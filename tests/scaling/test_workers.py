"""threadspipepy.workers against the sandbox and a real redis-server: settings that travel in
jobs without secrets, one reused client per account, reports of each part's state, and the
exceptions that make a queue retry."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threadspipepy import Credentials, ValidationError
from threadspipepy.redis_stores import RedisJournal, RedisQuota, RedisTokenStore
from threadspipepy.testing import ThreadsSandbox
from threadspipepy.workers import (
    ChainNotFinished,
    ClientPool,
    QuotaFull,
    WorkerSettings,
    post_chain,
)

from ..api.chain_checks import PUBLISH
from .fleet import oauth_token

TEXT = "A chain from a queue worker, long enough for two posts of its own. " * 11


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def pool(sb: ThreadsSandbox, redis_url: str) -> Iterator[ClientPool]:
    RedisTokenStore(redis_url, sb.user_id, app="w").save(oauth_token(sb, sb.user_id))
    settings = WorkerSettings(redis_url, app="w", options={"threads_base_url": sb.url})
    pool = ClientPool(settings)
    yield pool
    pool.close()


def fast(pool: ClientPool, account: str) -> None:
    client = pool.client(account)
    client._sleep = lambda seconds: None


def test_settings_travel_by_pickle_and_hold_no_secret(redis_url: str) -> None:
    settings = WorkerSettings(redis_url, app="w", options={"gh_username": "me"})
    assert pickle.loads(pickle.dumps(settings)) == settings
    for secret in ("access_token", "gh_bearer_token", "credentials"):
        with pytest.raises(ValidationError) as caught:
            WorkerSettings(redis_url, options={secret: "x"})
        assert caught.value.parameter == secret
    with pytest.raises(ValidationError) as caught:
        WorkerSettings()
    assert caught.value.parameter == "redis_url"


def test_settings_from_the_environment() -> None:
    env = {
        "REDIS_URL": "redis://cache:6379/1",
        "THREADSPIPEPY_APP": "agency",
        "THREADS_API_BASE_URL": "http://127.0.0.1:9",
        "GH_USERNAME": "me",
        "GH_REPO_NAME": "media",
        "GH_BEARER_TOKEN": "ghp_never_in_settings",
    }
    settings = WorkerSettings.from_env(env, journal_wait=5)
    assert settings.redis_url == "redis://cache:6379/1" and settings.app == "agency"
    assert settings.options == {
        "threads_base_url": "http://127.0.0.1:9",
        "gh_username": "me",
        "gh_repo_name": "media",
        "journal_wait": 5,
    }
    assert "ghp_never" not in repr(settings) + repr(pickle.dumps(settings))
    env["THREADSPIPEPY_REDIS_URL"] = "redis://other:6379/0"
    assert WorkerSettings.from_env(env).redis_url == "redis://other:6379/0"


def test_credentials_pickle_with_their_token_masked_in_reprs() -> None:
    creds = Credentials(user_id="42", access_token="THAA-secret-token", scopes=("a",))
    assert pickle.loads(pickle.dumps(creds)) == creds
    assert "THAA-secret-token" not in repr(creds) + str(creds)


def test_one_client_per_account_reused_with_shared_stores(
    sb: ThreadsSandbox, pool: ClientPool, redis_url: str
) -> None:
    other = sb.add_account()
    RedisTokenStore(redis_url, other.user_id, app="w").save(oauth_token(sb, other.user_id))
    first = pool.client(sb.user_id)
    assert pool.client(sb.user_id) is first
    second = pool.client(int(other.user_id))
    assert second is not first
    for client in (first, second):
        assert isinstance(client._config.journal, RedisJournal)
        assert isinstance(client._config.quota_reservations, RedisQuota)
    assert first._config.journal is second._config.journal  # one store per pool


def test_a_forked_child_builds_its_own_clients(
    sb: ThreadsSandbox, pool: ClientPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = pool.client(sb.user_id)
    monkeypatch.setattr(os, "getpid", lambda: -1)  # what a pre-forked child sees
    assert pool.client(sb.user_id) is not parent


def test_an_account_without_a_stored_token_is_a_validation_error(pool: ClientPool) -> None:
    with pytest.raises(ValidationError, match="holds no token yet"):
        pool.client("17841499999999999")


def test_a_complete_chain_reports_each_part(sb: ThreadsSandbox, pool: ClientPool) -> None:
    fast(pool, sb.user_id)
    report = post_chain(pool, sb.user_id, "job-1", TEXT)
    ids = [p["id"] for p in sb.posts]
    assert report == {
        "account": sb.user_id,
        "key": "job-1",
        "ok": True,
        "message": "Post piped to Instagram Threads successfully!",
        "media_ids": ids,
        "parts": [{"index": i, "state": "published", "id": m} for i, m in enumerate(ids)],
        "total": 2,
    }
    sb.clear_requests()
    assert post_chain(pool, sb.user_id, "job-1", TEXT)["media_ids"] == ids  # redelivered
    assert sb.requests == []


def test_a_stopped_chain_raises_with_its_parts_and_the_retry_finishes_it(
    sb: ThreadsSandbox, pool: ClientPool
) -> None:
    fast(pool, sb.user_id)
    sb.fail("POST", PUBLISH, skip=1, times=None)
    with pytest.raises(ChainNotFinished) as caught:
        post_chain(pool, sb.user_id, "job-2", TEXT)
    assert not isinstance(caught.value, QuotaFull)
    parts = caught.value.report["parts"]
    assert [p["state"] for p in parts] == ["published", "in_doubt"]  # a 500 to its publish
    assert parts[1]["container_id"]
    assert "job-2" in str(caught.value)
    again = pickle.loads(pickle.dumps(caught.value))  # queues store the exception
    assert again.report == caught.value.report and str(again) == str(caught.value)
    sb.clear_faults()
    report = post_chain(pool, sb.user_id, "job-2", TEXT)
    assert report["ok"] and len(report["media_ids"]) == 2 == len(sb.posts)


def test_no_room_in_the_quota_is_quota_full_with_nothing_sent(
    sb: ThreadsSandbox, pool: ClientPool
) -> None:
    fast(pool, sb.user_id)
    sb.set_quota_usage(posts=250)
    with pytest.raises(QuotaFull) as caught:
        post_chain(pool, sb.user_id, "job-3", TEXT)
    assert caught.value.report["media_ids"] == [] and sb.posts == []


def test_bad_content_fails_for_good(sb: ThreadsSandbox, pool: ClientPool) -> None:
    with pytest.raises(ValidationError):
        post_chain(pool, sb.user_id, "job-4", None)


def test_without_redis_the_stores_of_one_machine(sb: ThreadsSandbox, tmp_path: Path) -> None:
    from threadspipepy.quota_reservations import LocalQuota
    from threadspipepy.tokens import JsonFileTokenStore

    JsonFileTokenStore(tmp_path / f"{sb.user_id}.json").save(oauth_token(sb, sb.user_id))
    settings = WorkerSettings(
        token_dir=str(tmp_path),
        journal=str(tmp_path / "journal.sqlite3"),
        options={"threads_base_url": sb.url},
    )
    pool = ClientPool(settings)
    fast(pool, sb.user_id)
    client: Any = pool.client(sb.user_id)
    assert isinstance(client._config.quota_reservations, LocalQuota)
    assert post_chain(pool, sb.user_id, "job-5", TEXT)["ok"]
    assert (tmp_path / "journal.sqlite3").exists()
    pool.close()


def test_the_least_recently_used_client_is_closed_past_max_clients(
    sb: ThreadsSandbox, redis_url: str
) -> None:
    other = sb.add_account()
    for user in (sb.user_id, other.user_id):
        RedisTokenStore(redis_url, user, app="w").save(oauth_token(sb, user))
    pool = ClientPool(
        WorkerSettings(redis_url, app="w", options={"threads_base_url": sb.url}), max_clients=1
    )
    first = pool.client(sb.user_id)
    closed: list[str] = []
    first.close = lambda: closed.append("first")  # type: ignore[method-assign]
    second = pool.client(other.user_id)
    assert closed == ["first"]
    assert pool.client(other.user_id) is second
    assert pool.client(sb.user_id) is not first  # built again when needed
    with pytest.raises(ValidationError) as caught:
        ClientPool(pool.settings, max_clients=0)
    assert caught.value.parameter == "max_clients"
    pool.close()
