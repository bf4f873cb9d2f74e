"""ChunkPace: short messages at the edges of speech, long ones in between."""

from __future__ import annotations

import pytest

from realtime.client.core.chunk_pace import ChunkPace

LOUD, QUIET = -20.0, -70.0


def run(pace: ChunkPace, level: float, frames: int) -> list[tuple[bool, int]]:
    return [(pace.step(level, 20), pace.chunk_ms) for _ in range(frames)]


def test_long_messages_in_the_middle_of_speech_and_of_silence() -> None:
    pace = ChunkPace()
    assert pace.chunk_ms == 20  # a stream starts at an edge: one packet a message
    onset = run(pace, LOUD, 100)  # 2 s of speech
    assert onset[0] == (True, 20)  # speech started: send what is held, stay short
    assert {ms for _, ms in onset[15:]} == {100} and not any(flush for flush, _ in onset[1:])
    end = run(pace, QUIET, 200)  # 4 s of silence
    assert [flush for flush, _ in end].index(True) == 2  # after 60 ms of quiet, not before
    assert {ms for _, ms in end[2:80]} == {20}  # while the server times the silence
    assert {ms for _, ms in end[90:]} == {100}  # a long silence: long messages again


def test_the_gaps_between_syllables_do_not_end_speech() -> None:
    pace = ChunkPace()
    run(pace, LOUD, 50)
    flushes = []
    for _ in range(20):  # 40 ms dips inside a sentence
        flushes += [f for f, _ in run(pace, QUIET, 2)] + [f for f, _ in run(pace, LOUD, 5)]
    assert not any(flushes) and pace.speaking and pace.chunk_ms == 100


def test_a_barge_in_is_sent_at_once_and_in_short_messages() -> None:
    pace = ChunkPace()
    run(pace, QUIET, 300)  # listening to the assistant
    assert pace.chunk_ms == 100
    assert pace.step(LOUD, 20) and pace.chunk_ms == 20


def test_equal_durations_turn_the_pacing_off_and_bad_ones_are_refused() -> None:
    pace = ChunkPace(agile_ms=40, steady_ms=40)
    assert {ms for _, ms in run(pace, LOUD, 100) + run(pace, QUIET, 100)} == {40}
    with pytest.raises(ValueError):
        ChunkPace(agile_ms=100, steady_ms=40)
