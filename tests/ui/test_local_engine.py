"""LocalEngine: its child started once, on first use, from any script thread; its key made by
the app; its address readable before that (empty) without starting anything. A fake supervisor
stands in for the child process (tests/ui/test_engine_process.py runs the real one)."""

from __future__ import annotations

import threading

import pytest

from realtime.protocol.errors import ConnectionFailed
from realtime.ui.engine_process import EngineReady
from realtime.ui.local_engine import DEFAULT_VOICES, LocalEngine
from realtime.ui.render.conversation import engine_restart_line

READY = EngineReady(
    url="ws://127.0.0.1:40001/v1", port=40001, answers="rules + tiny.gguf", voices=("amy",), pid=7
)


class FakeProcess:
    def __init__(self, key: str, ready: EngineReady | None = READY) -> None:
        self.key = key
        self._ready = ready
        self.restarts = 0
        self.started = 0

    def start(self) -> FakeProcess:
        self.started += 1
        return self

    def ready(self, timeout: float | None = None) -> EngineReady:
        if self._ready is None:
            raise ConnectionFailed("The local engine stopped again and again; see the log.")
        return self._ready

    def rss_mb(self) -> float:
        return 123.0

    def stop(self) -> None:
        pass


class Maker:
    def __init__(self, ready: EngineReady | None = READY) -> None:
        self.made: list[FakeProcess] = []
        self.ready = ready

    def __call__(self, key: str) -> FakeProcess:
        self.made.append(FakeProcess(key, self.ready))
        return self.made[-1]


def test_nothing_starts_until_asked_and_then_once() -> None:
    make = Maker()
    engine = LocalEngine(process=make)  # type: ignore[arg-type]
    assert engine.addresses() == frozenset() and not make.made
    assert engine.url() == "ws://127.0.0.1:40001/v1"
    assert engine.answers() == "rules + tiny.gguf"
    assert engine.addresses() == {("127.0.0.1", 40001)}
    assert len(make.made) == 1 and make.made[0].started == 1
    assert engine.memory_mb() == 123.0


def test_the_key_is_made_by_the_app_and_handed_to_the_child() -> None:
    make = Maker()
    engine = LocalEngine(process=make)  # type: ignore[arg-type]
    key = engine.key()
    assert len(key) >= 32 and not make.made  # knowing the key starts nothing
    engine.url()
    assert make.made[0].key == key
    assert LocalEngine(process=Maker()).key() != key  # per app process, never shared


def test_two_sessions_asking_at_once_start_one_engine() -> None:
    release = threading.Event()
    make = Maker()

    def slow_make(key: str) -> FakeProcess:
        release.wait()
        return make(key)

    engine = LocalEngine(process=slow_make)  # type: ignore[arg-type]
    urls: list[str] = []
    askers = [threading.Thread(target=lambda: urls.append(engine.url())) for _ in range(2)]
    for asker in askers:
        asker.start()
    release.set()
    for asker in askers:
        asker.join()
    assert len(make.made) == 1 and urls == [engine.url()] * 2


def test_voices_come_from_the_ready_line_and_asking_starts_nothing() -> None:
    make = Maker()
    engine = LocalEngine(process=make)  # type: ignore[arg-type]
    assert engine.voices() == list(DEFAULT_VOICES) and not make.made
    engine.url()
    assert engine.voices() == ["amy"]


def test_an_engine_that_cannot_start_raises_a_sentence() -> None:
    engine = LocalEngine(process=Maker(ready=None))  # type: ignore[arg-type]
    with pytest.raises(ConnectionFailed, match="stopped again and again"):
        engine.url()
    assert engine.voices() == list(DEFAULT_VOICES)


def test_restarts_are_said_in_one_line() -> None:
    assert engine_restart_line(0) is None
    assert engine_restart_line(1) == (
        "The local engine restarted (once); the conversation was carried over."
    )
    assert "(3 times)" in (engine_restart_line(3) or "")
