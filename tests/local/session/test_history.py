"""The conversation history (``realtime.local.session.history``): bounded audio, all transcripts."""

from __future__ import annotations

from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, Part


def test_history_keeps_bounded_audio_and_every_transcript() -> None:
    history = History(max_audio_bytes=48_000)  # one second
    for n in range(4):  # four items of 400 ms each
        part = Part("input_audio", transcript=f"turn {n}", audio=bytes(19_200))
        history.insert(ItemRecord(f"i{n}", role="user", content=(part,)))
    assert history.audio_bytes() <= 48_000
    kept = [len(item.content[0].audio) for item in history.ordered()]
    assert kept == [0, 0, 19_200, 19_200]  # the oldest lost their audio first
    assert [item.content[0].transcript for item in history.ordered()] == [
        "turn 0",
        "turn 1",
        "turn 2",
        "turn 3",
    ]
