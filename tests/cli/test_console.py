"""In-process: colour only on a TTY, secrets masked, the quota table, logging per run."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from colorama import Fore, Style

from threadspipepy.cli import Console, _logging_to_stderr, main, quota_table


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out, err = FakeTTY(), FakeTTY()
    console = Console(stdout=out, stderr=err)
    console.success("Published 1 post: 1")
    console.error("boom")
    assert out.getvalue().startswith(Fore.GREEN)
    assert err.getvalue().startswith(Fore.RED + "error: boom")


def test_no_colour_with_no_color_or_off_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    tty = FakeTTY()
    Console(stdout=tty).success("ok")
    monkeypatch.delenv("NO_COLOR")
    pipe = io.StringIO()
    Console(stdout=pipe).success("ok")
    assert tty.getvalue() == pipe.getvalue() == "ok\n"


def test_secrets_are_masked_in_every_kind_of_output() -> None:
    out, err = io.StringIO(), io.StringIO()
    console = Console(json_mode=True, stdout=out, stderr=err)
    console.add_secrets(["s3cr3t-token-value", None, "abc"])  # too short to mask: kept
    console.error("token s3cr3t-token-value rejected (code=190)")
    console.document({"error": {"message": "s3cr3t-token-value", "code": 190}, "x": "abc"})
    assert "s3cr3t" not in out.getvalue() + err.getvalue()
    assert err.getvalue() == "error: token *** rejected (code=190)\n"
    assert json.loads(out.getvalue()) == {"error": {"message": "***", "code": 190}, "x": "abc"}


def test_quiet_and_json_silence_results_and_notes() -> None:
    for console in (Console(quiet=True), Console(json_mode=True)):
        console.stdout, console.stderr = io.StringIO(), io.StringIO()
        console.success("ok")
        console.note("note")
        assert console.stdout.getvalue() == console.stderr.getvalue() == ""


def test_quota_table_shows_missing_fields_as_dashes() -> None:
    body = {"data": [{"quota_usage": 3, "config": {"quota_total": 250, "quota_duration": 86400}}]}
    lines = quota_table(body).splitlines()
    assert lines[0].split() == ["quota", "used", "total", "window"]
    assert lines[1].split() == ["posts", "3", "250", "24", "h"]
    assert lines[2].split() == ["replies", "-", "-", "-"]
    assert len(lines) == 5


def test_main_in_process_logs_only_for_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("threadspipepy")
    handlers, level = list(logger.handlers), logger.level
    assert main(["--sandbox", "-v", "post", "Hello, Threads"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Published 1 post: ")
    assert "INFO threadspipepy: Published part 1/1 as " in err
    assert (logger.handlers, logger.level) == (handlers, level)


def test_log_lines_are_masked() -> None:
    stream = io.StringIO()
    console = Console(stderr=stream)
    console.add_secrets(["s3cr3t-token-value"])
    record = logging.LogRecord(
        "threadspipepy", logging.INFO, __file__, 1, "t=%s", ("s3cr3t-token-value",), None
    )
    with _logging_to_stderr(1, console):
        logging.getLogger("threadspipepy").handle(record)
    assert stream.getvalue() == "INFO threadspipepy: t=***\n"


# -- progress on a terminal -------------------------------------------------------------------
def _run_on_a_terminal(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, list[str]]:
    """main(argv) with stderr a fake terminal; (exit status, stderr lines)."""
    err = FakeTTY()
    monkeypatch.setattr(sys, "stderr", err)
    logger = logging.getLogger("threadspipepy")
    handlers, level = list(logger.handlers), logger.level
    status = main(list(argv))
    assert (logger.handlers, logger.level) == (handlers, level)  # undone after the command
    return status, err.getvalue().splitlines()


def test_progress_lines_on_a_terminal_are_dim(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    photo = "https://cdn.example.com/a.jpg"  # the --sandbox takes a moment to "process" it
    status, lines = _run_on_a_terminal(monkeypatch, "--sandbox", "post", "Photo", "-f", photo)
    assert status == 0
    assert capsys.readouterr().out.startswith("Published 1 post: ")
    dim = Style.DIM
    assert any(
        line.startswith(dim + "Part 1/1: waiting for Threads to process container ")
        for line in lines
    ), lines
    assert any(line.startswith(dim + "Published part 1/1 as ") for line in lines), lines
    assert all(line.endswith(Style.RESET_ALL) for line in lines)


def test_no_progress_with_quiet_or_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for flag in ("--quiet", "--json"):
        status, lines = _run_on_a_terminal(monkeypatch, "--sandbox", flag, "post", "Hello")
        assert status == 0
        assert lines == []


def test_progress_leaves_errors_to_the_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # plain text: progress without colour
    status, lines = _run_on_a_terminal(
        monkeypatch, "--sandbox", "post", "A reply", "--reply-to", "17900000000000001"
    )
    assert status == 1
    assert [line for line in lines if "Could not publish" in line] == [lines[-1]]
    assert lines[-1].startswith("error: Could not publish post")
