"""Posting from a job queue (RQ, Celery, any other): the parts every recipe shares.

A queue delivers a job at least once: a worker that dies mid-chain has its job run again,
perhaps on another machine, perhaps while a duplicate delivery still runs. With the chain's
idempotency key the retry continues the chain instead of starting it again; with shared stores
(`threadspipepy.redis_stores`) every machine sees the same journal, token and quota.

- `WorkerSettings`: what a worker builds its clients from. Picklable and free of secrets, so
  it can travel in a job or be read from the worker's environment (`from_env`).
- `ClientPool`: one `ThreadsPipe` per account per worker process, built on first use and
  reused by every later job (a client holds its HTTP connections and its token keeper).
- `post_chain(pool, account, key, text, files, ...)`: the body of a posting task. Returns
  a JSON-ready report with each part's state; raises `ChainNotFinished` (the same report
  inside) when the chain is not complete yet, so the queue retries the job, and the retry
  finishes it.

docs/16-scaling.md has the RQ and Celery tasks built from these.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ChainNotFinished as ChainNotFinished
from .errors import QuotaFull as QuotaFull
from .errors import RateLimitError, ValidationError
from .journal import JournalBusyError, JournalStore
from .quota_reservations import LocalQuota, QuotaReservations
from .results import Result
from .threadspipe import ThreadsPipe
from .tokens import JsonFileTokenStore, TokenStore

__all__ = [
    "ChainNotFinished",
    "ClientPool",
    "QuotaFull",
    "WorkerSettings",
    "chain_report",
    "post_chain",
]

# Constructor options a worker takes from its environment (never from the job).
_SECRET_ENV = {"gh_bearer_token": "GH_BEARER_TOKEN"}
_OPTION_ENV = {
    "threads_base_url": "THREADS_API_BASE_URL",
    "gh_base_url": "GITHUB_API_BASE_URL",
    "gh_username": "GH_USERNAME",
    "gh_repo_name": "GH_REPO_NAME",
}
_SECRET_OPTIONS = frozenset({"access_token", "gh_bearer_token", "credentials", "session"})


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker builds its clients. Picklable, and holds no secret: tokens come from the
    token store, the GitHub token from the worker's environment (`GH_BEARER_TOKEN`).

    Args:
        redis_url: the Redis of the shared stores (journal, tokens, quota reservations);
            None: one machine's defaults (a SQLite journal, token files under `token_dir`,
            reservations shared by this process's threads only).
        app: names this application in every Redis key.
        journal: a SQLite journal's path: the journal stays on this machine even with
            `redis_url` (workers of one machine only); None: `RedisJournal` with
            `redis_url`, else the default SQLite file.
        token_dir: where the per-account token files are when there is no Redis
            (`<token_dir>/<user_id>.json`).
        options: other `ThreadsPipe` options (`threads_base_url`, `gh_username`,
            `gh_repo_name`, `journal_wait`, `wait_on_rate_limit`, ...); secrets are refused.
    """

    redis_url: str | None = None
    app: str = "default"
    journal: str | None = None
    token_dir: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        secret = sorted(_SECRET_OPTIONS & set(self.options))
        if secret:
            raise ValidationError(
                f"WorkerSettings travel in jobs and must hold no secret: leave out "
                f"{', '.join(secret)} (tokens come from the token store, the GitHub token from "
                "the worker's GH_BEARER_TOKEN).",
                parameter=secret[0],
            )
        if self.redis_url is None and self.token_dir is None:
            raise ValidationError(
                "WorkerSettings need redis_url (shared stores) or token_dir (token files on "
                "this machine).",
                parameter="redis_url",
            )
        object.__setattr__(self, "options", dict(self.options))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> WorkerSettings:
        """Settings from the worker's environment: `THREADSPIPEPY_REDIS_URL` (or `REDIS_URL`),
        `THREADSPIPEPY_APP`, `THREADSPIPEPY_JOURNAL`, `THREADSPIPEPY_TOKEN_DIR`,
        `THREADS_API_BASE_URL`, `GITHUB_API_BASE_URL`, `GH_USERNAME`, `GH_REPO_NAME`;
        `options` add or override `ThreadsPipe` options."""
        from .redis_stores import redis_url_from_env

        env = os.environ if environ is None else environ
        found = {name: env[var] for name, var in _OPTION_ENV.items() if env.get(var)}
        return cls(
            redis_url=redis_url_from_env(env),
            app=env.get("THREADSPIPEPY_APP") or "default",
            journal=env.get("THREADSPIPEPY_JOURNAL") or None,
            token_dir=env.get("THREADSPIPEPY_TOKEN_DIR") or None,
            options={**found, **options},
        )


class ClientPool:
    """One `ThreadsPipe` per account in this process, built on first use and reused.

    The stores are built once per pool and shared by its clients. A pool used in a forked
    child (a pre-forking worker) builds its own clients there: connections are never shared
    across processes. At most `max_clients` are kept (each holds its own HTTP connections):
    the least recently used is closed when another is needed.
    """

    def __init__(self, settings: WorkerSettings, *, max_clients: int = 500) -> None:
        if not isinstance(max_clients, int) or isinstance(max_clients, bool) or max_clients < 1:
            raise ValidationError("max_clients must be an integer >= 1.", parameter="max_clients")
        self.settings = settings
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._clients: OrderedDict[str, ThreadsPipe] = OrderedDict()
        self._journal: JournalStore | str | None = None
        self._quota: QuotaReservations | None = None

    def __repr__(self) -> str:
        return f"ClientPool({len(self._clients)} client(s), app={self.settings.app!r})"

    def client(self, account: str | int) -> ThreadsPipe:
        """The client of `account`, whose token is in the settings' token store."""
        user_id = str(account).strip()
        with self._lock:
            if self._pid != os.getpid():  # a forked child: start afresh
                self._clients, self._pid = OrderedDict(), os.getpid()
                self._journal = self._quota = None
            found = self._clients.get(user_id)
            if found is not None:
                self._clients.move_to_end(user_id)
                return found
            found = self._build(user_id)
            self._clients[user_id] = found
            evicted = (
                self._clients.popitem(last=False)[1]
                if len(self._clients) > self.max_clients
                else None
            )
        if evicted is not None:
            evicted.close()  # a call in flight on it finishes: close() only ends idle sockets
        return found

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            client.close()

    def _build(self, user_id: str) -> ThreadsPipe:
        settings = self.settings
        if self._quota is None:
            self._journal, self._quota = self._shared_stores()
        options: dict[str, Any] = dict(settings.options)
        for name, var in _SECRET_ENV.items():
            if os.environ.get(var) and name not in options:
                options[name] = os.environ[var]
        return ThreadsPipe(
            token_store=self._token_store(user_id),
            journal=self._journal,
            quota_reservations=self._quota,
            **options,
        )

    def _shared_stores(self) -> tuple[JournalStore | str | None, QuotaReservations]:
        settings = self.settings
        if settings.redis_url is None:
            return settings.journal, LocalQuota()
        from .redis_stores import RedisJournal, RedisQuota

        journal = settings.journal or RedisJournal(settings.redis_url, app=settings.app)
        return journal, RedisQuota(settings.redis_url, app=settings.app)

    def _token_store(self, user_id: str) -> TokenStore:
        settings = self.settings
        if settings.redis_url is None:
            return JsonFileTokenStore(os.path.join(str(settings.token_dir), f"{user_id}.json"))
        from .redis_stores import RedisTokenStore

        return RedisTokenStore(settings.redis_url, user_id, app=settings.app)


def chain_report(account: str, key: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-ready summary of a `pipe()` result: what a task returns or reports."""
    found = result.get("data")
    data: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    media_ids = [str(i) for i in data.get("media_ids") or []]
    parts = data.get("parts")
    if parts is None:  # complete: every part is live
        parts = [{"index": i, "state": "published", "id": m} for i, m in enumerate(media_ids)]
    return {
        "account": account,
        "key": key,
        "ok": "error" not in result,
        "message": str(result.get("message") or ""),
        "media_ids": media_ids,
        "parts": [dict(p) for p in parts],
        "total": data.get("total", len(media_ids)),
    }


def post_chain(
    pool: ClientPool,
    account: str | int,
    key: str,
    text: str | None = None,
    files: Sequence[Any] = (),
    **pipe_options: Any,
) -> dict[str, Any]:
    """Post one chain for `account` under the idempotency `key`; the body of a queue task.

    Returns the report (`chain_report`) once the chain is complete, now or by an earlier
    delivery of the same job. Raises `QuotaFull` when nothing was published for want of
    quota, `ChainNotFinished` for anything else that stopped the chain (a fault, another
    delivery holding the key): retrying continues it. A `ValidationError` (bad content, or a
    key used for another chain) will fail the same way every time: do not retry it.

    Args:
        pool: this worker's clients.
        account: the Threads user id to post as.
        key: the chain's idempotency key (a job id, a content hash, a date).
        text: the text, split into as many posts as it needs.
        files: media URLs or local paths, as `pipe()` takes them.
        pipe_options: any other `pipe()` argument.
    """
    user_id = str(account).strip()
    result: Result = pool.client(user_id).pipe(
        text, files=list(files), idempotency_key=key, **pipe_options
    )
    report = chain_report(user_id, key, result)
    if result.ok:
        return report
    error = result.exception
    message = f"chain {key!r} of {user_id} is not finished: {report['message']}"
    nothing_live = not report["media_ids"] and not any(
        p.get("state") == "in_doubt" for p in report["parts"]
    )
    if isinstance(error, RateLimitError) and nothing_live:
        raise QuotaFull(message, report)
    if isinstance(error, JournalBusyError):
        message += " (another delivery of this job is working on it)"
    raise ChainNotFinished(message, report)
