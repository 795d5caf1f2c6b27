"""Token keep-alive: where a long-lived token is kept (a `TokenStore`) and the `TokenKeeper`
that refreshes it before it dies.

A long-lived Threads token lasts 60 days. Meta refreshes one that is at least 24 hours old and
not expired, for another 60 days, and the old token stays valid until its own end
(threads-api.md §2.4). `ThreadsPipe(token_store=...)` keeps one alive:

- before a request, a token older than `refresh_after` (7 days by default) is refreshed once,
  under a lock held across threads and processes; after taking the lock the store is read
  again, so every client and process sharing the store sees one refresh and uses its token;
- the new token (with its issue and expiry times) is saved to the store and sent by that
  client from then on;
- a refresh that fails (Meta down, a lost answer, a lock held too long) keeps the old token,
  which is still valid, logs a warning and is tried again an hour later (`retry_interval`);
- a token that has expired or was revoked raises `TokenExpiredError`, whose message says how
  to get a new one.

Stores:

- `EnvFileTokenStore(path)`: a `.env` file. `THREADS_ACCESS_TOKEN` and `THREADS_USER_ID` plus
  `THREADS_TOKEN_ISSUED_AT`, `THREADS_TOKEN_EXPIRES_AT` (ISO 8601 UTC), `THREADS_TOKEN_SCOPES`
  and `THREADS_TOKEN_FINGERPRINT` (12 hex digits of the token's SHA-256, so that times written
  for one token are never read as another's when the token line is replaced by hand), all
  written in one atomic write that keeps every other line of the file;
- `JsonFileTokenStore(path)`: a JSON file of `Credentials.to_json()`, written atomically with
  mode 0600;
- any object with `load() -> Credentials | None` and `save(Credentials) -> None` (the
  `TokenStore` protocol). If it also has `lock()`, a context manager, the keeper holds it
  around every read-refresh-write; without one, clients of this process that share the object
  take turns on an in-process lock, and a store shared by several processes must provide
  `lock()` for them to see a single refresh.

The two file stores lock `<path>.lock` (created beside the file, never deleted).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import requests

from . import auth
from ._credentials import (
    DEFAULT_REFRESH_AFTER,
    LONG_LIVED_LIFETIME,
    REFRESH_MIN_AGE,
    Credentials,
    parse_iso,
    utcnow,
)
from ._credentials import iso as _credentials_iso
from ._envfile import ENV_NAME, EnvFileError, atomic_write, update_env_values
from ._filelock import DEFAULT_TIMEOUT, LockTimeoutError, file_lock
from ._log import Log, logger_for
from ._transport import GraphClient
from .errors import (
    AUTH_CODES,
    AuthenticationError,
    ThreadsAPIError,
    ThreadsPipeError,
    TokenExpiredError,
    TokenStoreError,
    ValidationError,
)

__all__ = [
    "DEFAULT_REFRESH_AFTER",
    "RETRY_INTERVAL",
    "EnvFileTokenStore",
    "JsonFileTokenStore",
    "TokenKeeper",
    "TokenStatus",
    "TokenStore",
    "TokenStoreError",
    "as_token_store",
    "refresh_stored_token",
    "token_status",
]

RETRY_INTERVAL = timedelta(hours=1)
DOCS_PAGE = "docs/03-setup-and-auth.md#token-keep-alive"


def new_token_howto(where: str) -> str:
    """What to do when the token cannot be refreshed any more."""
    return (
        "Get a new token with the OAuth flow: `threadspipepy auth-url`, open the URL and click "
        "Allow, then `threadspipepy access_token -code REDIRECT_URL --state STATE -p .env -v "
        "THREADS_ACCESS_TOKEN` (in Python: auth.authorization_url and "
        f"auth.complete_authorization), save it to {where}, and the keep-alive refreshes it "
        f"from then on ({DOCS_PAGE})."
    )


# -- the protocol --------------------------------------------------------------------------------
@runtime_checkable
class TokenStore(Protocol):
    """Where a client's `Credentials` live between runs.

    `load()` returns the stored credentials, or None when there are none yet; `save()`
    replaces them (atomically, if the store can). A store may also have `lock()`, returning a
    context manager that excludes every other thread and process using the same store (the
    keeper holds it around read, refresh and write); see the module docstring.
    """

    def load(self) -> Credentials | None: ...

    def save(self, credentials: Credentials) -> None: ...


def as_token_store(value: Any) -> TokenStore:
    """The store for `token_store=`: a path ending in `.json` is a `JsonFileTokenStore`,
    another path an `EnvFileTokenStore`, an object with load() and save() itself."""
    if isinstance(value, str | os.PathLike):
        if not os.fspath(value):
            raise ValidationError(
                "token_store must be a .env or .json path, or an object with load() and save().",
                parameter="token_store",
            )
        if Path(os.fspath(value)).suffix.lower() == ".json":
            return JsonFileTokenStore(value)
        return EnvFileTokenStore(value)
    if callable(getattr(value, "load", None)) and callable(getattr(value, "save", None)):
        store: TokenStore = value
        return store
    raise ValidationError(
        "token_store must be a .env path, a .json path, or an object with load() -> "
        f"Credentials | None and save(credentials), not {type(value).__name__}.",
        parameter="token_store",
    )


def store_label(store: TokenStore) -> str:
    """How messages name a store: its path for the file stores, its type for others."""
    path = getattr(store, "path", None)
    if isinstance(store, EnvFileTokenStore | JsonFileTokenStore) and path is not None:
        return str(path)
    return f"the token store ({type(store).__name__})"


# -- the file stores -----------------------------------------------------------------------------
def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def iso_text(moment: datetime | None) -> str:
    return _credentials_iso(moment) or ""


def _parse_time(value: str | None) -> datetime | None:
    try:
        return parse_iso(value, "time")
    except ValidationError:
        return None  # a hand-edited time: unknown, so the keeper refreshes to learn it


class _FileStore:
    """What both file stores share: the path, the lock file beside it and a safe repr."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float) -> None:
        if not isinstance(path, str | os.PathLike) or not os.fspath(path):
            raise ValidationError("path must be a file path.", parameter="path")
        self.path = Path(os.fspath(path))
        self.lock_timeout = lock_timeout

    def lock(self) -> AbstractContextManager[None]:
        """Exclusive use of the store across threads and processes (`<path>.lock`)."""
        target = Path(os.path.realpath(self.path))
        return file_lock(target.with_name(target.name + ".lock"), timeout=self.lock_timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({os.fspath(self.path)!r})"


class EnvFileTokenStore(_FileStore):
    """The token in a `.env` file, with its user id, times and scopes beside it.

    `variable` names the token's variable (default `THREADS_ACCESS_TOKEN`); the others are the
    class attributes below. Saving writes them all in one atomic write and keeps every other
    line of the file as it was (a new file gets mode 0600). The times and scopes count only
    while `THREADS_TOKEN_FINGERPRINT` matches the token, so replacing the token line by hand
    (`threadspipepy access_token -p .env -v THREADS_ACCESS_TOKEN`) makes its age unknown
    rather than wrong.
    """

    USER_ID = "THREADS_USER_ID"
    ISSUED_AT = "THREADS_TOKEN_ISSUED_AT"
    EXPIRES_AT = "THREADS_TOKEN_EXPIRES_AT"
    SCOPES = "THREADS_TOKEN_SCOPES"
    FINGERPRINT = "THREADS_TOKEN_FINGERPRINT"

    def __init__(
        self,
        path: str | os.PathLike[str] = ".env",
        *,
        variable: str = "THREADS_ACCESS_TOKEN",
        lock_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(path, lock_timeout)
        if not isinstance(variable, str) or not ENV_NAME.fullmatch(variable):
            raise ValidationError(
                "variable must be a variable name such as THREADS_ACCESS_TOKEN.",
                parameter="variable",
            )
        self.variable = variable

    def load(self) -> Credentials | None:
        from dotenv import dotenv_values

        if not self.path.exists():
            return None
        try:
            values = dotenv_values(self.path, interpolate=False)
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenStoreError(f"cannot read {self.path}: {exc}") from None
        token = values.get(self.variable)
        if not token:
            return None
        user_id = values.get(self.USER_ID)
        if not user_id:
            raise TokenStoreError(
                f"{self.path} has {self.variable} but no {self.USER_ID}: add the token's user "
                "id (what the token exchange returned) to the file."
            )
        if values.get(self.FINGERPRINT) != _fingerprint(token):
            return Credentials(user_id=user_id, access_token=token)
        scopes = [s for s in (values.get(self.SCOPES) or "").split(",") if s.strip()]
        return Credentials(
            user_id=user_id,
            access_token=token,
            scopes=tuple(s.strip() for s in scopes),
            issued_at=_parse_time(values.get(self.ISSUED_AT)),
            expiration=_parse_time(values.get(self.EXPIRES_AT)),
        )

    def save(self, credentials: Credentials) -> None:
        values = {
            self.variable: credentials.access_token,
            self.USER_ID: credentials.user_id,
            self.ISSUED_AT: iso_text(credentials.issued_at),
            self.EXPIRES_AT: iso_text(credentials.expiration),
            self.SCOPES: ",".join(credentials.scopes),
            self.FINGERPRINT: _fingerprint(credentials.access_token),
        }
        try:
            update_env_values(self.path, values)
        except EnvFileError as exc:
            raise TokenStoreError(str(exc)) from None

    def __repr__(self) -> str:
        return (
            f"EnvFileTokenStore({os.fspath(self.path)!r}, variable={self.variable!r})"
            if self.variable != "THREADS_ACCESS_TOKEN"
            else super().__repr__()
        )


class JsonFileTokenStore(_FileStore):
    """`Credentials` as JSON (`Credentials.to_json()`) in a file of their own, mode 0600."""

    def __init__(
        self, path: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        super().__init__(path, lock_timeout)

    def load(self) -> Credentials | None:
        try:
            text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenStoreError(f"cannot read {self.path}: {exc}") from None
        if not text.strip():
            return None
        try:
            return Credentials.from_json(text)
        except ValidationError as exc:
            raise TokenStoreError(f"{self.path} does not hold Credentials JSON: {exc}") from None

    def save(self, credentials: Credentials) -> None:
        target = Path(os.path.realpath(self.path))
        try:
            mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
        except OSError as exc:
            raise TokenStoreError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        data = (credentials.to_json(indent=2) + "\n").encode("utf-8")
        try:
            atomic_write(target, data, mode, self.path)
        except EnvFileError as exc:
            raise TokenStoreError(str(exc)) from None


# -- locks for stores without lock() -------------------------------------------------------------
_store_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_store_locks_by_id: dict[int, threading.Lock] = {}
_store_locks_guard = threading.Lock()


def _in_process_lock(store: TokenStore) -> threading.Lock:
    """One lock per store object, shared by every keeper of this process that uses it."""
    with _store_locks_guard:
        try:
            return _store_locks.setdefault(store, threading.Lock())
        except TypeError:  # not weakly referenceable (or unhashable): key by identity
            return _store_locks_by_id.setdefault(id(store), threading.Lock())


@contextlib.contextmanager
def _held(store: TokenStore) -> Iterator[None]:
    lock = getattr(store, "lock", None)
    if callable(lock):
        with lock():
            yield
        return
    with _in_process_lock(store):
        yield


def check_refresh_after(value: Any) -> timedelta:
    """`refresh_after` as a timedelta: at least 24 hours (Meta refuses younger tokens) and
    under 60 days (a token that old has expired)."""
    if isinstance(value, timedelta):
        age = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        age = timedelta(seconds=float(value))
    else:
        raise ValidationError(
            "refresh_after must be a timedelta or a number of seconds.", parameter="refresh_after"
        )
    if not REFRESH_MIN_AGE <= age < LONG_LIVED_LIFETIME:
        raise ValidationError(
            "refresh_after must be at least 24 hours (Meta refreshes no younger token) and "
            "under 60 days (the token expires then); the default is 7 days.",
            parameter="refresh_after",
        )
    return age


# -- the keeper ----------------------------------------------------------------------------------
class TokenKeeper:
    """Keeps one client's long-lived token alive from a `TokenStore` (see the module docstring).

    `graph` sends the refresh (its OAuth call carries no Authorization header, so it does not
    come back here); `now` is the wall clock (UTC), injectable so tests can live through
    months; `adopt` is told each new token this client must send from then on.
    """

    def __init__(
        self,
        store: TokenStore,
        graph: GraphClient,
        credentials: Credentials,
        *,
        refresh_after: timedelta | float = DEFAULT_REFRESH_AFTER,
        now: Callable[[], datetime] = utcnow,
        adopt: Callable[[str], None] | None = None,
        log: Log | None = None,
        retry_interval: timedelta = RETRY_INTERVAL,
    ) -> None:
        self.store = store
        self.refresh_after = check_refresh_after(refresh_after)
        self.retry_interval = retry_interval
        self._graph = graph
        self._now = now
        self._adopt_callback = adopt
        self.log = log or logger_for("tokens")
        self._credentials = credentials
        self._tokens: list[str] = [credentials.access_token]
        self._guard = threading.Lock()  # this keeper's threads, before the store's own lock
        self._retry_at: datetime | None = None
        self._unsaved_from: str | None = None  # the stored token a refresh replaced, unsaved

    @property
    def credentials(self) -> Credentials:
        """The credentials this client uses now."""
        return self._credentials

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token this keeper has held (all secrets, for the redactor)."""
        return tuple(self._tokens)

    @property
    def label(self) -> str:
        return store_label(self.store)

    # -- the transport hook ---------------------------------------------------------------
    def before_request(self) -> None:
        """Refresh the token first when it is due; never fails the request for a failed
        refresh (the old token still works), except when the token is dead."""
        if not self._due(self._credentials, self._now()):
            return
        with self._guard:
            now = self._now()
            if not self._due(self._credentials, now):
                return  # another thread of this client just did it
            try:
                with _held(self.store):
                    current = self._sync()
                    if self._due(current, now):
                        self._refresh(current, now)
            except TokenExpiredError:
                raise
            except (ThreadsPipeError, OSError) as exc:
                self._postpone(now, exc)

    def auth_failed(self, error: AuthenticationError) -> ThreadsAPIError:
        """A request was refused for its token: a TokenExpiredError that says what to do."""
        if error.code not in AUTH_CODES:
            return error
        adopted = ""
        with contextlib.suppress(ThreadsPipeError, OSError, ValueError):
            stored = self.store.load()
            if stored is not None and stored.access_token != self._credentials.access_token:
                self._adopt(stored)
                adopted = f" {self.label} holds another token now: later requests send it."
        return self._expired_error(
            f"{error.message.rstrip('. ')}. The access token has expired or was revoked and "
            f"cannot be refreshed.{adopted}",
            error,
        )

    # -- explicit refresh (the CLI, scripts) ----------------------------------------------
    def refresh(self, *, force: bool = True) -> bool:
        """Refresh now (`force`), or only when due; True if a new token was saved.

        Unlike the hook, failures raise: `OAuthError` (e.g. the token is under 24 hours old),
        `TokenExpiredError`, `ServerError`, `ThreadsConnectionError`, `TokenStoreError`.
        """
        with self._guard, _held(self.store):
            now = self._now()
            current = self._sync()
            if not force and not self._due(current, now, ignore_retry=True):
                return False
            return self._refresh(current, now, learn_age=not force, explicit=True)

    def use(self, access_token: str) -> None:
        """Make `access_token` the stored token (`update_param(access_token=...)`); its age is
        unknown, so the next check refreshes it, or learns that it is too young to be."""
        with self._guard, _held(self.store):
            if access_token == self._credentials.access_token:
                return
            given = Credentials(user_id=self._credentials.user_id, access_token=access_token)
            self.store.save(given)
            self._retry_at = None
            self._adopt(given)

    # -- internals ------------------------------------------------------------------------
    def _due(self, credentials: Credentials, now: datetime, *, ignore_retry: bool = False) -> bool:
        if not ignore_retry and self._retry_at is not None and now < self._retry_at:
            return False
        if self._unsaved_from is not None:
            return True  # a refreshed token still to be saved
        if credentials.short_lived:
            return False  # only long-lived tokens can be refreshed
        age = credentials.age(now)
        return age is None or age >= self.refresh_after  # unknown age: refresh to learn it

    def _sync(self) -> Credentials:
        """Read the store (under its lock): adopt a token another client saved there, or save
        ours if an earlier save failed. The result is what to refresh from."""
        stored = self.store.load()
        current = self._credentials
        if stored is None or (
            self._unsaved_from is not None and stored.access_token == self._unsaved_from
        ):
            self.store.save(current)
            self._unsaved_from = None
            return current
        if stored.access_token != current.access_token:
            self._adopt(stored)
            return stored
        if stored != current:
            self._credentials = stored  # same token, the store knows more (or other) times
        return stored

    def _refresh(
        self, current: Credentials, now: datetime, *, learn_age: bool = True, explicit: bool = False
    ) -> bool:
        """Refresh `current`, adopt and save the new token; False if Meta said "not yet"."""
        try:
            body = auth.OAuthFlow(self._graph).refresh(current.access_token)
        except ThreadsAPIError as exc:
            return self._refused(exc, current, now, learn_age=learn_age)
        fresh = Credentials.from_token_response(
            body, user_id=current.user_id, scopes=current.scopes, short_lived=False, now=now
        )
        self._adopt(fresh)
        self._retry_at = None
        try:
            self.store.save(fresh)
        except (ThreadsPipeError, OSError) as exc:
            if explicit:
                raise  # nobody would be left to save it later
            self._unsaved_from = current.access_token
            self._retry_at = now + self.retry_interval
            self.log.error(
                "Refreshed the access token but could not save it to %s (%s); this client "
                "uses the new token and saves it on its next check",
                self.label,
                exc,
            )
            return True
        expiration = fresh.expiration
        self.log.info(
            "Refreshed the access token and saved it to %s (valid until %s)",
            self.label,
            f"{expiration:%Y-%m-%d %H:%M} UTC" if expiration else "an unknown date",
        )
        return True

    def _refused(
        self, exc: ThreadsAPIError, current: Credentials, now: datetime, *, learn_age: bool
    ) -> bool:
        """Meta refused the refresh: a dead token is a TokenExpiredError; a token of unknown
        age that is merely too young is counted from now (False); anything else is raised."""
        if exc.code in AUTH_CODES or isinstance(exc, TokenExpiredError):
            raise self._expired_error(exc.message, exc) from None
        if not (learn_age and current.issued_at is None and isinstance(exc, auth.OAuthError)):
            raise exc
        self._save(replace(current, issued_at=now))
        self.log.info(
            "The access token in %s could not be refreshed yet (%s); its age was unknown, so "
            "it is taken as issued now",
            self.label,
            exc.message,
        )
        return False

    def _save(self, credentials: Credentials) -> None:
        self.store.save(credentials)
        self._credentials = credentials

    def _adopt(self, credentials: Credentials) -> None:
        self._credentials = credentials
        if credentials.access_token not in self._tokens:
            self._tokens.append(credentials.access_token)
        if self._adopt_callback is not None:
            self._adopt_callback(credentials.access_token)
        else:
            self._graph.access_token = credentials.access_token
            self._graph.redactor.set_secrets(self._tokens)

    def _postpone(self, now: datetime, exc: BaseException) -> None:
        self._retry_at = now + self.retry_interval
        reason = "the store's lock was busy" if isinstance(exc, LockTimeoutError) else str(exc)
        self.log.warning(
            "Could not refresh the access token in %s: %s. The current token is still valid "
            "and is used; trying again after %s",
            self.label,
            reason,
            f"{self._retry_at:%Y-%m-%d %H:%M} UTC",
        )

    def _expired_error(self, message: str, cause: ThreadsAPIError) -> TokenExpiredError:
        return TokenExpiredError(
            f"{message.rstrip()} {new_token_howto(self.label)}",
            code=cause.code,
            subcode=cause.subcode,
            type=cause.type,
            fbtrace_id=cause.fbtrace_id,
            status_code=cause.status_code,
        )


def stored_credentials(
    store: TokenStore,
    user_id: str | int | None,
    access_token: str | None,
    credentials: Credentials | None,
) -> Credentials:
    """The credentials a client with this store starts from: the store's, else the given ones
    (saved to the store, their age unknown unless the Credentials say it)."""
    with _held(store):
        stored = store.load()
        if stored is not None:
            if user_id is not None and str(user_id).strip() != stored.user_id:
                raise ValidationError(
                    f"user_id {user_id!s} differs from the user id in {store_label(store)} "
                    f"({stored.user_id}): leave user_id out, or use another store.",
                    parameter="user_id",
                )
            return stored
        if credentials is None:
            if user_id is None or access_token is None:
                raise ValidationError(
                    f"{store_label(store)} holds no token yet: pass user_id and access_token "
                    "(or credentials=) once to fill it, or save Credentials to it.",
                    parameter="token_store",
                )
            credentials = Credentials(user_id=str(user_id), access_token=access_token)
        store.save(credentials)
        return credentials


# -- without a client: status and refresh (the CLI) ----------------------------------------------
@dataclass(frozen=True)
class TokenStatus:
    """What is known about a stored token: from Meta's debug_token, or the store's record.

    `valid` is None when only the record is known and it does not say the token expired.
    Times are UTC datetimes (None when unknown; `expires_at` None with `never_expires` for a
    token Meta reports with `expires_at: 0`). `note` says why debug_token was not used, or
    what is wrong. No token in it, and no secret in its repr.
    """

    user_id: str
    source: str  # "debug_token" or "store"
    valid: bool | None
    issued_at: datetime | None
    expires_at: datetime | None
    scopes: tuple[str, ...]
    refresh_due_at: datetime | None
    store: str
    data_access_expires_at: datetime | None = None
    application: str | None = None
    never_expires: bool = False
    note: str | None = None

    def age(self, now: datetime | None = None) -> timedelta | None:
        return None if self.issued_at is None else (now or utcnow()) - self.issued_at

    def expires_in(self, now: datetime | None = None) -> timedelta | None:
        return None if self.expires_at is None else self.expires_at - (now or utcnow())

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        age, left = self.age(now), self.expires_in(now)
        return {
            "user_id": self.user_id,
            "source": self.source,
            "valid": self.valid,
            "issued_at": iso_text(self.issued_at) or None,
            "age_seconds": None if age is None else int(age.total_seconds()),
            "expires_at": iso_text(self.expires_at) or None,
            "expires_in_seconds": None if left is None else int(left.total_seconds()),
            "never_expires": self.never_expires,
            "data_access_expires_at": iso_text(self.data_access_expires_at) or None,
            "scopes": list(self.scopes),
            "application": self.application,
            "refresh_due_at": iso_text(self.refresh_due_at) or None,
            "store": self.store,
            "note": self.note,
        }


def _load_required(store: TokenStore) -> Credentials:
    credentials = store.load()
    if credentials is None:
        raise TokenStoreError(
            f"{store_label(store)} holds no token. {new_token_howto(store_label(store))}"
        )
    return credentials


def _unix(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(float(value), timezone.utc)


def token_status(
    store: TokenStore | str | os.PathLike[str],
    *,
    refresh_after: timedelta | float = DEFAULT_REFRESH_AFTER,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
) -> TokenStatus:
    """The stored token's status: Meta's `debug_token` (threads-api.md §2.7) when it answers,
    else the store's own record (debug_token needs the token of a Threads Tester of the app).

    `store` is a store or a `.env`/`.json` path. A token Meta refuses (expired, revoked) is
    `valid=False` with the reason and what to do in `note`. Connection failures raise.
    """
    resolved = as_token_store(store)
    after = check_refresh_after(refresh_after)
    label = store_label(resolved)
    record = _load_required(resolved)
    token = record.access_token
    with auth.standalone_graph(
        base_url, timeout, session, (token,), access_token=token, api_version="v1.0"
    ) as graph:
        try:
            body = graph.get("debug_token", {"input_token": token})
        except AuthenticationError as exc:  # Meta refused the token itself: it is dead
            note = f"{exc.message} {new_token_howto(label)}"
            return _from_record(record, after, label, valid=False, note=note, source="debug_token")
        except ThreadsAPIError as exc:
            return _from_record(record, after, label, note=f"debug_token refused: {exc.message}")
    raw = body.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    issued = _unix(data.get("issued_at")) or record.issued_at
    error = data.get("error") if isinstance(data.get("error"), dict) else None
    valid = bool(data.get("is_valid"))
    scopes = data.get("scopes")
    return TokenStatus(
        user_id=str(data.get("user_id") or record.user_id),
        source="debug_token",
        valid=valid,
        issued_at=issued,
        expires_at=_unix(data.get("expires_at")),
        never_expires=data.get("expires_at") == 0,
        data_access_expires_at=_unix(data.get("data_access_expires_at")),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else record.scopes,
        application=str(data["application"]) if data.get("application") else None,
        refresh_due_at=None if issued is None else issued + after,
        store=label,
        note=(
            None
            if valid
            else f"{graph.redactor.text(str((error or {}).get('message') or 'not valid'))} "
            f"{new_token_howto(label)}"
        ),
    )


def _from_record(
    record: Credentials,
    after: timedelta,
    label: str,
    *,
    valid: bool | None = None,
    note: str | None = None,
    source: str = "store",
) -> TokenStatus:
    if valid is None and record.expired():
        valid = False
    return TokenStatus(
        user_id=record.user_id,
        source=source,
        valid=valid,
        issued_at=record.issued_at,
        expires_at=record.expiration,
        scopes=record.scopes,
        refresh_due_at=None if record.issued_at is None else record.issued_at + after,
        store=label,
        note=note,
    )


def refresh_stored_token(
    store: TokenStore | str | os.PathLike[str],
    *,
    force: bool = True,
    refresh_after: timedelta | float = DEFAULT_REFRESH_AFTER,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    now: Callable[[], datetime] = utcnow,
) -> tuple[Credentials, bool]:
    """Refresh the stored token now (or, with `force=False`, only when it is `refresh_after`
    old) and save it, under the store's lock: `(credentials now stored, refreshed?)`.

    Meta's refusals raise (`OAuthError` for a token under 24 hours old, `TokenExpiredError`
    with what to do for an expired or revoked one); the store keeps the old token then.
    """
    resolved = as_token_store(store)
    after = check_refresh_after(refresh_after)
    record = _load_required(resolved)
    with auth.standalone_graph(base_url, timeout, session, (record.access_token,)) as graph:
        keeper = TokenKeeper(resolved, graph, record, refresh_after=after, now=now)
        refreshed = keeper.refresh(force=force)
        return keeper.credentials, refreshed
