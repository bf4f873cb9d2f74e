"""semantic_vad (``realtime.local.stages.vad.semantic``): the words so far set the silence that
ends a turn."""

from __future__ import annotations

import pytest

from realtime.local.stages.vad.detector import SpeechStarted, SpeechStopped
from realtime.local.stages.vad.semantic import Ending, SemanticVad, classify, silence_ms
from realtime.local.stages.vad.webrtc import WebRtcVad
from realtime.protocol.pcm import bytes_for_ms
from tests.fixtures.loader import FIXTURES


@pytest.mark.parametrize(
    ("text", "ending"),
    [
        ("What time is it in Tokyo?", Ending.QUESTION),
        ("what time is it in tokyo", Ending.QUESTION),
        ("Please book a flight to Paris for Monday.", Ending.SENTENCE),
        ("I want to fly to Paris and", Ending.OPEN),
        ("I want to fly to Paris and.", Ending.OPEN),  # Whisper's period after a trailing "and"
        ("I'd like, um", Ending.OPEN),
        ("Book it, but", Ending.OPEN),
        ("", Ending.UNKNOWN),
        ("Paris", Ending.UNKNOWN),
    ],
)
def test_endings(text: str, ending: Ending) -> None:
    assert classify(text) is ending


def test_silence_follows_the_words_and_scales_with_eagerness() -> None:
    question, pending = "What time is it in Tokyo?", "I want to fly to Paris and"
    for eagerness in ("low", "medium", "high", "auto"):
        assert silence_ms(question, eagerness) < silence_ms("", eagerness)
        assert silence_ms(pending, eagerness) > silence_ms("", eagerness)
    assert (
        silence_ms(question, "high") < silence_ms(question, "medium") < silence_ms(question, "low")
    )
    assert silence_ms(question, "auto") < 500 < silence_ms(pending, "auto")  # server_vad: 500


def _events(vad: WebRtcVad, pcm: bytes) -> list[object]:
    return [e for i in range(0, len(pcm), 960) for e in vad.process(pcm[i : i + 960])]


def test_semantic_vad_waits_after_and_but_ends_a_question_sooner(speech: bytes) -> None:
    """Pure timing with recorded speech: the words are handed in as a transcriber would."""
    gap = bytes(bytes_for_ms(700))
    # "... and" <700 ms pause> "...": server_vad (500 ms) ends the turn in the pause.
    server = WebRtcVad()
    assert sum(isinstance(e, SpeechStopped) for e in _events(server, speech + gap)) == 1
    semantic = SemanticVad("auto")
    events = _events(semantic, speech + bytes(bytes_for_ms(100)))
    assert any(isinstance(e, SpeechStarted) for e in events)
    semantic.hear("I want to fly to Paris and")  # transcribed at the first silent frame
    assert not any(isinstance(e, SpeechStopped) for e in _events(semantic, gap))
    # A finished question: the turn ends well before server_vad's 500 ms of silence.
    semantic.hear("What time is it in Tokyo?")
    later = _events(semantic, speech[-bytes_for_ms(400) :] + bytes(bytes_for_ms(600)))
    stops = [e for e in later if isinstance(e, SpeechStopped)]
    assert len(stops) == 1 and stops[0].audio_end_ms - stops[0].speech_end_ms < 500


@pytest.fixture(scope="module")
def speech() -> bytes:
    from realtime.protocol.wav import read_wav

    return read_wav(FIXTURES / "audio" / "what_time_tokyo.wav").pcm
