"""TabWatch: calls back once, at the first poll that finds the session gone, never after
stop(). No wall clock and no bare sleeps: the polls are counted, and each check waits for an
event or for the watch's thread to end (after which nothing can change)."""

from __future__ import annotations

import threading

from realtime.ui.tab_watch import TabWatch
from tests.support.timing import S, eventually

INTERVAL = 0.02


def test_calls_back_once_at_the_first_poll_after_the_tab_is_gone() -> None:
    open_tab = threading.Event()
    open_tab.set()
    asked: set[str] = set()
    answers: list[bool] = []  # what each poll found, in order
    calls: list[int] = []  # the number of polls made when on_gone ran
    gone = threading.Event()

    def is_active(sid: str) -> bool:
        asked.add(sid)
        answers.append(open_tab.is_set())
        return answers[-1]

    def on_gone() -> None:
        calls.append(len(answers))
        gone.set()

    watch = TabWatch("s1", on_gone, is_active=is_active, interval=INTERVAL)
    eventually(lambda: len(answers) >= 3, what="three polls of an open tab")
    assert calls == [] and watch.alive  # an open tab is never reported gone
    open_tab.clear()
    assert gone.wait(5 * S)
    eventually(lambda: not watch.alive, what="the watch to end after calling back")
    # Soon: at the very first poll that found the tab gone. Once, and no polling after.
    assert answers.count(False) == 1 and answers[-1] is False
    assert calls == [len(answers)] and asked == {"s1"}


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
    assert calls == []  # its thread has ended: no call can come later


def test_a_failing_runtime_ends_the_watch_quietly() -> None:
    def broken(sid: str) -> bool:
        raise RuntimeError("Runtime hasn't been created!")

    calls: list[int] = []
    watch = TabWatch("s1", lambda: calls.append(1), is_active=broken, interval=INTERVAL)
    eventually(lambda: not watch.alive, what="the watch to end")
    assert calls == []
