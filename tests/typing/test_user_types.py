"""`mypy --strict` on a user's script: results, iterators and insights are typed, no casts.

user_bot.py reads a pipe() result, iterates posts and replies and reads insights, with
`assert_type` on each value; wrong_calls.py holds calls a type checker must refuse (a reply
audience, a search type or a breakdown that does not exist, a wrong element type, a key a post
does not have). Both are checked by mypy in a subprocess; user_bot.py also runs on the sandbox.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from threadspipepy.testing import ThreadsSandbox

from . import user_bot

pytest.importorskip("mypy")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def mypy(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_a_user_script_type_checks_strictly_without_casts() -> None:
    source = (HERE / "user_bot.py").read_text(encoding="utf-8")
    assert "cast(" not in source and "# type: ignore" not in source
    checked = mypy(HERE / "user_bot.py")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_wrong_calls_are_refused_where_marked() -> None:
    path = HERE / "wrong_calls.py"
    marked = {
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "# error" in line
    }
    checked = mypy(path)
    reported = {int(n) for n in re.findall(r"wrong_calls\.py:(\d+): error", checked.stdout)}
    assert reported == marked, checked.stdout


def test_the_user_script_is_true_at_run_time(capsys: pytest.CaptureFixture[str]) -> None:
    with ThreadsSandbox() as sb, sb.client() as tp:
        sb.seed_user_insights(
            views={"2024-06-01": 5, "2024-06-02": 9, "2024-06-03": 4},
            likes=3,
            demographics={"country": {"US": 7}},
        )
        sb.seed_posts(2)
        user_bot.main(tp)
    printed = capsys.readouterr().out
    assert "Typed all the way down" in printed
    assert "(datetime.date(2024, 6, 2), 9)" in printed
