"""Fixtures shared across test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def engine() -> Iterator[object]:
    """One local engine on a free loopback port for the whole run (models loaded once).

    Its responder is the rules alone, whether or not the language-model extra is installed: the
    tests that use it check exact answers and answer lengths; tests/local/test_language_model.py
    runs the model itself.
    """
    from realtime.local.engine import Engine
    from realtime.local.server import EngineServer

    with EngineServer(engine=Engine.default(responder="rules"), preload=True) as server:
        yield server
