"""TabWatch: calls back once when the session stops being active, never after stop()."""

from __future__ import annotations

import threading
import time

from realtime.ui.tab_watch import TabWatch


def test_calls_back_once_soon_after_the_tab_is_gone() -> None:
    active = {"s1": True}
    calls: list[float] = []
    gone = threading.Event()

    def on_gone() -> None:
        calls.append(time.monotonic())
        gone.set()

    watch = TabWatch("s1", on_gone, is_active=lambda sid: active[sid], interval=0.02)
    time.sleep(0.1)
    assert calls == [] and watch.alive
    closed_at = time.monotonic()
    active["s1"] = False
    assert gone.wait(1.0)
    assert calls[0] - closed_at < 0.2
    time.sleep(0.1)
    assert len(calls) == 1 and not watch.alive


def test_stop_ends_the_watch_without_calling_back() -> None:
    calls: list[int] = []
    watch = TabWatch("s1", lambda: calls.append(1), is_active=lambda sid: True, interval=0.02)
    watch.stop()
    time.sleep(0.1)
    assert not watch.alive and calls == []


def test_a_failing_runtime_ends_the_watch_quietly() -> None:
    def broken(sid: str) -> bool:
        raise RuntimeError("Runtime hasn't been created!")

    calls: list[int] = []
    watch = TabWatch("s1", lambda: calls.append(1), is_active=broken, interval=0.02)
    time.sleep(0.1)
    assert not watch.alive and calls == []
