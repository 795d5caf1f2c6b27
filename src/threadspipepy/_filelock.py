"""An exclusive lock on a file, held across threads and processes (POSIX and Windows).

Used wherever several processes may write the same file at once (the `.env` file, a token
store, the journal's claims): each writer holds the lock for the few milliseconds of its
read-modify-write, so no write is lost. The lock file itself is never deleted: deleting it
while another process waits on it would let two holders in at once.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import LockTimeoutError as LockTimeoutError

DEFAULT_TIMEOUT = 30.0
_POLL_SECONDS = 0.02

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()
_held = threading.local()  # the keys this thread holds: a nested file_lock is a no-op


def _thread_lock(key: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextmanager
def file_lock(
    path: str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing, mode 0600) for the block.

    Threads of this process queue on an in-process lock first; processes queue on the OS
    lock. Raises LockTimeoutError after `timeout` seconds of waiting. A thread that already
    holds the lock may take it again (the token store locks around a `.env` write that
    locks the same file).
    """
    key = os.path.realpath(os.fspath(path))
    held: set[str] = getattr(_held, "keys", None) or set()
    _held.keys = held
    if key in held:
        yield
        return
    deadline = clock() + timeout
    in_process = _thread_lock(key)
    if not in_process.acquire(timeout=max(timeout, 0.0)):
        raise LockTimeoutError(f"waited {timeout:.0f} s for the lock on {Path(key).name}")
    try:
        fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while not _try_lock(fd):
                if clock() >= deadline:
                    raise LockTimeoutError(
                        f"waited {timeout:.0f} s for the lock on {Path(key).name}; another "
                        "process holds it"
                    )
                sleep(_POLL_SECONDS)
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)
                _unlock(fd)
        finally:
            os.close(fd)
    finally:
        in_process.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
