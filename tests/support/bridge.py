"""Shared by the tests that drive a Bridge against the local engine: every wait, in the one
scaled time unit ``S``; the engine's session config; a speaker pulling playback at real time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.snapshot import Snapshot
from realtime.client.io.bridge import Bridge

S = 1.0  # one scaled time unit for every wait; raise it on a slow machine


def wait_for(
    bridge: Bridge, predicate: Callable[[Snapshot], bool], timeout: float = 30 * S
) -> Snapshot:
    """Poll the bridge's snapshot until ``predicate`` holds; fail with the last one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snapshot = bridge.snapshot()
        if predicate(snapshot):
            return snapshot
        time.sleep(0.02 * S)
    raise AssertionError(f"timed out; last snapshot: {bridge.snapshot()}")


def wait_until(condition: Callable[[], bool], timeout: float = 5 * S, what: str = "") -> None:
    """Poll ``condition`` (a thread ended, a socket closed) until it holds; fail after
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what or condition}")
        time.sleep(0.02 * S)


def finished(count: int = 1) -> Callable[[Snapshot], bool]:
    """True once ``count`` responses are done and none is in progress."""

    def check(snapshot: Snapshot) -> bool:
        done = [t for t in snapshot.turns if t.done_at is not None]
        return len(done) >= count and not snapshot.response_active

    return check


def assistant_texts(snapshot: Snapshot) -> list[str]:
    return [i.text for i in snapshot.items if i.role == "assistant" and i.text]


def config_for(url: str, **changes: Any) -> SessionConfig:
    """The local engine at ``url`` with its own voice, and ``changes``."""
    return SessionConfig(provider=Provider.LOCAL, base_url=url, voice="joe").replace(**changes)
