"""The journal: what each chain posted under an idempotency key, kept across crashes.

`pipe(..., idempotency_key="daily-2026-12-06")` writes every state change of the chain here
before the request it describes is sent: the names of files about to be hosted, a part's
container just before its publish is sent (the part is then *in doubt*), the part's media id
once it is live, and the whole result when the chain is complete. A run killed at any point
(deploy, OOM, reboot) leaves a record from which the next `pipe()` call with the same key
resolves the part in doubt, removes the hosted leftovers and finishes the chain, with nothing
published twice; a complete chain's call returns its recorded result and sends nothing.

The store is a small protocol, `JournalStore`: records are JSON-ready dicts under string
keys, and a key is worked on by one owner at a time (a lease that each write renews, and
that fences out an owner who lost it). `SqliteJournal` is the default, standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .errors import JournalBusyError as JournalBusyError
from .errors import JournalError as JournalError
from .errors import JournalLeaseLostError as JournalLeaseLostError
from .errors import ValidationError

JOURNAL_ENV = "THREADSPIPEPY_JOURNAL"
DEFAULT_LEASE_SECONDS = 900.0
DEFAULT_RETENTION_DAYS = 30.0
RECORD_VERSION = 1
IN_PROGRESS, COMPLETE = "in_progress", "complete"


@runtime_checkable
class JournalStore(Protocol):
    """Where chain records live. Implement these four methods to share one across machines.

    - `acquire(key, owner, lease_seconds)`: True when `owner` now holds `key` (it was free,
      its lease ran out, its holder is known to be dead, or `owner` already held it); False
      while another owner holds it. Creates the key if missing.
    - `write(key, owner, record)`: store `record` durably before returning, and renew the
      lease; raise JournalLeaseLostError when `owner` no longer holds `key` (fencing: a
      stalled owner must not act after another took over).
    - `read(key)`: the last record written, or None.
    - `release(key, owner)`: let go of `key` if `owner` holds it.
    """

    def acquire(self, key: str, owner: str, lease_seconds: float) -> bool: ...

    def write(self, key: str, owner: str, record: Mapping[str, Any]) -> None: ...

    def read(self, key: str) -> dict[str, Any] | None: ...

    def release(self, key: str, owner: str) -> None: ...


def default_journal_path() -> Path:
    """`THREADSPIPEPY_JOURNAL`, else the user's state folder (not the working directory,
    which differs between a shell and a cron job): `$XDG_STATE_HOME/threadspipepy/`
    (`~/.local/state/threadspipepy/`) or `%LOCALAPPDATA%\\threadspipepy\\` on Windows."""
    configured = os.environ.get(JOURNAL_ENV)
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":  # pragma: no cover - Windows only
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "threadspipepy" / "journal.sqlite3"


class SqliteJournal:
    """The default JournalStore: one SQLite file (WAL mode, synchronous=FULL), safe across the
    threads and processes of one machine. Complete records older than `retention_days` are
    pruned when a key is acquired.

    A lease whose holder was a process of this machine that has died is taken over at once,
    so a re-run after a kill does not wait for the lease to run out.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        busy_timeout: float = 30.0,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else default_journal_path()
        self.retention_days = retention_days
        self.busy_timeout = busy_timeout
        self._ready = False
        self._ready_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SqliteJournal({str(self.path)!r})"

    # -- the protocol ---------------------------------------------------------------------
    def acquire(self, key: str, owner: str, lease_seconds: float) -> bool:
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT owner, lease_until FROM chains WHERE key = ?", (key,))
            found = row.fetchone()
            if found is not None:
                holder, lease_until = found
                free = holder is None or holder == owner or (lease_until or 0) < now
                if not (free or holder_is_dead(holder)):
                    return False
            db.execute(
                "INSERT INTO chains (key, record, owner, lease_seconds, lease_until, updated_at, "
                "complete) VALUES (?, NULL, ?, ?, ?, ?, 0) ON CONFLICT(key) DO UPDATE SET "
                "owner = excluded.owner, lease_seconds = excluded.lease_seconds, "
                "lease_until = excluded.lease_until",
                (key, owner, lease_seconds, now + lease_seconds, now),
            )
        self._prune(now)
        return True

    def write(self, key: str, owner: str, record: Mapping[str, Any]) -> None:
        now = time.time()
        text = json.dumps(record, separators=(",", ":"), default=str)
        complete = 1 if record.get("status") == COMPLETE else 0
        with self._transaction() as db:
            lease = db.execute(
                "SELECT lease_seconds FROM chains WHERE key = ? AND owner = ?", (key, owner)
            ).fetchone()
            if lease is None:
                raise JournalLeaseLostError(
                    f"another run took over idempotency key {shown_key(key)}; this run stops "
                    "before sending anything more"
                )
            renewed = now + float(lease[0] or DEFAULT_LEASE_SECONDS)
            db.execute(
                "UPDATE chains SET record = ?, lease_until = ?, updated_at = ?, complete = ? "
                "WHERE key = ? AND owner = ?",
                (text, renewed, now, complete, key, owner),
            )

    def read(self, key: str) -> dict[str, Any] | None:
        with self._transaction(write=False) as db:
            row = db.execute("SELECT record FROM chains WHERE key = ?", (key,)).fetchone()
        if row is None or row[0] is None:
            return None
        loaded = json.loads(row[0])
        return loaded if isinstance(loaded, dict) else None

    def release(self, key: str, owner: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE chains SET owner = NULL, lease_until = NULL WHERE key = ? AND owner = ?",
                (key, owner),
            )

    # -- SQLite -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One short-lived connection per operation: safe across threads and processes."""
        self._ensure_schema()
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield db
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before a request
            return db
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {self.path}: {exc}") from None

    def _ensure_schema(self) -> None:
        with self._ready_lock:
            if self._ready:
                return
            folder = self.path.parent
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                self.path.touch(mode=0o600)
            db = self._connect()
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS chains (key TEXT PRIMARY KEY, record TEXT, "
                    "owner TEXT, lease_seconds REAL, lease_until REAL, "
                    "updated_at REAL NOT NULL, complete INTEGER NOT NULL DEFAULT 0)"
                )
            finally:
                db.close()
            self._ready = True

    def _prune(self, now: float) -> None:
        cutoff = now - self.retention_days * 86400.0
        with self._transaction() as db:
            db.execute("DELETE FROM chains WHERE complete = 1 AND updated_at < ?", (cutoff,))


def journal_store(journal: JournalStore | str | os.PathLike[str] | None) -> JournalStore:
    """The store a `journal=` option names: a store object, a SQLite path, or the default."""
    if journal is None or isinstance(journal, str | os.PathLike):
        return SqliteJournal(journal)
    methods = ("acquire", "write", "read", "release")
    if not all(callable(getattr(journal, m, None)) for m in methods):
        raise ValidationError(
            "journal must be a path to a SQLite file or an object with acquire, write, read "
            "and release methods (the JournalStore protocol).",
            parameter="journal",
        )
    return journal


# -- one chain's entry ----------------------------------------------------------------------
def new_owner() -> str:
    """Who works on a key: this machine and process (so a dead one is recognised) and a
    random part (so two threads or two calls never look alike)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def holder_is_dead(holder: str) -> bool:
    """Whether `holder` (a `new_owner()` string) was a process of this machine that is gone;
    False for another machine's, which only its lease can end."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    return not _pid_alive(int(pid_text))


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - no signal 0 there; wait for the lease
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def shown_key(key: str) -> str:
    """An idempotency key as messages show it: without its account prefix."""
    return repr(key.partition("/")[2] or key)


class ChainEntry:
    """One idempotency key's record, held by this run until `release()`.

    The record: `fingerprint` (what was asked), `status`, `total`, `posts` (the live parts in
    chain order, as `pipe()` results list them), `in_doubt` (the next part's container whose
    publish answer is unknown), `hosted` (names uploaded and not yet deleted) and, once
    complete, `result`.
    """

    def __init__(self, store: JournalStore, key: str, owner: str, record: dict[str, Any]) -> None:
        self.store = store
        self.key = key
        self.owner = owner
        self.record = record
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        store: JournalStore,
        key: str,
        fingerprint: str | None,
        *,
        wait: float,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> ChainEntry:
        """Hold `key` (waiting up to `wait` seconds while another run holds it) and read its
        record. A record made for another chain is a ValidationError (`fingerprint` None:
        accept whatever is recorded, as resume_pipe does)."""
        owner = new_owner()
        deadline = clock() + wait
        while not store.acquire(key, owner, lease_seconds):
            if clock() >= deadline:
                raise JournalBusyError(
                    f"another run is publishing the chain of idempotency key {shown_key(key)}; "
                    f"waited {wait:.0f} s. Nothing was sent: try again once it has finished."
                )
            sleep(0.2)
        try:
            record = store.read(key) or {}
            recorded = record.get("fingerprint")
            if fingerprint is not None and recorded and recorded != fingerprint:
                raise ValidationError(
                    f"idempotency key {shown_key(key)} was used for a different chain (other "
                    "text, files or options); use a new key for new content.",
                    parameter="idempotency_key",
                )
        except BaseException:
            store.release(key, owner)
            raise
        if not record:
            record = {
                "version": RECORD_VERSION,
                "fingerprint": fingerprint,
                "status": IN_PROGRESS,
                "posts": [],
                "in_doubt": None,
                "hosted": [],
            }
        return cls(store, key, owner, record)

    # -- what the record says ---------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return self.record.get("status") == COMPLETE

    @property
    def posts(self) -> list[dict[str, Any]]:
        return [dict(p) for p in self.record.get("posts") or []]

    @property
    def in_doubt(self) -> Mapping[str, Any] | None:
        doubt = self.record.get("in_doubt")
        return doubt if isinstance(doubt, Mapping) else None

    @property
    def hosted(self) -> list[str]:
        return [str(n) for n in self.record.get("hosted") or []]

    @property
    def result(self) -> dict[str, Any] | None:
        result = self.record.get("result")
        return dict(result) if isinstance(result, Mapping) else None

    # -- state changes, each written before the request it describes -----------------------
    def update(self, **changes: Any) -> None:
        with self._lock:
            record = dict(self.record)
            record.update(changes)
            record["updated_at"] = time.time()
            self.store.write(self.key, self.owner, record)
            self.record = record

    def sending(self, index: int, container_id: str, sent_at: float) -> None:
        self.update(in_doubt={"index": index, "container_id": container_id, "sent_at": sent_at})

    def published(self, post: Mapping[str, Any]) -> None:
        self.update(posts=[*self.posts, dict(post)], in_doubt=None)

    def unsent(self) -> None:
        if self.in_doubt is not None:
            self.update(in_doubt=None)

    def hosting(self, names: Sequence[str]) -> None:
        self.update(hosted=[*self.hosted, *names])

    def hosted_cleaned(self) -> None:
        if self.hosted:
            self.update(hosted=[])

    def finish(self, result: Mapping[str, Any], total: int) -> None:
        self.update(status=COMPLETE, result=dict(result), total=total, in_doubt=None)

    def release(self) -> None:
        with contextlib.suppress(JournalError, sqlite3.Error, OSError):
            self.store.release(self.key, self.owner)


class JournalSeenStore:
    """Webhook events already handled, kept in a journal: a `SeenStore` for
    `threadspipepy.webhooks.Deduplicator` that survives restarts and is shared by every
    process using the same journal (the default SQLite file on one machine, a shared
    `JournalStore` across machines). Records are kept for the journal's retention (30 days by
    default), well past Meta's 36 hours of redeliveries.
    """

    def __init__(
        self,
        journal: JournalStore | str | os.PathLike[str] | None = None,
        *,
        prefix: str = "webhook-seen/",
    ) -> None:
        self.store = journal_store(journal)
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"JournalSeenStore({self.store!r})"

    def claim(self, key: str) -> bool:
        """Record `key` as handled; True if no one had (the caller handles the event)."""
        return self._mark(key, seen=True)

    def release(self, key: str) -> None:
        """Forget `key`: its handling failed, so the redelivery is handled."""
        self._mark(key, seen=False)

    def _mark(self, key: str, *, seen: bool) -> bool:
        name, owner = self.prefix + key, new_owner()
        if not self.store.acquire(name, owner, 60.0):
            return False  # another handler is recording it right now
        try:
            was_seen = bool((self.store.read(name) or {}).get("seen"))
            if seen and was_seen:
                return False
            self.store.write(
                name, owner, {"status": COMPLETE if seen else IN_PROGRESS, "seen": seen}
            )
            return True
        finally:
            self.store.release(name, owner)
