"""The `.env` file: where a token may be written, the atomic update and the reading
(re-exported by `threadspipepy.auth`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

from ._filelock import LockTimeoutError, file_lock
from .errors import EnvFileError as EnvFileError
from .errors import InsecureEnvFileWarning as InsecureEnvFileWarning
from .errors import ValidationError

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Characters a shell reads literally in an unquoted assignment (no ~ | $ ; & spaces ...).
_SAFE_UNQUOTED = re.compile(r"[A-Za-z0-9_.\-+/:=@%,]+")
LOCK_TIMEOUT = 30.0


# -- the .env file -------------------------------------------------------------------------------
def check_env_target(
    env_path: str | os.PathLike[str] | None, env_variable: str | None
) -> tuple[Path, str] | None:
    """Validate where a token is to be written, before any request; None when not asked to.

    Both or neither must be given; the variable must be a shell-style name; the file (or its
    directory, if the file does not exist yet) must be writable.

    Args:
        env_path: The `.env` file.
        env_variable: The variable in it.

    Returns:
        `(path, variable)`, or None when neither was given.

    Example:
        target = auth.check_env_target(".env", "THREADS_ACCESS_TOKEN")
    """
    if env_path is None and env_variable is None:
        return None
    if env_path is None or env_variable is None or not str(env_path) or not env_variable:
        raise ValidationError(
            "env_path and env_variable go together: the .env file and the variable in it to "
            "update with the new token.",
            parameter="env_path" if env_path is None or not str(env_path) else "env_variable",
        )
    if not isinstance(env_variable, str) or not ENV_NAME.fullmatch(env_variable):
        raise ValidationError(
            "env_variable must be a variable name such as THREADS_ACCESS_TOKEN (letters, digits "
            "and _, not starting with a digit).",
            parameter="env_variable",
        )
    path = Path(os.path.realpath(os.fspath(env_path)))
    if path.exists():
        if not path.is_file():
            raise ValidationError(f"env_path {env_path} is not a file.", parameter="env_path")
        if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK):
            raise ValidationError(
                f"env_path {env_path} (and its directory) must be readable and writable.",
                parameter="env_path",
            )
    elif not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise ValidationError(
            f"env_path: cannot create {env_path}: its directory does not exist or is not writable.",
            parameter="env_path",
        )
    return path, env_variable


# One assignment line: indentation (and blank lines dotenv attaches), `export`, the key, `=`,
# the value as written (quoted or not), an inline comment, the line ending.
_ASSIGNMENT = re.compile(
    r"""(?P<lead>\s*(?:export[ \t]+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)(?P<eq>[ \t]*=[ \t]*)
        (?P<value>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|[^\r\n]*?)
        (?P<tail>(?:[ \t]+\#[^\r\n]*)?[ \t]*)(?P<end>\r\n|\n|\r)?""",
    re.X | re.S,
)


def update_env_file(path: str | os.PathLike[str], variable: str, value: str) -> bool:
    """Set `variable=value` in a `.env` file, atomically; True if it replaced a line.

    Uses python-dotenv's parser and, unlike its `set_key`, keeps every other byte as it was:
    CRLF line endings, a UTF-8 BOM, `export` and inline comments on the updated line, bytes that
    are not UTF-8. The value is written so that python-dotenv and a POSIX shell sourcing the
    file (`set -a; . ./.env`) read back the same string: the line's own quoting when that works,
    else unquoted, single or double quotes; a value no quoting can carry to both (one that
    mixes `'` with `$` or a backquote, or holds `${`) is a ValidationError, and so is a value of
    several lines.

    Several processes may update the file at once: each holds an exclusive lock on a sibling
    `<name>.lock` file (created once, mode 0600, never deleted) for its read-modify-write, so
    no update is lost. The new file is written next to the old one, flushed to disk and renamed
    over it (a symlink is followed and the file it points to is updated); if the write is
    interrupted (an error, Ctrl-C) the temporary file is removed. Mode: 0600 for a new file;
    an existing file keeps its mode unless it is world-readable or world-writable (0644, say),
    in which case it is made 0600 with an `InsecureEnvFileWarning`.

    Args:
        path: The `.env` file (created if missing).
        variable: The variable to set (a shell-style name).
        value: Its new value (one line).

    Example:
        auth.update_env_file(".env", "THREADS_ACCESS_TOKEN", new_token)
    """
    return variable in update_env_values(path, {variable: value})


def update_env_values(path: str | os.PathLike[str], values: Mapping[str, str]) -> set[str]:
    """Set several variables of a `.env` file in one atomic write; the names it replaced.

    The same rules as `update_env_file` for each variable (the others appended in the order
    given), so a reader never sees some of them changed and not the rest.
    """
    for variable, value in values.items():
        if not ENV_NAME.fullmatch(variable):
            raise ValidationError(
                "env_variable must be a variable name such as THREADS_ACCESS_TOKEN.",
                parameter="env_variable",
            )
        if any(ch in value for ch in "\r\n\x00"):
            raise ValidationError("the value must be a single line.", parameter="value")
        _render(value, "")  # refuse a value no quoting can carry, before touching the file
    target = Path(os.path.realpath(os.fspath(path)))
    problem: str | None = None
    try:
        with file_lock(lock_path(target), timeout=LOCK_TIMEOUT):
            return _update_locked(target, values, path)
    except LockTimeoutError as exc:
        problem = str(exc)
    except OSError as exc:  # the lock file could not be created
        problem = exc.strerror or str(exc)
    raise EnvFileError(f"cannot write {path}: {problem}")


def lock_path(target: Path) -> Path:
    """The lock file that serialises writers of `target`: `.env` -> `.env.lock`."""
    return target.with_name(target.name + ".lock")


def _update_locked(
    target: Path, values: Mapping[str, str], shown: str | os.PathLike[str]
) -> set[str]:
    from dotenv.parser import parse_stream  # python-dotenv's own parser, as set_key uses

    raw, mode = _read_for_update(target, shown)
    text = raw.decode("utf-8", "surrogateescape")
    bom = "\ufeff" if text.startswith("\ufeff") else ""  # dotenv's parser drops it; we keep it
    body = text[len(bom) :]
    first = body.find("\n")
    newline = "\r\n" if first > 0 and body[first - 1] == "\r" else "\n"
    pieces: list[str] = []
    replaced: set[str] = set()
    for binding in parse_stream(io.StringIO(body, newline="")):
        original, key = binding.original.string, binding.key
        if key is not None and key in values and not binding.error:
            pieces.append(_assignment(original, key, values[key]))
            replaced.add(key)
        else:
            pieces.append(original)
    out = "".join(pieces)
    for variable, value in values.items():
        if variable not in replaced:
            if out and not out.endswith(("\n", "\r")):
                out += newline
            out += _line(variable, value, "", newline)
    data = (bom + out).encode("utf-8", "surrogateescape")
    atomic_write(target, data, _private_mode(mode, shown), shown)
    return replaced


def _read_for_update(target: Path, shown: str | os.PathLike[str]) -> tuple[bytes, int | None]:
    """The file's bytes and mode (None when it does not exist yet)."""
    problem: str | None = None
    try:
        if not target.exists():
            return b"", None
        return target.read_bytes(), stat.S_IMODE(target.stat().st_mode)
    except OSError as exc:
        problem = exc.strerror or str(exc)
    raise EnvFileError(f"cannot read {shown}: {problem}")


def _private_mode(mode: int | None, shown: str | os.PathLike[str]) -> int:
    """The mode the updated file gets: 0600 when new, or when the world had access."""
    if mode is None:
        return 0o600
    if mode & 0o007:
        warnings.warn(
            f"{os.fspath(shown)} was open to every user (mode {mode:04o}); it now holds a "
            "token, so it was made 0600.",
            InsecureEnvFileWarning,
            stacklevel=5,
        )
        return 0o600
    return mode


def _assignment(original: str, variable: str, value: str) -> str:
    """The replacement of one `variable=...` binding, in the style it was written."""
    match = _ASSIGNMENT.fullmatch(original)
    if match is None or match.group("key") != variable:
        lead = original[: len(original) - len(original.lstrip())]
        end = "\r\n" if original.endswith("\r\n") else "\n" if original.endswith("\n") else ""
        return lead + _line(variable, value, "", end)
    written = match.group("value")
    quote_char = written[:1] if written[:1] in ("'", '"') else ""
    rendered = _render(value, quote_char)
    return (
        f"{match.group('lead')}{variable}{match.group('eq')}{rendered}"
        f"{match.group('tail')}{match.group('end') or ''}"
    )


def _line(variable: str, value: str, quote_char: str, end: str) -> str:
    return f"{variable}={_render(value, quote_char)}{end}"


def _render(value: str, quote_char: str) -> str:
    """The value as python-dotenv and `sh` both read it back exactly, `quote_char`'s way first.

    Each form has one meaning in a shell: unquoted only for plain characters (no `~`, `|`,
    `$`, spaces...); single quotes take everything but `'` literally; double quotes are safe
    without `$` and backquotes (`\\` and `\"` read the same in both). python-dotenv's parser
    checks each candidate; `${` is refused outright, since python-dotenv would expand it.
    """
    from dotenv.parser import parse_stream

    forms = {
        "": value if _SAFE_UNQUOTED.fullmatch(value) else None,
        "'": f"'{value}'" if "'" not in value else None,
        '"': None
        if "$" in value or "`" in value
        else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"',
    }
    if "${" not in value:
        for style in dict.fromkeys((quote_char, "", "'", '"')):
            rendered = forms.get(style)
            if rendered is None:
                continue
            parsed = list(parse_stream(io.StringIO(f"K={rendered}\n", newline="")))
            if len(parsed) == 1 and not parsed[0].error and parsed[0].value == value:
                return rendered
    raise ValidationError(
        "the value cannot be written to a .env file so that python-dotenv and a shell that "
        "sources it read the same thing (it mixes ' with $ or a backquote, or holds ${...}).",
        parameter="value",
    )


def atomic_write(target: Path, data: bytes, mode: int, shown: str | os.PathLike[str]) -> None:
    problem: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".env", dir=target.parent)
    except OSError as exc:
        problem = exc.strerror or str(exc)
    if problem is not None:
        raise EnvFileError(f"cannot write {shown}: {problem}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        problem = exc.strerror or str(exc)
    except BaseException:  # Ctrl-C, SystemExit: no temporary copy of the token left behind
        _remove(tmp)
        raise
    if problem is not None:
        _remove(tmp)
        raise EnvFileError(f"cannot write {shown}: {problem}")
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def read_env_value(path: str | os.PathLike[str], variable: str) -> str | None:
    """A variable's value in a `.env` file (python-dotenv's reading, no interpolation).

    Args:
        path: The `.env` file.
        variable: The variable to read.

    Returns:
        Its value, or None if the file or the variable is missing.

    Example:
        token = auth.read_env_value(".env", "THREADS_ACCESS_TOKEN")
    """
    from dotenv import dotenv_values

    try:
        values = dotenv_values(path, interpolate=False)
    except OSError as exc:
        raise EnvFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    value = values.get(variable)
    return value or None
