"""The architecture as tests: import-linter's layer contracts, and modules of one concept each."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "realtime"


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
