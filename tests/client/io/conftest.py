"""Fixtures of the tests that drive a real Bridge: bridges stopped after each test, a proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from realtime.client.io.bridge import Bridge
from realtime.local.server import EngineServer
from tests.support.servers import CuttableProxy


@pytest.fixture
def make_bridge() -> Iterator[Callable[..., Bridge]]:
    """Build and start bridges; every one is stopped when the test ends."""
    made: list[Bridge] = []

    def make(config: Any, **kwargs: Any) -> Bridge:
        bridge = Bridge(config, **kwargs)
        made.append(bridge)
        bridge.start()
        return bridge

    yield make
    for bridge in made:
        bridge.stop()


@pytest.fixture
def proxy(engine: EngineServer) -> Iterator[CuttableProxy]:
    """A proxy in front of the shared engine that a test can cut mid-answer."""
    proxy = CuttableProxy(engine.url)
    yield proxy
    proxy.close()
