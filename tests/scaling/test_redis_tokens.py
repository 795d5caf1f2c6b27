"""RedisTokenStore against a real redis-server and the sandbox's OAuth: one refresh per account
across processes, a lock that outlives no dead holder, a busy lock that postpones, errors typed,
no token in reprs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.redis_stores import RedisTokenStore
from threadspipepy.testing import ThreadsSandbox
from threadspipepy.tokens import TokenStore, TokenStoreError

from ..api.conftest import FakeTime
from ..api.test_token_keepalive import REFRESH, oauth_credentials
from .redis_server import free_port

DAY = 86400


@pytest.fixture
def sb() -> Any:
    with ThreadsSandbox() as sandbox:
        yield sandbox


def bot(sb: ThreadsSandbox, store: RedisTokenStore) -> ThreadsPipe:
    tp = FakeTime(sb).install(ThreadsPipe(token_store=store, threads_base_url=sb.url))
    tp._now = sb.wall_time
    return tp


def test_credentials_round_trip_under_a_namespaced_key(
    sb: ThreadsSandbox, redis_url: str, redis_client: Any
) -> None:
    creds = oauth_credentials(sb)
    store = RedisTokenStore(redis_url, creds.user_id, app="tests")
    assert isinstance(store, TokenStore)
    assert store.load() is None
    store.save(creds)
    assert store.load() == creds
    assert [k.decode() for k in redis_client.keys("*")] == [
        f"threadspipepy:tests:token:{creds.user_id}"
    ]
    assert creds.access_token not in repr(store)
    with pytest.raises(ValidationError) as caught:
        RedisTokenStore(redis_url, "someone-else", app="tests").save(creds)
    assert caught.value.parameter == "credentials"


CHILD = """
import json, os, sys, time
from datetime import datetime
from threadspipepy import ThreadsPipe
from threadspipepy.redis_stores import RedisTokenStore

url, user, base, now, ready, go = sys.argv[1:7]
moment = datetime.fromisoformat(now)
tp = ThreadsPipe(token_store=RedisTokenStore(url, user, app="tests"), threads_base_url=base)
tp._now = lambda: moment
open(ready, "w").close()
deadline = time.monotonic() + 20
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.005)
result = tp.get_quota_usage()
print(json.dumps({"ok": "error" not in result, "error": result.get("error")}))
"""


def test_four_processes_see_one_refresh(sb: ThreadsSandbox, redis_url: str, tmp_path: Any) -> None:
    creds = oauth_credentials(sb)
    store = RedisTokenStore(redis_url, creds.user_id, app="tests")
    store.save(creds)
    sb.advance(8 * DAY)
    sb.delay("GET", REFRESH, 0.3)  # the others arrive while the first refreshes
    go, now = tmp_path / "go", sb.wall_time().isoformat()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                redis_url,
                creds.user_id,
                sb.url,
                now,
                str(tmp_path / f"r{i}"),
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    try:
        deadline = time.monotonic() + 30
        while not all((tmp_path / f"r{i}").exists() for i in range(4)):
            assert time.monotonic() < deadline, "the children did not start"
            time.sleep(0.01)
        go.touch()
        outputs = [child.communicate(timeout=30) for child in children]
    finally:
        for child in children:
            child.kill()
    for out, err in outputs:
        assert json.loads(out) == {"ok": True, "error": None}, err
    assert len(sb.requests_to("GET", REFRESH)) == 1
    new = store.load()
    assert new is not None and new.access_token != creds.access_token


def test_a_lock_whose_holder_died_expires(sb: ThreadsSandbox, redis_url: str) -> None:
    creds = oauth_credentials(sb)
    store = RedisTokenStore(redis_url, creds.user_id, app="tests", lock_ttl=0.3)
    store.save(creds)
    subprocess.run(
        [sys.executable, "-c",
         "import os, sys\n"
         "from threadspipepy.redis_stores import RedisTokenStore\n"
         "store = RedisTokenStore(sys.argv[1], sys.argv[2], app='tests', lock_ttl=0.3)\n"
         "store.lock().__enter__()\n"
         "os._exit(0)  # dies holding the lock\n",
         redis_url, creds.user_id],
        check=True,
    )  # fmt: skip
    sb.advance(8 * DAY)
    tp = bot(sb, store)
    started = time.monotonic()
    assert tp.get_quota_usage().ok
    assert time.monotonic() - started < 5
    assert len(sb.requests_to("GET", REFRESH)) == 1


def test_a_busy_lock_postpones_the_refresh(
    sb: ThreadsSandbox, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    creds = oauth_credentials(sb)
    store = RedisTokenStore(redis_url, creds.user_id, app="tests", lock_timeout=0.1)
    store.save(creds)
    sb.advance(8 * DAY)
    tp = bot(sb, store)
    with RedisTokenStore(redis_url, creds.user_id, app="tests").lock():
        assert tp.get_quota_usage().ok  # the old token is still valid and is used
    assert sb.requests_to("GET", REFRESH) == []
    assert "the store's lock was busy" in caplog.text
    assert creds.access_token not in caplog.text


def test_redis_failures_are_token_store_errors() -> None:
    store = RedisTokenStore(f"redis://127.0.0.1:{free_port()}/0", "42")
    with pytest.raises(TokenStoreError, match="Redis failed while reading the token of 42"):
        store.load()
    with pytest.raises(TokenStoreError):
        ThreadsPipe(token_store=store)


def test_a_stored_token_that_is_not_credentials_is_reported(
    redis_url: str, redis_client: Any
) -> None:
    redis_client.set("threadspipepy:tests:token:42", "not json")
    with pytest.raises(TokenStoreError, match="does not hold Credentials JSON"):
        RedisTokenStore(redis_url, "42", app="tests").load()


def test_bad_options_are_refused(redis_url: str) -> None:
    for kwargs, parameter in (
        ({"user_id": ""}, "user_id"),
        ({"user_id": "1", "lock_ttl": 0}, "lock_ttl"),
        ({"user_id": "1", "lock_timeout": -1}, "lock_timeout"),
    ):
        with pytest.raises(ValidationError) as caught:
            RedisTokenStore(redis_url, **kwargs)
        assert caught.value.parameter == parameter
