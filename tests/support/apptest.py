"""Shared by the tests that run the app through Streamlit's AppTest: the script, a fresh
``AppTest`` with the deployment's settings unset (its bridge stopped afterwards), and the text
the page shows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from realtime.ui.session import BRIDGE_KEY

__all__ = ["APP", "KEY", "open_app", "texts"]

APP = str(Path(__file__).resolve().parents[2] / "app.py")
KEY = "sk-test-planted-0123456789abcdef"


def open_app(
    monkeypatch: pytest.MonkeyPatch, unset: Iterable[str], *, timeout: float
) -> Iterator[AppTest]:
    """An ``AppTest`` of app.py with the settings ``unset`` removed from the environment; the
    session's bridge, if one was made, is stopped when the test ends (a fixture's body)."""
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(APP, default_timeout=timeout)
    yield at
    bridge = at.session_state[BRIDGE_KEY] if BRIDGE_KEY in at.session_state else None
    if bridge is not None:
        bridge.stop()


def texts(at: AppTest) -> str:
    """Every piece of text the page and sidebar show."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [str(e.value) for e in at.get("text_input")]
    return "\n".join(parts)
