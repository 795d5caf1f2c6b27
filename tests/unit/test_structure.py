"""The house rules of docs/10-architecture.md that code can check: every exception class a
caller can catch is defined in errors.py (and still importable from its old module)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import threadspipepy
from threadspipepy import errors


def library_modules() -> list[ModuleType]:
    """Every module of the package except the sandbox (a separate tool) and the CLI."""
    names = [
        info.name
        for info in pkgutil.walk_packages(threadspipepy.__path__, "threadspipepy.")
        if not info.name.startswith(("threadspipepy.testing", "threadspipepy.cli"))
        and info.name != "threadspipepy.__main__"
    ]
    return [importlib.import_module(name) for name in names]


def test_every_catchable_exception_is_defined_in_errors() -> None:
    elsewhere = sorted(
        f"{module.__name__}.{name}"
        for module in library_modules()
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, threadspipepy.ThreadsPipeError | Warning)
        and value.__module__ == module.__name__
        and module is not errors
    )
    assert elsewhere == []


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("auth", ["AuthorizationDeniedError", "OAuthError", "StateMismatchError", "EnvFileError"]),
        ("auth", ["InsecureEnvFileWarning"]),
        ("_envfile", ["EnvFileError", "InsecureEnvFileWarning"]),
        ("_filelock", ["LockTimeoutError"]),
        ("journal", ["JournalError", "JournalBusyError", "JournalLeaseLostError"]),
        ("tokens", ["TokenStoreError"]),
        ("webhooks", ["WebhookError", "PayloadError", "SignatureError", "HandshakeError"]),
        ("", ["OAuthError", "JournalError", "TokenStoreError", "EnvFileError"]),
    ],
)
def test_the_old_import_paths_give_the_same_classes(module: str, names: list[str]) -> None:
    where = importlib.import_module(f"threadspipepy.{module}" if module else "threadspipepy")
    for name in names:
        assert getattr(where, name) is getattr(errors, name)
