"""LocalEngine: started once, on first use, from any script thread; its address readable
before that (empty) without starting anything. A fake server stands in for the engine."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from realtime.ui.local_engine import LocalEngine


@dataclass
class FakeResponder:
    responder_name: str = "rules + tiny.gguf"


@dataclass
class FakeServer:
    host: str = "127.0.0.1"
    port: int = 40001
    api_key: str = "k-random"
    engine: FakeResponder | None = field(default_factory=FakeResponder)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/v1"


class Starter:
    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.starts = 0

    def __call__(self) -> FakeServer:
        self.starts += 1
        return self.server


def test_nothing_starts_until_asked_and_then_once() -> None:
    start = Starter(FakeServer())
    engine = LocalEngine(start=start)
    assert engine.addresses() == frozenset() and start.starts == 0
    assert engine.url() == "ws://127.0.0.1:40001/v1"
    assert engine.key() == "k-random" and engine.answers() == "rules + tiny.gguf"
    assert engine.addresses() == {("127.0.0.1", 40001)}
    assert start.starts == 1


def test_an_engine_not_built_yet_answers_with_the_rules() -> None:
    engine = LocalEngine(start=Starter(FakeServer(engine=None)))
    assert engine.answers() == "rules"


def test_two_sessions_asking_at_once_start_one_engine() -> None:
    release = threading.Event()
    start = Starter(FakeServer())

    def slow_start() -> FakeServer:
        release.wait()
        return start()

    engine = LocalEngine(start=slow_start)
    urls: list[str] = []
    askers = [threading.Thread(target=lambda: urls.append(engine.url())) for _ in range(2)]
    for asker in askers:
        asker.start()
    release.set()
    for asker in askers:
        asker.join()
    assert start.starts == 1 and urls == [engine.url()] * 2


def test_voices_are_listed_without_starting_the_engine() -> None:
    start = Starter(FakeServer())
    voices = LocalEngine(start=start).voices()
    assert voices and all(isinstance(name, str) for name in voices)
    assert start.starts == 0
