"""The app reaches the bundled engine through one door: within realtime/ (outside the engine's
own package), app.py and pages/, only realtime/ui/local_engine.py imports ``realtime.local``
(at the top of a module or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = "realtime.local"
DOOR = ROOT / "realtime" / "ui" / "local_engine.py"


def _package(path: Path) -> list[str]:
    """The package a module's relative imports start from (its folder, as dotted parts)."""
    return list(path.relative_to(ROOT).parts[:-1])


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, ``from a import b`` as both
    ``a`` and ``a.b`` (``b`` may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package(path)
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def reaches_the_engine(path: Path) -> bool:
    return any(m == ENGINE or m.startswith(ENGINE + ".") for m in imported(path))


def app_files() -> list[Path]:
    engine = ROOT / "realtime" / "local"
    package = [p for p in (ROOT / "realtime").rglob("*.py") if engine not in p.parents]
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted(package)]


def test_only_local_engine_py_imports_the_engine() -> None:
    # The engine runs as a child process (realtime/ui/engine_process.py spawns it by module
    # name), so today even the door imports none of it; nothing else may.
    reaching = {str(p.relative_to(ROOT)) for p in app_files() if reaches_the_engine(p)}
    assert reaching <= {str(DOOR.relative_to(ROOT))}


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    # The check itself: plain, from, lazy (inside a function) and ``from realtime import local``.
    forms = [
        "import realtime.local.server",
        "from realtime.local.server import EngineServer",
        "def f():\n    from realtime.local.stages.tts.piper import voices",
        "from realtime import local",
    ]
    for number, source in enumerate(forms):
        path = tmp_path / f"m{number}.py"
        path.write_text(source + "\n")
        assert reaches_the_engine(path), source
    quiet = tmp_path / "quiet.py"
    quiet.write_text("import realtime.localization\nfrom realtime.client import bridge\n")
    assert not reaches_the_engine(quiet)
