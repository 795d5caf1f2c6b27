"""Token keep-alive against the sandbox over HTTP: `ThreadsPipe(token_store=...)` refreshes a
long-lived token when it is due and not before, once across threads and processes sharing a
store, keeps the old token when a refresh fails, says how to get a new token when it is dead,
and keeps a bot alive across months of the sandbox's clock."""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values

from threadspipepy import (
    Credentials,
    ThreadsPipe,
    TokenExpiredError,
    ValidationError,
    auth,
    tokens,
)
from threadspipepy.testing import ThreadsSandbox
from threadspipepy.tokens import EnvFileTokenStore, JsonFileTokenStore, TokenStoreError

from .conftest import FakeTime

DAY = 86400
REFRESH = "/refresh_access_token"
QUOTA = "/v1.0/*/threads_publishing_limit"


# -- helpers ----------------------------------------------------------------------------------
def oauth_credentials(sb: ThreadsSandbox, scope: str = "basic,publish") -> Credentials:
    """A long-lived token from the sandbox's OAuth flow (it expires after 60 days)."""
    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri, scope)
    return auth.complete_authorization(
        sb.app_id, sb.app_secret, sb.redirect_uri, sb.authorize(url), state, base_url=sb.url
    )


class MemoryStore:
    """A custom store: any object with load() and save()."""

    def __init__(self, credentials: Credentials | None = None) -> None:
        self.saved: list[Credentials] = [] if credentials is None else [credentials]
        self.fail_saves = 0

    def load(self) -> Credentials | None:
        return self.saved[-1] if self.saved else None

    def save(self, credentials: Credentials) -> None:
        if self.fail_saves:
            self.fail_saves -= 1
            raise tokens.TokenStoreError("the database is read-only for now")
        self.saved.append(credentials)


def bot(sb: ThreadsSandbox, store: Any, **options: Any) -> ThreadsPipe:
    """A client on the store whose clocks follow the sandbox's."""
    tp = ThreadsPipe(token_store=store, threads_base_url=sb.url, **options)
    FakeTime(sb).install(tp)
    tp._now = sb.wall_time
    return tp


def refreshes(sb: ThreadsSandbox) -> int:
    return len(sb.requests_to("GET", REFRESH))


def bearer(request: Any) -> str:
    return str(request.headers["Authorization"]).removeprefix("Bearer ")


def quota_tokens(sb: ThreadsSandbox) -> list[str]:
    """The token each quota read was sent with, in order."""
    return [bearer(r) for r in sb.requests_to("GET", QUOTA)]


@pytest.fixture(params=["env", "json", "object"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_store(kind: str, tmp_path: Path, creds: Credentials) -> Any:
    if kind == "env":
        path = tmp_path / ".env"
        path.write_text("# my bot\nGH_REPO_NAME=media  # kept\n")
        EnvFileTokenStore(path).save(creds)
        return path
    if kind == "json":
        path = tmp_path / "threads-token.json"
        JsonFileTokenStore(path).save(creds)
        return str(path)
    return MemoryStore(creds)


def stored(store: Any) -> Credentials:
    loaded = tokens.as_token_store(store).load()
    assert loaded is not None
    return loaded


# -- when it refreshes --------------------------------------------------------------------------
def test_refreshes_when_due_and_not_before(
    sandbox: ThreadsSandbox, tmp_path: Path, store_kind: str
) -> None:
    creds = oauth_credentials(sandbox)
    store = make_store(store_kind, tmp_path, creds)
    with bot(sandbox, store) as tp:
        sandbox.advance(6 * DAY + 23 * 3600)  # under the 7 days of refresh_after
        assert tp.get_quota_usage().ok
        assert refreshes(sandbox) == 0
        assert stored(store).access_token == creds.access_token

        sandbox.advance(3600)  # 7 days old: due
        assert tp.get_quota_usage().ok
        assert refreshes(sandbox) == 1
        new = stored(store)
        assert new.access_token != creds.access_token
        info = sandbox.token_info(new.access_token)
        assert info is not None and info["long_lived"]
        # The store records when it was issued and when it expires, by the sandbox's clock.
        assert new.issued_at is not None and new.expiration is not None
        assert abs((new.issued_at - sandbox.wall_time()).total_seconds()) < 60
        assert abs((new.expiration - new.issued_at).total_seconds() - 60 * DAY) < 60
        assert new.scopes == creds.scopes
        # The refresh went out first, then the request with the new token, and so on.
        assert quota_tokens(sandbox) == [creds.access_token, new.access_token]
        assert tp.__threads_access_token__ == new.access_token

        sandbox.advance(6 * DAY)
        assert tp.get_quota_usage().ok and tp.pipe("still here").ok
        assert refreshes(sandbox) == 1
        assert {bearer(r) for r in sandbox.requests[-4:]} == {new.access_token}


def test_the_env_store_keeps_every_other_line(sandbox: ThreadsSandbox, tmp_path: Path) -> None:
    creds = oauth_credentials(sandbox)
    env = tmp_path / ".env"
    env.write_text(
        "# my bot\n"
        f"THREADS_USER_ID={creds.user_id}\n"
        f"export THREADS_ACCESS_TOKEN='{creds.access_token}'  # refreshed by the bot\n"
        "GH_REPO_NAME=media\n"
    )
    sandbox.advance(2 * DAY)  # an old token whose age the file does not say
    with bot(sandbox, env) as tp:
        assert tp.get_profile().ok
    assert refreshes(sandbox) == 1  # unknown age: refreshed at once
    values = dotenv_values(env)
    new = values["THREADS_ACCESS_TOKEN"]
    assert new and new != creds.access_token
    lines = env.read_text().splitlines()
    assert lines[:2] == ["# my bot", f"THREADS_USER_ID={creds.user_id}"]
    assert lines[2] == f"export THREADS_ACCESS_TOKEN='{new}'  # refreshed by the bot"
    assert lines[3] == "GH_REPO_NAME=media"
    issued = datetime.fromisoformat(str(values["THREADS_TOKEN_ISSUED_AT"]).replace("Z", "+00:00"))
    expires = datetime.fromisoformat(str(values["THREADS_TOKEN_EXPIRES_AT"]).replace("Z", "+00:00"))
    assert abs((expires - issued).total_seconds() - 60 * DAY) < 60
    assert values["THREADS_TOKEN_SCOPES"] == ""  # a hand-written file did not say
    assert values["THREADS_TOKEN_FINGERPRINT"] and values["THREADS_TOKEN_FINGERPRINT"] not in new


def test_a_young_token_of_unknown_age_is_counted_from_now(
    sandbox: ThreadsSandbox, tmp_path: Path
) -> None:
    creds = oauth_credentials(sandbox)
    env = tmp_path / ".env"
    env.write_text(f"THREADS_USER_ID={creds.user_id}\nTHREADS_ACCESS_TOKEN={creds.access_token}\n")
    with bot(sandbox, env) as tp:
        assert tp.get_profile().ok  # Meta refuses the refresh (under 24 h); the call works
        assert refreshes(sandbox) == 1
        record = stored(env)
        assert record.access_token == creds.access_token
        assert record.issued_at is not None
        assert abs((record.issued_at - sandbox.wall_time()).total_seconds()) < 60
        assert tp.get_profile().ok
        assert refreshes(sandbox) == 1  # not asked again: its age is known now
        sandbox.advance(7 * DAY)
        assert tp.get_profile().ok
        assert refreshes(sandbox) == 2
        assert stored(env).access_token != creds.access_token


def test_a_token_replaced_by_hand_is_not_given_the_old_times(
    sandbox: ThreadsSandbox, tmp_path: Path
) -> None:
    old, new = oauth_credentials(sandbox), oauth_credentials(sandbox)
    env = tmp_path / ".env"
    store = EnvFileTokenStore(env)
    store.save(old)
    auth.update_env_file(env, "THREADS_ACCESS_TOKEN", new.access_token)  # access_token -p -v
    loaded = store.load()
    assert loaded is not None and loaded.access_token == new.access_token
    assert loaded.issued_at is None and loaded.expiration is None and loaded.scopes == ()


def test_refresh_after_is_checked_before_anything(sandbox: ThreadsSandbox, tmp_path: Path) -> None:
    creds = oauth_credentials(sandbox)
    sandbox.clear_requests()
    for bad in (3600, timedelta(days=60), "7d", True):
        with pytest.raises(ValidationError) as caught:
            ThreadsPipe(
                token_store=tmp_path / "t.json",
                credentials=creds,
                refresh_after=bad,
                threads_base_url=sandbox.url,
            )
        assert caught.value.parameter == "refresh_after"
        assert "24 hours" in str(caught.value) or "timedelta" in str(caught.value)
    assert not (tmp_path / "t.json").exists()
    assert sandbox.requests == []


def test_refresh_after_is_configurable(sandbox: ThreadsSandbox, tmp_path: Path) -> None:
    creds = oauth_credentials(sandbox)
    with bot(sandbox, tmp_path / "t.json", credentials=creds, refresh_after=2 * DAY) as tp:
        sandbox.advance(DAY + 3600)
        assert tp.get_profile().ok and refreshes(sandbox) == 0
        sandbox.advance(DAY)
        assert tp.get_profile().ok and refreshes(sandbox) == 1


# -- the store ----------------------------------------------------------------------------------
def test_an_empty_store_is_filled_from_the_arguments(
    sandbox: ThreadsSandbox, tmp_path: Path
) -> None:
    creds = oauth_credentials(sandbox)
    path = tmp_path / "new.json"
    with bot(sandbox, path, credentials=creds) as tp:
        assert stored(path) == creds
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert tp.get_profile().ok
    with pytest.raises(ValidationError) as caught:
        ThreadsPipe(token_store=tmp_path / "empty.env", threads_base_url=sandbox.url)
    assert caught.value.parameter == "token_store"
    with pytest.raises(ValidationError) as caught:
        ThreadsPipe("999", token_store=path, threads_base_url=sandbox.url)
    assert caught.value.parameter == "user_id"
    for bad in (42, "", object()):
        with pytest.raises(ValidationError) as caught:
            ThreadsPipe(token_store=bad, threads_base_url=sandbox.url)
        assert caught.value.parameter == "token_store"


def test_the_store_wins_over_a_stale_token_argument(
    sandbox: ThreadsSandbox, tmp_path: Path
) -> None:
    creds = oauth_credentials(sandbox)
    path = tmp_path / "t.json"
    JsonFileTokenStore(path).save(creds)
    with bot(sandbox, path, user_id=creds.user_id, access_token="THAAstale-from-the-env") as tp:
        assert tp.get_profile().ok
    assert bearer(sandbox.requests[-1]) == creds.access_token


def test_a_broken_store_is_reported(sandbox: ThreadsSandbox, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("{not json")
    with pytest.raises(TokenStoreError, match="Credentials JSON"):
        ThreadsPipe(token_store=path, threads_base_url=sandbox.url)
    env = tmp_path / ".env"
    env.write_text("THREADS_ACCESS_TOKEN=THAAsomething\n")
    with pytest.raises(TokenStoreError, match="THREADS_USER_ID"):
        ThreadsPipe(token_store=env, threads_base_url=sandbox.url)


def test_update_param_saves_the_new_token_to_the_store(
    sandbox: ThreadsSandbox, tmp_path: Path
) -> None:
    first, second = oauth_credentials(sandbox), oauth_credentials(sandbox)
    path = tmp_path / "t.json"
    with bot(sandbox, path, credentials=first) as tp:
        tp.update_param(access_token=second.access_token)
        assert stored(path).access_token == second.access_token
        assert tp.get_profile().ok
        assert bearer(sandbox.requests[-1]) == second.access_token


def test_a_save_that_fails_keeps_the_new_token_and_is_retried(
    sandbox: ThreadsSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    creds = oauth_credentials(sandbox)
    store = MemoryStore(creds)
    with bot(sandbox, store) as tp, caplog.at_level(logging.INFO, "threadspipepy"):
        sandbox.advance(8 * DAY)
        store.fail_saves = 1
        assert tp.get_profile().ok
        fresh = tp.__threads_access_token__
        assert fresh != creds.access_token and bearer(sandbox.requests[-1]) == fresh
        assert store.load() == creds  # not saved yet
        assert "could not save it" in caplog.text
        sandbox.advance(2 * 3600)
        assert tp.get_profile().ok
        saved = store.load()
        assert saved is not None and saved.access_token == fresh
        assert refreshes(sandbox) == 1  # saved, not refreshed again


# -- one refresh across threads and processes ----------------------------------------------------
def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


@pytest.mark.parametrize("shared_client", [False, True])
def test_eight_threads_see_one_refresh(
    sandbox: ThreadsSandbox, tmp_path: Path, store_kind: str, shared_client: bool
) -> None:
    creds = oauth_credentials(sandbox)
    store = make_store(store_kind, tmp_path, creds)
    clients = [bot(sandbox, store) for _ in range(1 if shared_client else 8)]
    sandbox.advance(8 * DAY)
    sandbox.delay("GET", REFRESH, 0.2)  # a slow refresh: the others arrive while it runs
    results = run_together(8, lambda i: clients[i % len(clients)].get_quota_usage())
    for client in clients:
        client.close()
    assert all(r.ok for r in results), results
    assert refreshes(sandbox) == 1
    new = stored(store).access_token
    assert new != creds.access_token
    assert quota_tokens(sandbox) == [new] * 8  # every thread sent the refreshed token
    assert {c.__threads_access_token__ for c in clients} == {new}


CHILD = """
import json, os, sys, time
from datetime import datetime
from threadspipepy import ThreadsPipe

store, url, now, ready, go = sys.argv[1:6]
moment = datetime.fromisoformat(now)
tp = ThreadsPipe(token_store=store, threads_base_url=url)
tp._now = lambda: moment
open(ready, "w").close()
deadline = time.monotonic() + 20
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.005)
result = tp.get_quota_usage()
print(json.dumps({"ok": "error" not in result, "error": result.get("error")}))
"""


@pytest.mark.parametrize("suffix", [".env", ".json"])
def test_four_processes_see_one_refresh(
    sandbox: ThreadsSandbox, tmp_path: Path, suffix: str
) -> None:
    creds = oauth_credentials(sandbox)
    path = tmp_path / f"store{suffix}"
    tokens.as_token_store(path).save(creds)
    sandbox.advance(8 * DAY)
    sandbox.delay("GET", REFRESH, 0.3)
    go = tmp_path / "go"
    now = sandbox.wall_time().isoformat()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(path),
                sandbox.url,
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
        wait_for(lambda: all((tmp_path / f"r{i}").exists() for i in range(4)))
        go.touch()
        outputs = [child.communicate(timeout=30) for child in children]
    finally:
        for child in children:
            child.kill()
    for out, err in outputs:
        assert json.loads(out) == {"ok": True, "error": None}, err
    assert refreshes(sandbox) == 1
    new = stored(path).access_token
    assert new != creds.access_token
    assert quota_tokens(sandbox) == [new] * 4


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the child processes did not start")


# -- failures -----------------------------------------------------------------------------------
FAULTS: dict[str, Callable[[ThreadsSandbox], None]] = {
    "500": lambda sb: sb.fail("GET", REFRESH),
    "html 502": lambda sb: sb.fail("GET", REFRESH, 502, html=True),
    "500 after processing": lambda sb: sb.fail("GET", REFRESH, after=True),
    "rate limited": lambda sb: sb.rate_limit("GET", REFRESH, retry_after=30),
    "dropped": lambda sb: sb.drop("GET", REFRESH),
    "dropped after processing": lambda sb: sb.drop("GET", REFRESH, after=True),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failed_refresh_keeps_the_old_token_and_is_tried_again(
    sandbox: ThreadsSandbox,
    tmp_path: Path,
    store_kind: str,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    creds = oauth_credentials(sandbox)
    store = make_store(store_kind, tmp_path, creds)
    with bot(sandbox, store) as tp, caplog.at_level(logging.INFO, "threadspipepy"):
        sandbox.advance(8 * DAY)
        FAULTS[fault](sandbox)
        result = tp.pipe("posted with the old token")
        assert result.ok, result
        assert refreshes(sandbox) == 1
        assert stored(store) == creds  # the old token is still the stored one
        assert bearer(sandbox.requests_to("POST", "/v1.0/*/threads_publish")[-1]) == (
            creds.access_token
        )
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert any("Could not refresh the access token" in r.getMessage() for r in warnings)

        assert tp.get_profile().ok  # not tried again at once
        assert refreshes(sandbox) == 1
        sandbox.advance(3600)  # the retry interval
        assert tp.get_profile().ok
        assert refreshes(sandbox) == 2
        new = stored(store)
        assert new.access_token not in (creds.access_token,)
        assert bearer(sandbox.requests[-1]) == new.access_token
    for record in caplog.records:
        text = record.getMessage()
        assert creds.access_token not in text and new.access_token not in text


def test_an_expired_token_says_how_to_get_a_new_one(
    sandbox: ThreadsSandbox, tmp_path: Path, store_kind: str
) -> None:
    creds = oauth_credentials(sandbox)
    store = make_store(store_kind, tmp_path, creds)
    with bot(sandbox, store) as tp:
        sandbox.advance(61 * DAY)
        sandbox.clear_requests()
        result = tp.pipe("too late")
        assert not result.ok
        error = result.exception
        assert isinstance(error, TokenExpiredError)
        message = str(error)
        for words in ("expired", "threadspipepy auth-url", "threadspipepy access_token"):
            assert words in message
        assert "docs/03-setup-and-auth.md#token-keep-alive" in message
        assert creds.access_token not in message
        # Only the refresh was sent: the post's requests would have failed too.
        assert [r.path for r in sandbox.requests] == [REFRESH]
        assert stored(store) == creds  # the store keeps its token
    with (
        bot(sandbox, store, raise_on_error=True) as tp,
        pytest.raises(TokenExpiredError, match="threadspipepy auth-url"),
    ):
        tp.get_profile()


def test_a_revoked_token_says_how_to_get_a_new_one(sandbox: ThreadsSandbox, tmp_path: Path) -> None:
    creds = oauth_credentials(sandbox)
    path = tmp_path / "t.json"
    with bot(sandbox, path, credentials=creds) as tp:
        sandbox.fail(
            "GET",
            QUOTA,
            code=190,
            subcode=460,
            message="Error validating access token: The session has been invalidated because "
            "the user changed their password or Facebook has changed the session for security "
            "reasons.",
        )
        result = tp.get_quota_usage()
        error = result.exception
        assert isinstance(error, TokenExpiredError)
        assert error.code == 190 and error.subcode == 460
        assert "invalidated" in str(error) and "threadspipepy auth-url" in str(error)
        assert str(path) in str(error)


def test_a_new_token_saved_to_the_store_is_picked_up_after_a_refusal(
    sandbox: ThreadsSandbox, tmp_path: Path
) -> None:
    old = oauth_credentials(sandbox)
    path = tmp_path / "t.json"
    with bot(sandbox, path, credentials=old) as tp:
        new = oauth_credentials(sandbox)
        JsonFileTokenStore(path).save(new)  # the user authorized again; the bot runs on
        sandbox.fail("GET", QUOTA, code=190, subcode=460, message="Session invalidated.")
        error = tp.get_quota_usage().exception
        assert isinstance(error, TokenExpiredError)
        assert "later requests send it" in str(error)
        assert tp.get_quota_usage().ok
        assert bearer(sandbox.requests[-1]) == new.access_token


# -- months of a bot ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("every_days", "refresh_after_days"), [(7, 7), (2, 10)], ids=["weekly", "every-2-days"]
)
def test_a_token_store_keeps_a_bot_alive_for_six_months(
    sandbox: ThreadsSandbox, tmp_path: Path, every_days: int, refresh_after_days: int
) -> None:
    creds = oauth_credentials(sandbox)
    path = tmp_path / ".env"
    EnvFileTokenStore(path).save(creds)
    assert creds.issued_at is not None
    issued: list[datetime] = [creds.issued_at]  # each issue time the store has held
    runs = 180 // every_days
    for run in range(runs):
        sandbox.advance(every_days * DAY)
        # A cron job: a new process (here a new client) every time, the same store.
        with bot(sandbox, path, refresh_after=refresh_after_days * DAY) as tp:
            result = tp.pipe(f"run {run}: still alive")
            assert result.ok, (run, result)
        record = stored(path)
        assert record.issued_at is not None
        if record.issued_at != issued[-1]:
            issued.append(record.issued_at)
    assert len(sandbox.posts) == runs
    # Refreshed as configured: never before refresh_after, and at the first run after it.
    gaps = [later - earlier for earlier, later in itertools.pairwise(issued)]
    assert len(gaps) >= 180 // (refresh_after_days + every_days)
    for gap in gaps:
        assert timedelta(days=refresh_after_days) <= gap
        assert gap < timedelta(days=refresh_after_days + every_days, hours=1)
    assert refreshes(sandbox) == len(issued) - 1  # one refresh per window, no more
    final = stored(path)
    info = sandbox.token_info(final.access_token)
    assert info is not None and info["expires_at"] - sandbox.now() > 40 * DAY


def test_without_a_token_store_the_same_bot_dies_after_sixty_days(
    sandbox: ThreadsSandbox,
) -> None:
    creds = oauth_credentials(sandbox)
    outcomes = []
    for _ in range(10):
        sandbox.advance(7 * DAY)
        with FakeTime(sandbox).install(
            ThreadsPipe.from_credentials(creds, threads_base_url=sandbox.url)
        ) as tp:
            outcomes.append(tp.pipe("hello").exception)
    assert outcomes[:8] == [None] * 8
    assert all(isinstance(e, TokenExpiredError) for e in outcomes[8:])


# -- secrets ------------------------------------------------------------------------------------
def test_no_token_in_logs_reprs_or_errors(
    sandbox: ThreadsSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    creds = oauth_credentials(sandbox)
    env = tmp_path / ".env"
    EnvFileTokenStore(env).save(creds)
    seen: list[str] = [creds.access_token]
    with caplog.at_level(logging.DEBUG), bot(sandbox, env) as tp:
        sandbox.advance(8 * DAY)
        sandbox.fail("GET", REFRESH)
        assert tp.get_profile().ok  # failed refresh: a warning
        sandbox.advance(2 * 3600)
        assert tp.get_profile().ok  # refreshed
        seen.append(stored(env).access_token)
        texts = [repr(tp), repr(tp._keeper.store if tp._keeper else None)]
        texts += [repr(EnvFileTokenStore(env)), repr(JsonFileTokenStore(tmp_path / "x"))]
        texts += [repr(stored(env)), str(stored(env))]
        sandbox.advance(70 * DAY)
        error = tp.get_profile().exception
        assert isinstance(error, TokenExpiredError)
        texts += [str(error), repr(error), json.dumps(tp.get_profile())]
    texts += [record.getMessage() for record in caplog.records]
    assert any("Refreshed the access token" in t for t in texts)
    for text in texts:
        for token in seen:
            assert token not in text


def test_a_custom_store_with_a_lock_is_held_around_the_refresh(
    sandbox: ThreadsSandbox,
) -> None:
    creds = oauth_credentials(sandbox)
    events: list[str] = []

    class Locked(MemoryStore):
        def lock(self) -> AbstractContextManager[None]:
            store = self

            class Held:
                def __enter__(self) -> None:
                    events.append("lock")

                def __exit__(self, *exc: object) -> None:
                    events.append(f"unlock:{store.load() != creds}")

            return Held()

        def load(self) -> Credentials | None:
            events.append("load")
            return super().load()

    store = Locked(creds)
    with bot(sandbox, store) as tp:
        events.clear()
        sandbox.advance(8 * DAY)
        assert tp.get_profile().ok
    # lock, re-read inside, refresh and save, then unlock with the new token stored
    assert events[:2] == ["lock", "load"]
    assert events[-1] == "unlock:True"
    assert events.count("lock") == 1


# -- without a client: token_status and refresh_stored_token --------------------------------------
def test_token_status_from_debug_token_and_from_the_record(sandbox: ThreadsSandbox) -> None:
    creds = oauth_credentials(sandbox)
    store = MemoryStore(creds)
    status = tokens.token_status(store, base_url=sandbox.url)
    assert (status.source, status.valid, status.user_id) == ("debug_token", True, creds.user_id)
    assert status.scopes == ("threads_basic", "threads_content_publish")
    assert status.expires_at is not None and status.issued_at is not None
    assert abs((status.expires_at - status.issued_at).total_seconds() - 60 * DAY) < 5
    assert status.refresh_due_at == status.issued_at + timedelta(days=7)
    assert creds.access_token not in repr(status) + json.dumps(status.to_dict())

    sandbox.set_tester(tester=False)
    status = tokens.token_status(store, base_url=sandbox.url, refresh_after=timedelta(days=3))
    assert (status.source, status.valid) == ("store", None)
    assert status.note is not None and status.note.startswith("debug_token refused")
    assert status.expires_at == creds.expiration and status.scopes == creds.scopes
    assert creds.issued_at is not None
    assert status.refresh_due_at == creds.issued_at + timedelta(days=3)
    assert creds.access_token not in status.note

    assert creds.issued_at is not None and creds.expiration is not None
    shift = timedelta(days=61)  # a record that says the token expired a day ago
    old = replace(creds, issued_at=creds.issued_at - shift, expiration=creds.expiration - shift)
    assert tokens.token_status(MemoryStore(old), base_url=sandbox.url).valid is False

    with pytest.raises(TokenStoreError, match="holds no token"):
        tokens.token_status(MemoryStore(), base_url=sandbox.url)


def test_refresh_stored_token(sandbox: ThreadsSandbox, tmp_path: Path) -> None:
    creds = oauth_credentials(sandbox)
    path = tmp_path / "t.json"
    JsonFileTokenStore(path).save(creds)
    sandbox.advance(2 * DAY)
    saved, refreshed = tokens.refresh_stored_token(
        path, force=False, base_url=sandbox.url, now=sandbox.wall_time
    )
    assert not refreshed and saved == creds and refreshes(sandbox) == 0
    saved, refreshed = tokens.refresh_stored_token(path, base_url=sandbox.url)
    assert refreshed and saved == stored(path) and saved.access_token != creds.access_token
    sandbox.advance(61 * DAY)
    with pytest.raises(TokenExpiredError, match="threadspipepy auth-url"):
        tokens.refresh_stored_token(path, base_url=sandbox.url)
    assert stored(path) == saved


def test_disable_logging_silences_the_keep_alive_too(
    sandbox: ThreadsSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    creds = oauth_credentials(sandbox)
    path = tmp_path / "t.json"
    with (
        bot(sandbox, path, credentials=creds, disable_logging=True) as tp,
        caplog.at_level(logging.INFO, "threadspipepy"),
    ):
        sandbox.advance(8 * DAY)
        sandbox.fail("GET", REFRESH)
        assert tp.get_profile().ok
        assert "Could not refresh" not in caplog.text
        tp.update_param(disable_logging=False)
        sandbox.advance(2 * 3600)
        sandbox.fail("GET", REFRESH)
        assert tp.get_profile().ok
        assert "Could not refresh the access token" in caplog.text
    assert refreshes(sandbox) == 2 and stored(path) == creds


def test_a_busy_lock_postpones_the_refresh(
    sandbox: ThreadsSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    creds = oauth_credentials(sandbox)
    store = JsonFileTokenStore(tmp_path / "t.json", lock_timeout=0.2)
    store.save(creds)
    with bot(sandbox, store) as tp, caplog.at_level(logging.INFO, "threadspipepy"):
        sandbox.advance(8 * DAY)
        holding, done = threading.Event(), threading.Event()

        def other_writer() -> None:  # holds the store for longer than 0.2 s
            with store.lock():
                holding.set()
                done.wait(10)

        writer = threading.Thread(target=other_writer)
        writer.start()
        assert holding.wait(5)
        try:
            assert tp.get_profile().ok
        finally:
            done.set()
            writer.join()
        assert refreshes(sandbox) == 0
        assert bearer(sandbox.requests[-1]) == creds.access_token
        assert "the store's lock was busy" in caplog.text
        sandbox.advance(3600)
        assert tp.get_profile().ok and refreshes(sandbox) == 1


def test_an_explicit_refresh_that_cannot_be_saved_raises(sandbox: ThreadsSandbox) -> None:
    creds = oauth_credentials(sandbox)
    store = MemoryStore(creds)
    store.fail_saves = 1
    sandbox.advance(2 * DAY)
    with pytest.raises(TokenStoreError, match="read-only"):
        tokens.refresh_stored_token(store, base_url=sandbox.url)
    assert store.load() == creds
