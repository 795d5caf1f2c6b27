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
from collections.abc import Mapping
from pathlib import Path

from .errors import ThreadsPipeError, ValidationError

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAFE_UNQUOTED = re.compile(r"[A-Za-z0-9_.\-~+/:=|@%,]+")


class EnvFileError(ThreadsPipeError):
    """The `.env` file could not be read or written."""


# -- the .env file -------------------------------------------------------------------------------
def check_env_target(
    env_path: str | os.PathLike[str] | None, env_variable: str | None
) -> tuple[Path, str] | None:
    """Validate where a token is to be written, before any request; None when not asked to.

    Both or neither must be given; the variable must be a shell-style name; the file (or its
    directory, if the file does not exist yet) must be writable.
    """
    if env_path is None and env_variable is None:
        return None
    if env_path is None or env_variable is None or not str(env_path) or not env_variable:
        raise ValidationError(
            "env_path and env_variable go together: the .env file and the variable in it to "
            "update with the new token.",
            parameter="env_path" if env_path is None or not str(env_path) else "env_variable",
        )
    if not isinstance(env_variable, str) or not _ENV_NAME.fullmatch(env_variable):
        raise ValidationError(
            "env_variable must be a variable name such as THREADS_ACCESS_TOKEN (letters, digits "
            "and _, not starting with a digit).",
            parameter="env_variable",
        )
    path = Path(os.path.realpath(os.fspath(env_path)))
    if path.exists():
        if not path.is_file():
            raise ValidationError(f"{env_path} is not a file.", parameter="env_path")
        if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK):
            raise ValidationError(
                f"{env_path} (and its directory) must be readable and writable.",
                parameter="env_path",
            )
    elif not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise ValidationError(
            f"cannot create {env_path}: its directory does not exist or is not writable.",
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
    are not UTF-8. The line keeps its quoting (unquoted when the value needs no quotes, else
    single quotes); a new line is appended unquoted when possible. The new file is written
    next to the old one, flushed to disk and renamed over it (a symlink is followed and the
    file it points to is updated). Mode: kept for an existing file, 0600 for a new one.
    """
    return variable in update_env_values(path, {variable: value})


def update_env_values(path: str | os.PathLike[str], values: Mapping[str, str]) -> set[str]:
    """Set several variables of a `.env` file in one atomic write; the names it replaced.

    The same rules as `update_env_file` for each variable (the others appended in the order
    given), so a reader never sees some of them changed and not the rest.
    """
    from dotenv.parser import parse_stream  # python-dotenv's own parser, as set_key uses

    for variable, value in values.items():
        if not _ENV_NAME.fullmatch(variable):
            raise ValidationError(
                "env_variable must be a variable name such as THREADS_ACCESS_TOKEN.",
                parameter="env_variable",
            )
        if any(ch in value for ch in "\r\n\x00"):
            raise ValidationError("the value must be a single line.", parameter="value")
    target = Path(os.path.realpath(os.fspath(path)))
    try:
        raw = target.read_bytes() if target.exists() else b""
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
    except OSError as exc:
        raise EnvFileError(f"cannot read {path}: {exc.strerror or exc}") from None
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
    _atomic_write(target, data, mode, path)
    return replaced


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
    """The value written so that python-dotenv reads it back exactly (no `$` interpolation)."""
    from dotenv.parser import parse_stream

    single = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if quote_char == '"' and "$" not in value:
        candidate = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif quote_char == "" and _SAFE_UNQUOTED.fullmatch(value):
        candidate = value
    else:
        candidate = single
    for rendered in dict.fromkeys((candidate, single)):
        parsed = list(parse_stream(io.StringIO(f"K={rendered}\n", newline="")))
        if len(parsed) == 1 and not parsed[0].error and parsed[0].value == value:
            return rendered
    raise ValidationError("the value cannot be written to a .env file.", parameter="value")


def _atomic_write(target: Path, data: bytes, mode: int, shown: str | os.PathLike[str]) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".env", dir=target.parent)
    except OSError as exc:
        raise EnvFileError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise EnvFileError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def read_env_value(path: str | os.PathLike[str], variable: str) -> str | None:
    """A variable's value in a `.env` file (python-dotenv's reading, no interpolation)."""
    from dotenv import dotenv_values

    try:
        values = dotenv_values(path, interpolate=False)
    except OSError as exc:
        raise EnvFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    value = values.get(variable)
    return value or None
