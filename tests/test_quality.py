"""The repository's own checks, run as tests so CI enforces them: ruff, ruff format, mypy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="pip install -r requirements-dev.txt")
def test_ruff_check_is_clean() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("ruff") is None, reason="pip install -r requirements-dev.txt")
def test_ruff_format_is_clean() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean_on_realtime() -> None:
    pytest.importorskip("mypy", reason="pip install -r requirements-dev.txt")
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_streamlit_reads_the_apps_config_from_any_directory() -> None:
    """`.streamlit/config.toml` beside app.py turns off Streamlit's full collection after every
    script run (it held the GIL ~100 ms twice a second per talking tab and stalled aiortc's
    media loop). Streamlit reads the file beside the script, whatever the working directory."""
    probe = (
        "import streamlit.config as c, sys\n"
        "c._main_script_path = sys.argv[1]\n"
        "c.get_config_options(force_reparse=True)\n"
        "print(c.get_option('runner.postScriptGC'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(ROOT / "app.py")],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
