"""Fixtures shared across test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def engine() -> Iterator[object]:
    """One local engine on a free loopback port for the whole run (models loaded once)."""
    from realtime.local.server import EngineServer

    with EngineServer(preload=True) as server:
        yield server
