"""The house rules of docs/10-architecture.md that code can check: every exception class a
caller can catch is defined in errors.py (and still importable from its old module)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
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


SOURCE = Path(threadspipepy.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name an ImportFrom names (`from ..x import y` in a.b.c -> a.x)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_module(name: str) -> bool:
    path = SOURCE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def private_reaches() -> list[str]:
    """`module._name` and `from module import _name` across the library's own modules."""
    found: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _resolve(module, path.name == "__init__.py", node)
            if not target.startswith("threadspipepy"):
                continue
            for name in node.names:
                submodule = f"{target}.{name.name}"
                if _is_module(submodule):
                    aliases[name.asname or name.name] = submodule
                elif name.name.startswith("_") and not name.name.startswith("__"):
                    found.append(f"{module}: from {target} import {name.name}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(f"{module}: {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_reaches_into_another_modules_private_names() -> None:
    """A name with an underscore belongs to its module: others use public names (the OAuth
    flow, the facade's accessors), never `auth._exchange_code` or `tp._graph`-style reaches."""
    allowed = {
        # auth re-exports the explanation of OAuth failures under its 0.5 name (tests use it).
        "threadspipepy.auth: from threadspipepy._oauth_explain import explained",
    }
    assert [reach for reach in private_reaches() if reach not in allowed] == []


HTTP_VERBS = {"request", "get", "head", "post", "put", "patch", "delete", "options", "send"}


def direct_http_calls() -> list[str]:
    """Calls of `requests.<verb>(...)` or `<something>session.<verb>(...)` in the library."""
    found: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = _module_name(path)
        if module.startswith("threadspipepy.testing") or module == "threadspipepy._transport":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if node.func.attr in HTTP_VERBS and (
                name == "requests" or name.lower().endswith("session")
            ):
                found.append(f"{module}:{node.lineno} {name}.{node.func.attr}")
    return found


def test_every_http_request_leaves_through_the_transport() -> None:
    """Graph (GraphClient), GitHub (RestClient) and the media probe all send through
    _transport.exchange; no other module calls requests or a Session itself (S3 goes through
    boto3, the sandbox is a separate tool)."""
    assert direct_http_calls() == []


ARCHITECTURE = SOURCE.parents[1] / "docs" / "10-architecture.md"


def declared_layers() -> dict[str, int]:
    """docs/10's layer table: module (or `package.*`) -> its layer number."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = text.split("## Layers", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    layers: dict[str, int] = {}
    number = 0
    for line in block.splitlines():
        if line.split() and line.split()[0].isdigit():  # "12 command line:  cli cli.* ..."
            head, line = line.split(":", 1)
            number = int(head.split()[0])
        for word in line.split():
            layers[word] = number
    return layers


def layer_of(module: str, layers: dict[str, int]) -> int | None:
    short = module.removeprefix("threadspipepy.") if module != "threadspipepy" else module
    if short in layers:
        return layers[short]
    package = short.split(".")[0]
    return layers.get(f"{package}.*")


def import_graph() -> dict[str, set[str]]:
    """Each module's imports of the package's own modules (TYPE_CHECKING imports aside)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        checking = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in checking:
                continue
            if isinstance(node, ast.ImportFrom):
                base = _resolve(module, path.name == "__init__.py", node)
                if not base.startswith("threadspipepy"):
                    continue
                subs = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
                targets |= set(subs) if subs else {base}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("threadspipepy")}
        graph[module] = targets - {module}
    return graph


def test_every_module_is_in_the_layer_table() -> None:
    layers = declared_layers()
    missing = [m for m in import_graph() if layer_of(m, layers) is None]
    assert missing == []


def test_no_module_imports_one_above_it() -> None:
    layers = declared_layers()
    upward = sorted(
        f"{module} ({layer_of(module, layers)}) imports {target} ({layer_of(target, layers)})"
        for module, targets in import_graph().items()
        for target in targets
        if (layer_of(target, layers) or 0) > (layer_of(module, layers) or 0)
    )
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    graph = import_graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles: list[str] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_layer_check_sees_an_upward_import() -> None:
    layers = declared_layers()
    assert layer_of("threadspipepy.errors", layers) == 1
    assert layer_of("threadspipepy.testing._graph", layers) == 11
    assert layer_of("threadspipepy.threadspipe", layers) == 9
    graph = import_graph()
    assert "threadspipepy.testing" in graph["threadspipepy.cli._context"]  # the one way in
    assert "threadspipepy.errors" in graph["threadspipepy.webhooks._events"]
