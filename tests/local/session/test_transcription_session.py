"""Transcription sessions in the engine's sans-I/O session: GA ``session.type`` transcription,
beta ``transcription_session.update``, ``?intent=transcription``; turns transcribed, never
answered."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.local.session.effective import EffectiveSession
from realtime.local.session.jobs import Respond, Transcribe
from realtime.local.session.server_session import ServerSession
from realtime.local.session.transcription_session import apply_transcription_update
from realtime.local.session.wire import InvalidRequest
from realtime.protocol.facts import ApiVersion
from tests.support.session import LoudnessVad, SessionHarness, error_of, silence, tone

GA = {
    "type": "transcription",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 400},
            "noise_reduction": None,
        }
    },
}
BETA = {
    "input_audio_format": "pcm16",
    "input_audio_transcription": {"model": "whisper-1"},
    "turn_detection": {"type": "server_vad", "silence_duration_ms": 400},
    "input_audio_noise_reduction": {"type": "near_field"},
}
COMPLETED = "conversation.item.input_audio_transcription.completed"


def spoken_turn(h: SessionHarness) -> list[str]:
    h.append(silence(200) + tone(800) + silence(600))
    job = h.job(Transcribe)
    h.take(h.session.transcribed(job.item_id, "What time is it in Tokyo?"))
    return h.types()


def test_ga_session_update_of_type_transcription_is_echoed_in_that_shape() -> None:
    h = SessionHarness()
    h.send("session.update", session=GA)
    session = h.last("session.updated")["session"]
    assert session["type"] == "transcription"
    assert session["object"] == "realtime.transcription_session"
    assert session["audio"]["input"]["transcription"] == {
        "model": "gpt-4o-transcribe",
        "language": "en",
    }
    td = session["audio"]["input"]["turn_detection"]
    assert td["silence_duration_ms"] == 400 and "create_response" not in td
    assert "output" not in session["audio"] and "instructions" not in session


def test_a_spoken_turn_is_transcribed_with_times_and_never_answered() -> None:
    h = SessionHarness()
    h.send("session.update", session=GA)
    types = spoken_turn(h)
    assert "input_audio_buffer.speech_started" in types and COMPLETED in types
    assert not [t for t in types if t.startswith("response.")]
    assert not [j for j in h.jobs if isinstance(j, Respond)]
    started = h.last("input_audio_buffer.speech_started")
    stopped = h.last("input_audio_buffer.speech_stopped")
    assert started["item_id"] == stopped["item_id"] == h.last(COMPLETED)["item_id"]
    assert 0 <= started["audio_start_ms"] < stopped["audio_end_ms"]
    assert h.last(COMPLETED)["transcript"] == "What time is it in Tokyo?"


def test_response_create_is_refused_in_a_transcription_session() -> None:
    h = SessionHarness()
    h.send("session.update", session=GA)
    error = error_of(h.send("response.create"))
    assert error["code"] == "invalid_value" and "transcription session" in error["message"]


def test_back_to_realtime_answers_again() -> None:
    h = SessionHarness()
    h.send("session.update", session=GA)
    h.send("session.update", session={"type": "realtime"})
    assert h.last("session.updated")["session"]["type"] == "realtime"
    h.text_turn("Hello")
    assert isinstance(h.job(Respond), Respond)


def test_beta_transcription_session_update_answers_transcription_session_updated() -> None:
    h = SessionHarness(ApiVersion.BETA)
    out = h.send("transcription_session.update", session=BETA)
    assert h.types(out) == ["transcription_session.updated"]
    session = out.events[0]["session"]
    assert session["object"] == "realtime.transcription_session"
    assert session["input_audio_noise_reduction"] == {"type": "near_field"}
    assert session["modalities"] == ["text"]
    types = spoken_turn(h)
    assert COMPLETED in types and not [t for t in types if t.startswith("response.")]


def test_ga_does_not_take_the_beta_event() -> None:
    error = error_of(SessionHarness().send("transcription_session.update", session=BETA))
    assert error["param"] == "type"


@pytest.mark.parametrize(
    ("version", "payload", "param"),
    [
        (ApiVersion.GA, {**GA, "instructions": "hi"}, "session.instructions"),
        (ApiVersion.GA, {**GA, "audio": {"output": {}}}, "session.audio.output"),
        (ApiVersion.GA, {**GA, "include": ["everything"]}, "session.include[0]"),
        (ApiVersion.BETA, {**BETA, "voice": "alloy"}, "session.voice"),
        (
            ApiVersion.BETA,
            {**BETA, "input_audio_format": "g711_ulaw"},
            "session.input_audio_format",
        ),
    ],
)
def test_fields_a_transcription_session_does_not_take_are_refused(
    version: ApiVersion, payload: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        apply_transcription_update(EffectiveSession(model="m"), payload, version)
    assert caught.value.param == param


def test_intent_transcription_opens_a_transcription_session_with_whisper() -> None:
    session = ServerSession(vad_factory=LoudnessVad, transcription=True)
    (created,) = session.start().events
    assert created["session"]["type"] == "transcription"
    assert created["session"]["audio"]["input"]["transcription"] == {"model": "whisper-1"}
