"""Imports flow one way: down the layers of docs/architecture.md, never up, never in a loop.

Every module under backend/ except tests (migrations included) is parsed with `ast`; each
import of our own code, at module level or inside a function, under `if TYPE_CHECKING:` too
(a type is a dependency as well), is mapped to its package and that package's layer:
- an import from a lower layer, or within one package, is fine;
- an import from a higher layer fails, and so does one between two packages of one layer,
  except in a layer marked `sideways` (the HTTP areas share schemas: api.accounts answers the
  sync-all route with api.jobs' JobOut), where only a loop between packages fails;
- a package in no layer fails: a new app takes its place in LAYERS and in the docs.
What is not an `import` statement is not seen: INSTALLED_APPS, Celery task names, and the
foreign keys named by string ("tiktok_accounts.TikTokAccount") are how a lower layer refers to
a higher one without importing it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from django.conf import settings

BACKEND: Path = settings.BACKEND_DIR
ARCHITECTURE = settings.PROJECT_DIR / "docs" / "architecture.md"


@dataclass(frozen=True)
class Layer:
    packages: tuple[str, ...]
    sideways: bool = False


# Bottom first. docs/architecture.md draws the same list, top first (checked below).
LAYERS = (
    Layer(("apps.core",)),
    Layer(("integrations.tiktok",)),
    Layer(("apps.audit", "apps.users", "apps.events")),
    Layer(("apps.workspaces",)),
    Layer(("apps.history", "apps.webhooks", "apps.api_keys")),
    Layer(("apps.tiktok_accounts",)),
    Layer(("apps.videos", "apps.posts")),
    Layer(("apps.analytics",)),
    Layer(("apps.jobs",)),
    Layer(("apps.outbound_webhooks",)),
    Layer(("apps.scheduling",)),
    Layer(("api.*",), sideways=True),
    Layer(("config",)),
    Layer(("testing",)),
)
OURS = {"apps", "api", "config", "integrations", "testing"}
# Empty packages that only group others: `from apps import posts` imports apps.posts.
GROUPS = {"apps", "api", "integrations"}


@dataclass(frozen=True)
class Import:
    source: str  # file, relative to backend/
    line: int
    module: str  # the importing module
    target: str  # the module imported


def package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in GROUPS else parts[0]


def level(pkg: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        for pattern in layer.packages:
            prefix = pattern.removesuffix(".*")
            if pkg == pattern or (pattern.endswith(".*") and pkg.startswith(prefix + ".")):
                return index
    return None


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        here = module.split(".") if is_package else module.split(".")[:-1]
        here = here[: len(here) - (node.level - 1)]
        base = ".".join([*here, base] if base else here)
    if base in GROUPS:
        yield from (f"{base}.{alias.name}" for alias in node.names)
    else:
        yield base


def imports(root: Path) -> Iterator[Import]:
    """Every import of our own code by a module that is not a test."""
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if "tests" in relative.parts or path.name.startswith("test_") or path.stem == "conftest":
            continue
        module = _module_name(path, root)
        if module in GROUPS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, module, path.name == "__init__.py"):
                    if target.split(".")[0] in OURS:
                        yield Import(str(relative), node.lineno, module, target)


def violations(root: Path) -> list[str]:
    """The imports that go up, sideways or nowhere, then the loops between packages."""
    found, edges = [], {}
    for imp in imports(root):
        here, there = package(imp.module), package(imp.target)
        if here == there:
            continue
        edges.setdefault(here, {}).setdefault(there, imp)
        low, high = level(there), level(here)
        why = None
        if low is None or high is None:
            why = f"{there if low is None else here} is in no layer"
        elif low > high:
            why = "goes up"
        elif low == high and not LAYERS[low].sideways:
            why = "sideways, within one layer"
        if why:
            found.append(f"{imp.source}:{imp.line} {imp.module} imports {imp.target}: {why}")
    return found + [f"import loop: {loop}" for loop in _loops(edges)]


def _loops(edges: dict[str, dict[str, Import]]) -> list[str]:
    """One line per package loop, each import in it named (depth-first search)."""
    loops, done = [], set()

    def visit(pkg: str, path: list[str]) -> None:
        if pkg in path:
            cycle = [*path[path.index(pkg) :], pkg]
            hops = (edges[a][b] for a, b in pairwise(cycle))
            loops.append("; ".join(f"{i.source}:{i.line} imports {i.target}" for i in hops))
            return
        if pkg in done:
            return
        for there in sorted(edges.get(pkg, {})):
            visit(there, [*path, pkg])
        done.add(pkg)

    for pkg in sorted(edges):
        visit(pkg, [])
    return loops


def test_imports_flow_down_the_layers_without_loops() -> None:
    problems = violations(BACKEND)

    assert not problems, "Imports against docs/architecture.md:\n" + "\n".join(problems)


def test_settings_import_no_app() -> None:
    # Settings load before the app registry: an app module imported there runs too early (the
    # beat schedule is installed by config/celery.py instead).
    loaded = [i for i in imports(BACKEND) if i.module.startswith("config.settings")]

    assert [
        f"{i.source}:{i.line} imports {i.target}" for i in loaded if package(i.target) != "config"
    ] == []


def test_every_package_of_the_backend_has_its_layer() -> None:
    packages = {package(_module_name(p, BACKEND)) for p in BACKEND.glob("*/*/__init__.py")}
    packages |= {package(_module_name(p, BACKEND)) for p in BACKEND.glob("*/__init__.py")}

    assert {pkg for pkg in packages - GROUPS if level(pkg) is None} == set()


def test_docs_architecture_draws_the_same_layers() -> None:
    drawing = re.search(r"<!-- layers -->\s*```text\n(.*?)```", ARCHITECTURE.read_text(), re.S)
    assert drawing, "docs/architecture.md: no ```text block after <!-- layers -->"
    rows = [re.split(r"\s{2,}", line.strip())[0] for line in drawing.group(1).splitlines()]
    drawn = [row for row in rows if row and not set(row) <= set("↓↑│|v ")]

    assert drawn == [", ".join(layer.packages) for layer in reversed(LAYERS)]
