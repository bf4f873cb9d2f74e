"""realtime.local.session.idle: when the silence after an answer counts, and ends in a nudge."""

from __future__ import annotations

from dataclasses import dataclass

from realtime.local.session.idle import IdleTimer, idle_timeout_ms


@dataclass
class Run:
    audio_ms: float = 0.0


def test_the_silence_counts_from_the_answers_played_end_and_fires_once() -> None:
    timer, run = IdleTimer(), Run()
    timer.observe(run, 1000, speaking=False)
    run.audio_ms = 3000  # sent at once; the client plays it until 4000
    timer.observe(None, 1200, speaking=False)
    assert timer.due(8999, 5000) is None
    assert timer.due(9000, 5000) == 4000
    assert timer.due(20_000, 5000) is None  # disarmed until another response ends


def test_speech_or_a_running_response_disarms_it() -> None:
    timer = IdleTimer()
    timer.observe(Run(), 0, speaking=False)
    timer.observe(None, 100, speaking=False)
    timer.observe(None, 200, speaking=True)
    assert timer.due(10_000, 5000) is None
    timer.observe(Run(), 10_000, speaking=False)
    assert timer.due(20_000, 5000) is None  # still answering
    assert IdleTimer().due(60_000, 5000) is None  # never answered: no nudge


def test_only_server_vad_has_an_idle_timeout() -> None:
    assert idle_timeout_ms({"type": "server_vad", "idle_timeout_ms": 6000}) == 6000
    assert idle_timeout_ms({"type": "semantic_vad", "idle_timeout_ms": 6000}) is None
    assert idle_timeout_ms({"type": "server_vad"}) is None and idle_timeout_ms(None) is None
