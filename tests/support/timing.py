"""One scaled time unit for every wait in the tests, and a poll-until helper built on it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["S", "eventually"]

T = TypeVar("T")

# Raise TEST_TIME_SCALE on a slow machine: every timeout and poll interval scales with it.
S = float(os.environ.get("TEST_TIME_SCALE", "1.0"))


def eventually(probe: Callable[[], T | None], timeout: float = 5.0, what: str = "") -> T:
    """Poll ``probe`` until it returns something truthy (returned); fail after ``timeout`` * S."""
    deadline = time.monotonic() + timeout * S
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout * S:.1f} s waiting for {what or probe}")
        time.sleep(0.01 * S)
