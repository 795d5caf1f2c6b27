"""file_lock: one holder at a time across threads and processes; a bounded wait."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from threadspipepy._filelock import LockTimeoutError, file_lock

# Each process appends its counter in a read-modify-write under the lock; a lost write would
# show as a final count below the number of increments.
_WORKER = """
import sys
from pathlib import Path
from threadspipepy._filelock import file_lock
lock, counter = Path(sys.argv[1]), Path(sys.argv[2])
for _ in range(int(sys.argv[3])):
    with file_lock(lock):
        value = int(counter.read_text() or "0")
        counter.write_text(str(value + 1))
"""


def test_processes_never_lose_an_increment(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    lock = tmp_path / "counter.lock"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(lock), str(counter), "40"])
        for _ in range(4)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    assert counter.read_text() == "160"


def test_threads_never_lose_an_increment(tmp_path: Path) -> None:
    counter = {"n": 0}
    lock = tmp_path / "lock"

    def work() -> None:
        for _ in range(50):
            with file_lock(lock):
                value = counter["n"]
                threading.Event().wait(0.0001)
                counter["n"] = value + 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter["n"] == 200


def test_a_held_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    lock = tmp_path / "held.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from threadspipepy._filelock import file_lock\n"
            "with file_lock(sys.argv[1]):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(30)\n",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(LockTimeoutError, match="another process holds it"),
            file_lock(lock, timeout=0.2),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    with file_lock(lock, timeout=5):  # the dead holder's lock is released by the OS
        pass
    assert lock.stat().st_mode & 0o777 == 0o600


def test_a_thread_may_take_a_lock_it_holds_again(tmp_path: Path) -> None:
    lock = tmp_path / "nested.lock"
    with file_lock(lock, timeout=1), file_lock(lock, timeout=1):
        pass
    other: list[str] = []

    def try_meanwhile() -> None:
        try:
            with file_lock(lock, timeout=0.2):
                other.append("got it")
        except LockTimeoutError:
            other.append("waited")

    with file_lock(lock, timeout=1):
        worker = threading.Thread(target=try_meanwhile)
        worker.start()
        worker.join()
    assert other == ["waited"]  # still exclusive across threads
