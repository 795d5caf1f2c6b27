"""threadspipepy.webhooks stays a pure core: the standard library and the error tree only, so a
receiver never loads the posting side (design.md §7)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import threadspipepy.webhooks

PACKAGE = Path(threadspipepy.webhooks.__file__).resolve().parent
ALLOWED_INTERNAL = {"..errors"}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def test_the_webhooks_package_imports_only_the_standard_library_and_errors() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 6
    for module in modules:
        for name in imports(module):
            if name.startswith(".."):
                assert name in ALLOWED_INTERNAL, f"{module.name} imports {name}"
            elif name.startswith("."):
                continue  # its own modules
            else:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in {"__future__", "_typeshed"}, (
                    f"{module.name} imports {name}"
                )
