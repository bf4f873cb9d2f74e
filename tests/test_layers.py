"""The architecture as tests: import-linter's layer contracts, thin pages, and a README that
shows the tree as it is (its module table) and stays a user's document (its size)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "realtime"
README = ROOT / "README.md"
MAX_README_BYTES = 16 * 1024  # one table of today's figures; their history lives in docs/


def test_import_contracts_hold() -> None:
    pytest.importorskip("importlinter", reason="pip install -r requirements-dev.txt")
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports; exit(lint_imports())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_pages_are_thin_scripts_over_realtime() -> None:
    # Page scripts re-run on every interaction: no protocol logic or engine internals there.
    for page in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        ours = {m for m in _imported_modules(page) if m.startswith("realtime")}
        reaching = {m for m in ours if m.startswith(("realtime.local", "realtime.protocol.events"))}
        assert not reaching, f"{page.name} reaches past the ui layer: {sorted(reaching)}"


def _architecture_section() -> str:
    """The README's "Architecture" section, up to the next section of the same level or higher."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^(#+) Architecture\b.*$", text, re.MULTILINE)
    assert found, "the README has no Architecture section"
    rest = text[found.end() :]
    end = re.search(rf"^#{{1,{len(found[1])}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def _paths_in_module_table() -> set[str]:
    """Every ``realtime/...`` path the Architecture section names in backticks, packages ending
    in ``/``. In a table row that starts with a package, a bare ``name.py`` is in that package."""
    paths: set[str] = set()
    for line in _architecture_section().splitlines():
        named = re.findall(r"`(realtime/[^`\s]*)`", line)
        paths.update(named)
        row = re.match(r"\|\s*`(realtime/[^`]*/)`\s*\|", line)
        if row:
            paths.update(row[1] + name for name in re.findall(r"`([\w]+\.py)`", line))
    return paths


def _tree() -> set[str]:
    """The packages (``realtime/x/``) and modules (``realtime/x/y.py``, no ``__init__``)."""
    packages = {
        f"{init.parent.relative_to(ROOT).as_posix()}/"
        for init in PACKAGE.rglob("__init__.py")
        if init.parent != PACKAGE
    }
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    }
    return packages | modules


def test_the_readme_module_table_names_every_module_and_nothing_else() -> None:
    named = _paths_in_module_table()
    missing = sorted(_tree() - named)
    assert not missing, f"in the tree but not in the README's Architecture table: {missing}"
    gone = sorted(path for path in named if not (ROOT / path).exists())
    assert not gone, f"in the README's Architecture section but not in the tree: {gone}"


def test_the_readme_stays_short() -> None:
    size = len(README.read_bytes())
    assert size < MAX_README_BYTES, f"README.md is {size} bytes (at most {MAX_README_BYTES})"


def test_no_module_imports_itself_through_others() -> None:
    # The structure drawn from the imports has no circle anywhere in realtime/ (Tarjan's
    # strongly connected components over grimp's graph, imports inside functions included).
    grimp = pytest.importorskip("grimp", reason="pip install -r requirements-dev.txt")
    graph = grimp.build_graph("realtime")
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert not circles, f"import circles: {circles}"
