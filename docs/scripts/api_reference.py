"""Generate docs/15-api-reference.md from the docstrings of the public API.

The public API here is the `ThreadsPipe` constructor and its public methods, the functions of
`threadspipepy.notebook` and the module-level functions of `threadspipepy.auth`. Each one's
docstring is Google-style: a summary, an `Args:` section naming every parameter (its type and
default come from the signature), optionally `Returns:` and `Raises:`, and an `Example:`.

    python docs/scripts/api_reference.py          # rewrites docs/15-api-reference.md
    python docs/scripts/api_reference.py --check  # exit 1 if the page or a docstring is stale

tests/docs/test_api_reference.py fails when a parameter is undocumented, a documented one no
longer exists, an example does not compile, or the committed page differs from this output.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadspipepy import auth, notebook
from threadspipepy._auth_facade import AuthMethods
from threadspipepy._reading_facade import ReadingMethods
from threadspipepy.threadspipe import ThreadsPipe

OUTPUT = Path(__file__).resolve().parents[1] / "15-api-reference.md"
SECTIONS = ("Args", "Returns", "Raises", "Example")
_SECTION = re.compile(rf"^({'|'.join(SECTIONS)}):\s*$")
_ARG = re.compile(r"^(\*{0,2}\w+)(?: \([^)]*\))?:\s?(.*)$")


@dataclass(frozen=True)
class Entry:
    """One documented callable: how the page names it, and the object itself."""

    title: str
    obj: Callable[..., Any]
    docstring: str
    skip_first: bool = False  # self or cls


@dataclass
class Docstring:
    summary: str = ""
    body: str = ""
    args: dict[str, str] = field(default_factory=dict)
    returns: str = ""
    raises: str = ""
    example: str = ""


def parse(docstring: str) -> Docstring:
    """Split a Google-style docstring into its parts."""
    lines = inspect.cleandoc(docstring).splitlines()
    parsed = Docstring()
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in lines:
        match = _SECTION.match(line)
        if match:
            current = match.group(1)
            sections[current] = []
        else:
            sections[current].append(line)
    intro = "\n".join(sections[""]).strip().split("\n\n", 1)
    parsed.summary = " ".join(intro[0].split())
    parsed.body = intro[1].strip() if len(intro) > 1 else ""
    parsed.args = _args(sections.get("Args", []))
    parsed.returns = _prose(sections.get("Returns", []))
    parsed.raises = _prose(sections.get("Raises", []))
    parsed.example = textwrap.dedent("\n".join(sections.get("Example", []))).strip()
    return parsed


def _args(lines: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    name = None
    for line in textwrap.dedent("\n".join(lines)).splitlines():
        match = _ARG.match(line)
        if match and not line.startswith(" "):
            name = match.group(1)
            args[name] = match.group(2).strip()
        elif name is not None and line.strip():
            args[name] = f"{args[name]} {line.strip()}".strip()
    return args


def _prose(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def parameters(entry: Entry) -> list[inspect.Parameter]:
    params = list(inspect.signature(entry.obj).parameters.values())
    return params[1:] if entry.skip_first else params


def documented_name(param: inspect.Parameter) -> str:
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        return f"*{param.name}"
    if param.kind is inspect.Parameter.VAR_KEYWORD:
        return f"**{param.name}"
    return param.name


def problems(entry: Entry) -> list[str]:
    """What is missing or stale in an entry's docstring (empty when it is complete)."""
    if not entry.docstring.strip():
        return [f"{entry.title}: no docstring"]
    doc = parse(entry.docstring)
    wanted = [documented_name(p) for p in parameters(entry)]
    found: list[str] = []
    found += [
        f"{entry.title}: parameter {n} is not documented" for n in wanted if n not in doc.args
    ]
    found += [
        f"{entry.title}: Args names {n}, which it does not take"
        for n in doc.args
        if n not in wanted
    ]
    if not doc.summary:
        found.append(f"{entry.title}: no summary line")
    if not doc.example:
        found.append(f"{entry.title}: no Example section")
    return found


def entries() -> Iterator[tuple[str, list[Entry]]]:
    """The public API, in the order of the page."""
    client = [Entry("ThreadsPipe(...)", ThreadsPipe, ThreadsPipe.__doc__ or "")]
    for owner in (ThreadsPipe, AuthMethods, ReadingMethods):
        for name, value in vars(owner).items():
            if name.startswith("_"):
                continue
            function = value.__func__ if isinstance(value, classmethod | staticmethod) else value
            if not inspect.isfunction(function):
                continue
            bound = getattr(ThreadsPipe, name)
            static = isinstance(value, staticmethod)
            client.append(
                Entry(f"ThreadsPipe.{name}", bound, function.__doc__ or "", skip_first=not static)
            )
    # a classmethod looked up on the class is bound already: its cls is gone
    client = [
        Entry(e.title, e.obj, e.docstring, skip_first=e.skip_first and not inspect.ismethod(e.obj))
        for e in client
    ]
    yield "ThreadsPipe", client
    yield (
        "threadspipepy.notebook",
        [
            Entry(f"notebook.{f.__name__}", f, f.__doc__ or "")
            for f in (notebook.insights_frame, notebook.posts_frame, notebook.plot_insights)
        ],
    )
    functions = [getattr(auth, n) for n in auth.__all__ if inspect.isfunction(getattr(auth, n))]
    yield "threadspipepy.auth", [Entry(f"auth.{f.__name__}", f, f.__doc__ or "") for f in functions]


# -- the page ----------------------------------------------------------------------------------
HEADER = """---
title: API reference
slug: /api-reference
sidebar_label: API reference
sidebar_position: 15
---

# API reference

Every public method of `ThreadsPipe`, its constructor, the `threadspipepy.notebook` functions
and the `threadspipepy.auth` functions, with every parameter: its type and default (from the
signature) and what it does (from the docstring, which `help()` shows too). This page is
generated by [`docs/scripts/api_reference.py`](scripts/api_reference.py) from the docstrings;
a test fails when a parameter is undocumented or the page is out of date.

The examples assume a client, `tp = ThreadsPipe.from_env()` (or `sb.client()` on the
sandbox); the guides (pages 1 to 14) have complete, tested programs.
"""


def render() -> str:
    out = [HEADER]
    for section, items in entries():
        out.append(f"## {section}\n")
        for entry in items:
            out.append(_render_entry(entry))
    return "\n".join(out).rstrip() + "\n"


def _render_entry(entry: Entry) -> str:
    doc = parse(entry.docstring)
    name = entry.title.removesuffix("(...)")
    lines = [f"### `{entry.title}`", "", "```py", _signature(name, entry), "```", ""]
    lines += [doc.summary, ""]
    if doc.body:
        lines += [doc.body, ""]
    params = parameters(entry)
    if params:
        lines += ["| Parameter | Type | Default | Effect |", "| --- | --- | --- | --- |"]
        for param in params:
            shown = documented_name(param)
            lines.append(
                f"| `{shown}` | {_code(_annotation(param))} | {_code(_default(param))} | "
                f"{_cell(doc.args.get(shown, ''))} |"
            )
        lines.append("")
    if doc.returns:
        lines += [f"**Returns:** {doc.returns}", ""]
    if doc.raises:
        lines += [f"**Raises:** {doc.raises}", ""]
    if doc.example:
        lines += ["**Example:**", "", "```py", doc.example, "```", ""]
    return "\n".join(lines)


def _signature(name: str, entry: Entry) -> str:
    pieces = []
    for param in parameters(entry):
        text = documented_name(param)
        annotation = _annotation(param)
        if annotation:
            text += f": {annotation}"
        default = _default(param)
        if default:
            text += f" = {default}"
        pieces.append(text)
    kinds = [p.kind for p in parameters(entry)]
    if inspect.Parameter.KEYWORD_ONLY in kinds and inspect.Parameter.VAR_POSITIONAL not in kinds:
        first = kinds.index(inspect.Parameter.KEYWORD_ONLY)
        pieces.insert(first, "*")
    returns = inspect.signature(entry.obj).return_annotation
    tail = "" if returns is inspect.Signature.empty else f" -> {_text(returns)}"
    one_line = f"{name}({', '.join(pieces)}){tail}"
    if len(one_line) <= 96:
        return one_line
    body = "".join(f"    {piece},\n" for piece in pieces)
    return f"{name}(\n{body}){tail}"


def _annotation(param: inspect.Parameter) -> str:
    return "" if param.annotation is inspect.Parameter.empty else _text(param.annotation)


def _default(param: inspect.Parameter) -> str:
    if param.default is inspect.Parameter.empty:
        return ""
    return repr(param.default)


def _text(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


def _code(text: str) -> str:
    return f"`{text}`".replace("|", "\\|") if text else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str]) -> int:
    stale = [p for _, items in entries() for e in items for p in problems(e)]
    for problem in stale:
        print(problem, file=sys.stderr)
    page = render()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != page:
            print(
                f"{OUTPUT} is out of date: run python docs/scripts/api_reference.py",
                file=sys.stderr,
            )
            return 1
        return 1 if stale else 0
    OUTPUT.write_text(page, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
