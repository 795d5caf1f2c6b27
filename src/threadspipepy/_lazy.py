"""Modules loaded on first use, so that `import threadspipepy` loads only the client's core.

The facade and its mixins reach each feature (posting, reading, insights, OAuth, token
keep-alive, the journal) through a `LazyModule`: the feature's modules are imported by the
first call that needs them, not by the import of the package. Type checkers see the real
modules (`if TYPE_CHECKING: from . import x` / `else: x = LazyModule(...)`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class LazyModule:
    """Stands for a module until an attribute is read, then imports it (the import system's
    lock makes that safe from several threads) and hands over the attribute."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


class LazyClassValue(Generic[T]):
    """A class attribute computed on first read (from a module loaded then), after which the
    class holds the plain value."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type) -> T:
        value = self._load()
        setattr(owner, self._name, value)
        return value
