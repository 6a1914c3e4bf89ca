"""One test tree convention (docs/testing.md): tests sit in a `tests/` package beside the code
they test, and share factories, fixtures and helpers only through `testing`.

A test module that imports another package's `tests` (`from api.auth.tests.factories import
...`) ties two test packages together: moving or deleting one breaks the other, and nobody can
tell where a shared fixture lives. So every module under backend/ is parsed with `ast`, and an
import of `<package>.tests...` is allowed only inside `<package>/tests/` itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

BACKEND: Path = settings.BACKEND_DIR


def _imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def _own_tests_package(path: Path, root: Path) -> str | None:
    """`api.accounts.tests` for backend/api/accounts/tests/test_list.py; None outside tests/."""
    parts = path.relative_to(root).parts
    return ".".join(parts[: parts.index("tests") + 1]) if "tests" in parts[:-1] else None


def cross_test_imports(root: Path = BACKEND) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        own = _own_tests_package(path, root)
        for line, module in _imported(ast.parse(path.read_text(), filename=str(path))):
            parts = module.split(".")
            if "tests" not in parts:
                continue
            target = ".".join(parts[: parts.index("tests") + 1])
            if target != own:
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def test_no_module_imports_another_packages_tests() -> None:
    assert cross_test_imports() == [], "share it through backend/testing (docs/testing.md)"


def test_the_guard_sees_a_cross_import(tmp_path: Path) -> None:
    (tmp_path / "api" / "jobs" / "tests").mkdir(parents=True)
    (tmp_path / "api" / "jobs" / "tests" / "test_x.py").write_text(
        "from api.jobs.tests.helpers import ok\nfrom api.auth.tests.factories import bad\n"
    )
    assert cross_test_imports(tmp_path) == [
        "api/jobs/tests/test_x.py:2 imports api.auth.tests.factories"
    ]


def test_the_benchmarks_import_no_tests_module() -> None:
    """bench/ runs outside pytest (CI runs it after the suites): a moved test module breaks it
    silently until then, so it shares test code through `testing` too."""
    bench = BACKEND.parent / "bench"
    assert cross_test_imports(bench) == [], "share it through backend/testing (docs/testing.md)"
