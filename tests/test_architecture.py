"""The module layout: no import cycles between the project's modules, lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.crawling import PROJECT_DIR

PACKAGES = ("newscrawl", "pipelines")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in (PROJECT_DIR / package).rglob("*.py")
            if "migrations" not in path.parts}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in the file (also inside functions), except under
    ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and getattr(block.test, "id", None) == "TYPE_CHECKING" for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                      for alias in node.names}
    return {name for name in found if name in modules}


def test_no_import_cycles():
    modules = project_modules()
    graph = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    assert sum(map(len, graph.values())) > 50  # the graph really was read
    cycles = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target] if target in path else [name, target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


# The storage parts combined by pipelines.store: plain classes on SQLAlchemy, no Scrapy.
STORAGE_PARTS = ("pipelines.batch", "pipelines.lookups", "pipelines.runindex", "pipelines.decisions",
                 "pipelines.errors", "pipelines.revisions")


def test_storage_parts_do_not_import_scrapy():
    modules = project_modules()
    assert set(STORAGE_PARTS) <= set(modules)
    importing_scrapy, read = [], set()
    for name in STORAGE_PARTS:
        tree = ast.parse(modules[name].read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        read |= imported
        if any(module.split(".")[0] in ("scrapy", "twisted", "itemadapter") for module in imported):
            importing_scrapy.append(name)
    assert {"sqlalchemy", "pipelines.schema"} <= read  # the imports really were read
    assert importing_scrapy == []


def test_only_the_store_builds_the_storage_parts():
    """Other modules use the store's methods, not its parts (nor the store's private attributes)."""
    modules = project_modules()
    parts = {"pipelines.batch", "pipelines.lookups", "pipelines.runindex"}
    assert parts <= imports_of(modules["pipelines.store"], modules)
    users = sorted(name for name, path in modules.items()
                   if name not in parts | {"pipelines.store"} and imports_of(path, modules) & parts)
    assert users == []
    reaching = sorted(name for name, path in modules.items() if name != "pipelines.store"
                      and any(attr in path.read_text(encoding="utf-8")
                              for attr in ("store._batch", "store._lookups", "store._lock")))
    assert reaching == []
