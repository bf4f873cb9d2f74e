"""TabWatch: calls back once when the session stops being active, never after stop()."""

from __future__ import annotations

import threading
import time

from realtime.ui.tab_watch import TabWatch
from tests.support.timing import S, eventually

INTERVAL = 0.02


def test_calls_back_once_soon_after_the_tab_is_gone() -> None:
    active = {"s1": True}
    polls = {"s1": 0}
    calls: list[float] = []
    gone = threading.Event()

    def is_active(sid: str) -> bool:
        polls[sid] += 1
        return active[sid]

    def on_gone() -> None:
        calls.append(time.monotonic())
        gone.set()

    watch = TabWatch("s1", on_gone, is_active=is_active, interval=INTERVAL)
    eventually(lambda: polls["s1"] >= 3, what="three polls of an open tab")
    assert calls == [] and watch.alive  # an open tab is never reported gone
    closed_at = time.monotonic()
    active["s1"] = False
    assert gone.wait(1.0 * S)
    assert calls[0] - closed_at < 0.2 * S
    eventually(lambda: not watch.alive, what="the watch to end after calling back")
    seen = polls["s1"]
    time.sleep(5 * INTERVAL)
    assert len(calls) == 1 and polls["s1"] == seen  # once, and no polling after


def test_stop_ends_the_watch_without_calling_back() -> None:
    # The tab closes right after stop(): a watch that ignored stop() would call back.
    stopped = threading.Event()
    calls: list[int] = []
    watch = TabWatch(
        "s1", lambda: calls.append(1), is_active=lambda sid: not stopped.is_set(), interval=INTERVAL
    )
    watch.stop()
    stopped.set()
    eventually(lambda: not watch.alive, what="the watch to end")
    time.sleep(5 * INTERVAL)
    assert calls == []


def test_a_failing_runtime_ends_the_watch_quietly() -> None:
    def broken(sid: str) -> bool:
        raise RuntimeError("Runtime hasn't been created!")

    calls: list[int] = []
    watch = TabWatch("s1", lambda: calls.append(1), is_active=broken, interval=INTERVAL)
    eventually(lambda: not watch.alive, what="the watch to end")
    assert calls == []
