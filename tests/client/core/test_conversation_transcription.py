"""A transcription session's recorded events fed to the Conversation: segments with timestamps."""

from __future__ import annotations

import pytest

from realtime.client.core.conversation import Conversation
from realtime.protocol.events import serialize
from realtime.recording.subtitles import segments
from tests.fixtures.loader import load_turn


def feed(name: str, stop_after: int | None = None) -> Conversation:
    conv = Conversation()
    for line in load_turn(name)[:stop_after]:
        out = conv.receive_frame(serialize(line["event"]), at=line["t"])
        assert not out.events
    return conv


@pytest.mark.parametrize("name", ["transcription_ga", "transcription_beta"])
def test_recorded_transcription_becomes_timed_segments(name: str) -> None:
    conv = feed(name)
    assert not conv.errors and not conv.unknown_events
    assert conv.session["object"] == "realtime.transcription_session"
    assert not conv.responses and not conv.turns
    got = [
        (s.item_id, s.start_ms, s.end_ms, s.text, s.final) for s in segments(conv.ordered_items())
    ]
    assert got == [
        ("item_s1", 640, 3120, "What time is it in Tokyo?", True),
        ("item_s2", 61250, 63900, "Thanks, that --> helps.", True),
    ]


def test_partial_text_shows_while_the_segment_is_transcribed() -> None:
    # Through the second segment's third delta: "Thanks, that" so far, not completed.
    lines = load_turn("transcription_ga")
    cut = next(i for i, x in enumerate(lines) if x["event"].get("delta") == " that") + 1
    (first, second) = segments(feed("transcription_ga", cut).ordered_items())
    assert first.final and first.text == "What time is it in Tokyo?"
    assert (second.text, second.final, second.start_ms, second.end_ms) == (
        "Thanks, that",
        False,
        61250,
        63900,
    )


def test_speech_in_progress_has_a_start_and_no_end_yet() -> None:
    conv = feed("transcription_ga", 3)  # created, updated, speech_started
    item = conv.items["item_s1"]
    assert (item.audio_start_ms, item.audio_end_ms, item.transcribing) == (640, None, True)
    (seg,) = segments(conv.ordered_items())
    assert (seg.start_ms, seg.end_ms, seg.final) == (640, 1640, False)  # open end: one second


def test_a_speech_stop_for_an_unknown_item_adds_nothing() -> None:
    conv = Conversation()
    conv.receive({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 900, "item_id": "x"})
    assert conv.items == {}


@pytest.mark.parametrize("name", ["transcription_ga", "transcription_beta"])
def test_push_to_talk_in_a_transcription_session_asks_for_no_answer(name: str) -> None:
    conv = feed(name, 2)
    assert conv.transcription_only
    conv.append_audio(bytes(4800 * 2))  # 200 ms
    assert [e["type"] for e in conv.commit().events] == ["input_audio_buffer.commit"]


def test_push_to_talk_in_a_voice_session_still_asks_for_the_answer() -> None:
    conv = feed("voice_ga", 1)
    assert not conv.transcription_only
    conv.append_audio(bytes(4800 * 2))
    assert [e["type"] for e in conv.commit().events] == [
        "input_audio_buffer.commit",
        "response.create",
    ]
