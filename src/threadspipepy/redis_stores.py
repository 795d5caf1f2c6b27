"""Shared stores on Redis, for many workers on many machines (the `redis` extra).

The same protocols as the local defaults, with the same guarantees across machines:

- `RedisJournal`: a `JournalStore`. One owner per idempotency key at a time, by a lease that
  each write renews and that Redis's own clock expires (workers' clocks may disagree); a
  write by an owner that lost the key is refused (`JournalLeaseLostError`), in the same
  atomic step as the write; a holder that was a process of this machine and has died is taken
  over at once; finished records expire after `retention_days`.
- `RedisTokenStore`: a `TokenStore` for one account, with a Redis lock, so that the workers
  of every machine see one token refresh per account.
- `RedisQuota`: `QuotaReservations`, so that workers posting for one account never start a
  chain its publishing quota cannot finish (see `threadspipepy.quota_reservations`).

Every check-and-change is one Lua script, so two workers can never both pass a check. Keys are
`{prefix}:{app}:journal:{user_id}/{idempotency_key}`, `{prefix}:{app}:token:{user_id}` and
`{prefix}:{app}:quota:{user_id}`: one Redis can serve several apps and every account; each
record is a single key, so Redis Cluster works too.

Pass a `redis.Redis` client, or a URL (`redis://host:6379/0`, `rediss://` for TLS): a store
built from a URL connects on first use and can be pickled (into a queue job, a process pool)
and rebuilt there. redis-py is imported only when a store is built: `pip install redis` (the
`redis` extra: `pip install ".[redis]"` in a checkout of this library).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from ._credentials import Credentials
from ._filelock import LockTimeoutError
from ._log import logger_for
from .errors import ValidationError
from .journal import (
    COMPLETE,
    DEFAULT_RETENTION_DAYS,
    JournalError,
    JournalLeaseLostError,
    holder_is_dead,
    shown_key,
)
from .quota import QuotaUsage
from .quota_reservations import Decision, QuotaReservationError
from .tokens import TokenStoreError

__all__ = [
    "DEFAULT_PREFIX",
    "INSTALL_HINT",
    "RedisJournal",
    "RedisQuota",
    "RedisTokenStore",
]

INSTALL_HINT = 'pip install redis (or pip install ".[redis]" in a checkout of this library)'
DEFAULT_PREFIX = "threadspipepy"
DEFAULT_APP = "default"


def _redis_module() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise ImportError(
            f"threadspipepy.redis_stores needs redis-py, which is not installed: {INSTALL_HINT}"
        ) from exc
    return redis


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class _Connection:
    """A Redis client given, or one made from a URL on first use (in each process)."""

    def __init__(self, redis: Any) -> None:
        module = _redis_module()
        if isinstance(redis, str):
            if not redis.startswith(("redis://", "rediss://", "unix://")):
                raise ValidationError(
                    "redis must be a redis-py client or a URL such as redis://localhost:6379/0.",
                    parameter="redis",
                )
            self.url: str | None = redis
            self._client: Any = None
        elif isinstance(redis, module.Redis):
            self.url, self._client = None, redis
        else:
            raise ValidationError(
                f"redis must be a redis-py client or a redis:// URL, not {type(redis).__name__}.",
                parameter="redis",
            )
        self._lock = threading.Lock()
        self._scripts: dict[str, Any] = {}

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = _redis_module().Redis.from_url(self.url)
            return self._client

    def script(self, source: str) -> Any:
        """A registered Lua script (EVALSHA, loaded again by redis-py if Redis lost it)."""
        with self._lock:
            found = self._scripts.get(source)
        if found is None:
            found = self.client.register_script(source)
            with self._lock:
                self._scripts[source] = found
        return found

    @property
    def label(self) -> str:
        """Where the store is, for reprs and messages: the URL without its password."""
        if self.url is None:
            return "a redis client"
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"

    def __getstate__(self) -> dict[str, Any]:
        if self.url is None:
            raise TypeError(
                "a Redis store built from a client cannot be pickled; build it from a URL "
                "(RedisJournal('redis://host:6379/0')) to send it to another process"
            )
        return {"url": self.url}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.url, self._client = state["url"], None
        self._lock = threading.Lock()
        self._scripts = {}


@contextlib.contextmanager
def _redis_errors(kind: type[Exception], doing: str) -> Iterator[None]:
    """redis-py's errors as this library's (a store must not leak another library's tree)."""
    errors = _redis_module().exceptions.RedisError
    try:
        yield
    except errors as exc:
        raise kind(f"Redis failed while {doing}: {type(exc).__name__}: {exc}") from None


class _Namespaced:
    def __init__(self, redis: Any, app: str, prefix: str, kind: str) -> None:
        for name, value in (("app", app), ("prefix", prefix)):
            if not isinstance(value, str) or not value or any(c.isspace() for c in value):
                raise ValidationError(
                    f"{name} must be a non-empty name without spaces (it starts every key).",
                    parameter=name,
                )
        self.redis = _Connection(redis)
        self.app = app
        self.prefix = prefix
        self._base = f"{prefix}:{app}:{kind}:"

    def key(self, name: str) -> str:
        return self._base + name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.redis.label}, app={self.app!r})"


# -- the journal -------------------------------------------------------------------------------
# Milliseconds from Redis's own clock: leases must not depend on the workers' clocks.
_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

# KEYS[1] the chain; ARGV owner, lease ms, a dead holder that may be replaced ('' for none).
# Returns 1 when the owner holds the key now, else the holder.
_ACQUIRE = (
    _NOW_MS
    + """
local holder = redis.call('HGET', KEYS[1], 'owner')
local lease_until = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0')
if holder and holder ~= ARGV[1] and lease_until >= now and holder ~= ARGV[3] then
  return holder
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'lease_ms', ARGV[2],
  'lease_until', string.format('%d', now + tonumber(ARGV[2])))
return 1
"""
)

# KEYS[1]; ARGV owner, record JSON, complete '1'/'0', retention ms. 0 when fenced out.
_WRITE = (
    _NOW_MS
    + """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease_ms') or '900000')
redis.call('HSET', KEYS[1], 'record', ARGV[2], 'complete', ARGV[3],
  'updated', string.format('%d', now), 'lease_until', string.format('%d', now + lease))
if ARGV[3] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
else
  redis.call('PERSIST', KEYS[1])
end
return 1
"""
)

# KEYS[1]; ARGV owner. A key that never got a record is removed altogether.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
if redis.call('HEXISTS', KEYS[1], 'record') == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HDEL', KEYS[1], 'owner', 'lease_until')
end
return 1
"""


class RedisJournal(_Namespaced):
    """A `JournalStore` on Redis: one journal for every worker of every machine.

    Args:
        redis: a `redis.Redis` client, or a URL (`redis://host:6379/0`).
        app: names this application in every key (several apps can share one Redis).
        prefix: the first part of every key.
        retention_days: how long a finished chain's record is kept (it answers a re-delivered
            job with the recorded result, sending nothing); unfinished records are kept.
        lease_seconds: how long a worker holds a key without writing to it before another
            may take over (None: what the caller asks, 15 minutes for `pipe()`). Shorter
            means a job of a machine that died is taken over sooner; it must stay longer than
            the slowest step of a chain (a video's processing).
        take_over_dead_holders: take a key at once from a holder that was a process of this
            machine and is gone (as `SqliteJournal` does); other machines wait for the lease.
        wait_replicas: after each write, wait until this many replicas have it (Redis `WAIT`)
            and fail the step if they do not within `wait_timeout` seconds. With 0 (the
            default) a write is as durable as the server's own persistence: use
            `appendonly yes` with `appendfsync always` (or `everysec`, at most a second lost).
        wait_timeout: seconds to wait for the replicas.
    """

    def __init__(
        self,
        redis: Any,
        *,
        app: str = DEFAULT_APP,
        prefix: str = DEFAULT_PREFIX,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        lease_seconds: float | None = None,
        take_over_dead_holders: bool = True,
        wait_replicas: int = 0,
        wait_timeout: float = 1.0,
    ) -> None:
        super().__init__(redis, app, prefix, "journal")
        if not _positive(retention_days):
            raise ValidationError(
                "retention_days must be a positive number.", parameter="retention_days"
            )
        if lease_seconds is not None and not _positive(lease_seconds):
            raise ValidationError(
                "lease_seconds must be a positive number of seconds (or None).",
                parameter="lease_seconds",
            )
        if not isinstance(wait_replicas, int) or wait_replicas < 0:
            raise ValidationError(
                "wait_replicas must be an integer >= 0.", parameter="wait_replicas"
            )
        self.retention_days = float(retention_days)
        self.lease_seconds = lease_seconds
        self.take_over_dead_holders = take_over_dead_holders
        self.wait_replicas = wait_replicas
        self.wait_timeout = wait_timeout

    def acquire(self, key: str, owner: str, lease_seconds: float) -> bool:
        lease_ms = str(max(1, int((self.lease_seconds or lease_seconds) * 1000)))
        script = self.redis.script(_ACQUIRE)
        with _redis_errors(JournalError, f"taking idempotency key {shown_key(key)}"):
            answer = script(keys=[self.key(key)], args=[owner, lease_ms, ""])
            if answer == 1:
                return True
            holder = _text(answer) or ""
            if not (self.take_over_dead_holders and holder_is_dead(holder)):
                return False
            return bool(script(keys=[self.key(key)], args=[owner, lease_ms, holder]) == 1)

    def write(self, key: str, owner: str, record: Mapping[str, Any]) -> None:
        text = json.dumps(record, separators=(",", ":"), default=str)
        complete = "1" if record.get("status") == COMPLETE else "0"
        retention_ms = str(int(self.retention_days * 86_400_000))
        with _redis_errors(JournalError, f"writing idempotency key {shown_key(key)}"):
            written = self.redis.script(_WRITE)(
                keys=[self.key(key)], args=[owner, text, complete, retention_ms]
            )
            if written != 1:
                raise JournalLeaseLostError(
                    f"another run took over idempotency key {shown_key(key)}; this run stops "
                    "before sending anything more"
                )
            if self.wait_replicas:
                copies = self.redis.client.wait(self.wait_replicas, int(self.wait_timeout * 1000))
                if copies < self.wait_replicas:
                    raise JournalError(
                        f"only {copies} of {self.wait_replicas} Redis replicas confirmed the "
                        f"record of idempotency key {shown_key(key)}; nothing more is sent"
                    )

    def read(self, key: str) -> dict[str, Any] | None:
        with _redis_errors(JournalError, f"reading idempotency key {shown_key(key)}"):
            raw = self.redis.client.hget(self.key(key), "record")
        if raw is None:
            return None
        loaded = json.loads(raw)
        return loaded if isinstance(loaded, dict) else None

    def release(self, key: str, owner: str) -> None:
        with _redis_errors(JournalError, f"releasing idempotency key {shown_key(key)}"):
            self.redis.script(_RELEASE)(keys=[self.key(key)], args=[owner])

    def holder(self, key: str) -> str | None:
        """Who holds `key` now (None when nobody does or the lease ran out)."""
        with _redis_errors(JournalError, f"reading idempotency key {shown_key(key)}"):
            owner, until, now = self._holder_fields(key)
        return owner if owner is not None and until >= now else None

    def _holder_fields(self, key: str) -> tuple[str | None, int, int]:
        client = self.redis.client
        owner, until = client.hmget(self.key(key), ["owner", "lease_until"])
        seconds, micros = client.time()
        return _text(owner), int(_text(until) or 0), int(seconds) * 1000 + int(micros) // 1000


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


# -- tokens --------------------------------------------------------------------------------------
class RedisTokenStore(_Namespaced):
    """A `TokenStore` for one account on Redis, with a lock shared by every machine.

    `ThreadsPipe(token_store=RedisTokenStore(url, user_id))` in every worker: before a request
    each client checks the token's age, and when it is due, one of them (whoever takes the
    lock first) refreshes it and saves it here; the others, once they have the lock, read the
    new token and send it without refreshing again.

    The token is stored as `Credentials.to_json()` text: protect the Redis server as you would
    a password file (a password, TLS with `rediss://`, no public port).

    Args:
        redis: a `redis.Redis` client, or a URL.
        user_id: the account whose token this is.
        app: names this application in the key.
        prefix: the first part of the key.
        lock_timeout: how long a worker waits for the lock before postponing its refresh (the
            current token stays valid and is used).
        lock_ttl: how long the lock lives if its holder dies without letting go; longer than
            a refresh takes (one request, with its timeout).
    """

    def __init__(
        self,
        redis: Any,
        user_id: str | int,
        *,
        app: str = DEFAULT_APP,
        prefix: str = DEFAULT_PREFIX,
        lock_timeout: float = 30.0,
        lock_ttl: float = 120.0,
    ) -> None:
        super().__init__(redis, app, prefix, "token")
        account = str(user_id).strip() if isinstance(user_id, str | int) else ""
        if not account or isinstance(user_id, bool):
            raise ValidationError("user_id must be a Threads user id.", parameter="user_id")
        if not (_positive(lock_timeout) and _positive(lock_ttl)):
            raise ValidationError(
                "lock_timeout and lock_ttl must be positive numbers of seconds.",
                parameter="lock_timeout" if not _positive(lock_timeout) else "lock_ttl",
            )
        self.user_id = account
        self.lock_timeout = float(lock_timeout)
        self.lock_ttl = float(lock_ttl)

    def __repr__(self) -> str:
        return f"RedisTokenStore({self.redis.label}, user_id={self.user_id!r}, app={self.app!r})"

    @property
    def path(self) -> str:
        """The key, where messages name the store."""
        return self.key(self.user_id)

    def load(self) -> Credentials | None:
        with _redis_errors(TokenStoreError, f"reading the token of {self.user_id}"):
            raw = self.redis.client.get(self.key(self.user_id))
        if raw is None:
            return None
        try:
            return Credentials.from_json(raw)
        except ValidationError as exc:
            raise TokenStoreError(
                f"{self.key(self.user_id)} does not hold Credentials JSON: {exc}"
            ) from None

    def save(self, credentials: Credentials) -> None:
        if credentials.user_id != self.user_id:
            raise ValidationError(
                f"these credentials are user {credentials.user_id}'s; this store keeps user "
                f"{self.user_id}'s token.",
                parameter="credentials",
            )
        with _redis_errors(TokenStoreError, f"saving the token of {self.user_id}"):
            self.redis.client.set(self.key(self.user_id), credentials.to_json())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of this account's token across every worker (`LockTimeoutError`
        after `lock_timeout` seconds of waiting)."""
        lock = self.redis.client.lock(
            self.key(self.user_id) + ":lock",
            timeout=self.lock_ttl,
            blocking_timeout=self.lock_timeout,
            thread_local=False,
        )
        with _redis_errors(TokenStoreError, f"locking the token of {self.user_id}"):
            taken = lock.acquire()
        if not taken:
            raise LockTimeoutError(
                f"the token lock of user {self.user_id} was held for more than "
                f"{self.lock_timeout:.0f} s"
            )
        try:
            yield
        finally:
            errors = _redis_module().exceptions
            try:
                lock.release()
            except errors.LockError:  # it outlived lock_ttl: another may hold it now
                logger_for("tokens").warning(
                    "The token lock of user %s expired before it was released (a refresh "
                    "took longer than lock_ttl=%.0f s)",
                    self.user_id,
                    self.lock_ttl,
                )
            except errors.RedisError as exc:
                logger_for("tokens").warning(
                    "Could not release the token lock of user %s (%s); it expires by itself",
                    self.user_id,
                    exc,
                )


# -- quota reservations --------------------------------------------------------------------------
# KEYS[1] the account's reservations (claim -> "posts:replies:expires_ms"); ARGV claim, posts,
# replies, posts used, posts total, replies used, replies total, ttl ms. The rule is
# quota_reservations.fits, here so that the check and the reservation are one step.
_RESERVE = (
    _NOW_MS
    + """
local all = redis.call('HGETALL', KEYS[1])
local held_posts, held_replies, last = 0, 0, 0
for i = 1, #all, 2 do
  local p, r, e = string.match(all[i + 1], '^(%d+):(%d+):(%d+)$')
  if e == nil or tonumber(e) <= now or all[i] == ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
  else
    held_posts = held_posts + tonumber(p)
    held_replies = held_replies + tonumber(r)
    if tonumber(e) > last then last = tonumber(e) end
  end
end
local posts, replies = tonumber(ARGV[2]), tonumber(ARGV[3])
local fits = (posts == 0 or tonumber(ARGV[4]) + held_posts + posts <= tonumber(ARGV[5]))
  and (replies == 0 or tonumber(ARGV[6]) + held_replies + replies <= tonumber(ARGV[7]))
if fits then
  local expires = now + tonumber(ARGV[8])
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%d:%d:%d', posts, replies, expires))
  if expires > last then last = expires end
end
if last > 0 then redis.call('PEXPIREAT', KEYS[1], string.format('%d', last)) end
return {fits and 1 or 0, held_posts, held_replies}
"""
)

# KEYS[1]; ARGV claim, posts, replies now live.
_SETTLE = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then return 0 end
local p, r, e = string.match(held, '^(%d+):(%d+):(%d+)$')
p = math.max(0, tonumber(p) - tonumber(ARGV[2]))
r = math.max(0, tonumber(r) - tonumber(ARGV[3]))
if p == 0 and r == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%d:%d:%s', p, r, e))
end
return 1
"""


class RedisQuota(_Namespaced):
    """`QuotaReservations` on Redis: every worker posting for an account shares its quota.

    `ThreadsPipe(quota_reservations=RedisQuota(url))`: before a chain is published, its posts
    and replies are reserved against Meta's count (read at that moment) plus what other
    workers hold; each part is settled as it goes live; what is left is released when the
    call ends. See `threadspipepy.quota_reservations`.

    Args:
        redis: a `redis.Redis` client, or a URL.
        app: names this application in every key.
        prefix: the first part of every key.
    """

    def __init__(self, redis: Any, *, app: str = DEFAULT_APP, prefix: str = DEFAULT_PREFIX) -> None:
        super().__init__(redis, app, prefix, "quota")

    def reserve(
        self, account: str, claim: str, posts: int, replies: int, usage: QuotaUsage, ttl: float
    ) -> Decision:
        args = [claim, posts, replies, usage.posts_used, usage.posts_total]
        args += [usage.replies_used, usage.replies_total, max(1, int(ttl * 1000))]
        with _redis_errors(QuotaReservationError, f"reserving quota of {account}"):
            granted, held_posts, held_replies = self.redis.script(_RESERVE)(
                keys=[self.key(account)], args=args
            )
        return Decision(granted == 1, int(held_posts), int(held_replies))

    def settle(self, account: str, claim: str, posts: int, replies: int) -> None:
        with _redis_errors(QuotaReservationError, f"settling quota of {account}"):
            self.redis.script(_SETTLE)(keys=[self.key(account)], args=[claim, posts, replies])

    def release(self, account: str, claim: str) -> None:
        with _redis_errors(QuotaReservationError, f"releasing quota of {account}"):
            self.redis.client.hdel(self.key(account), claim)

    def pending(self, account: str) -> tuple[int, int]:
        """(posts, replies) reserved for `account` and not yet published."""
        with _redis_errors(QuotaReservationError, f"reading quota reservations of {account}"):
            client = self.redis.client
            held = client.hgetall(self.key(account))
            seconds, micros = client.time()
        now = int(seconds) * 1000 + int(micros) // 1000
        posts = replies = 0
        for value in held.values():
            p, r, expires = (int(x) for x in (_text(value) or "0:0:0").split(":"))
            if expires > now:
                posts, replies = posts + p, replies + r
        return posts, replies

    def clear(self, account: str) -> None:
        """Drop every reservation of `account` (after its workers were stopped for good)."""
        with _redis_errors(QuotaReservationError, f"clearing quota reservations of {account}"):
            self.redis.client.delete(self.key(account))


def redis_url_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """`THREADSPIPEPY_REDIS_URL`, else `REDIS_URL`, else None."""
    env = os.environ if environ is None else environ
    return env.get("THREADSPIPEPY_REDIS_URL") or env.get("REDIS_URL") or None
