"""The effective session: ``session.created`` and ``session.update`` per API version, checked
whole and echoed back (``realtime.local.session.effective``), driven through a session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from realtime.protocol.facts import ApiVersion
from tests.fixtures.loader import FIXTURES
from tests.support.session import TOOLS, SessionHarness, error_of

GOLDEN = FIXTURES / "session"  # what realtime.client.core.session_update sends


def test_session_created_has_the_ga_session_shape() -> None:
    h = SessionHarness()
    (created,) = h.events
    session = created["session"]
    assert created["type"] == "session.created" and session["type"] == "realtime"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert session["audio"]["output"]["voice"] == "alloy"
    assert session["output_modalities"] == ["audio"] and session["model"] == "gpt-realtime"
    assert session["audio"]["input"]["transcription"] is None


def test_session_created_has_the_beta_session_shape() -> None:
    session = SessionHarness(ApiVersion.BETA).events[0]["session"]
    assert session["modalities"] == ["text", "audio"] and session["voice"] == "alloy"
    assert session["input_audio_format"] == "pcm16" and "audio" not in session
    assert session["model"] == "gpt-4o-realtime-preview" and session["temperature"] == 0.8


def test_session_update_echoes_the_effective_session() -> None:
    h = SessionHarness()
    h.send(
        "session.update",
        event_id="evt_1",
        session={
            "type": "realtime",
            "instructions": "Be brief.",
            "output_modalities": ["text"],
            "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.7}}},
            "tools": TOOLS,
            "tool_choice": {"type": "function", "name": "get_local_time"},
        },
    )
    session = h.last("session.updated")["session"]
    assert session["instructions"] == "Be brief." and session["output_modalities"] == ["text"]
    vad = session["audio"]["input"]["turn_detection"]
    assert vad["threshold"] == 0.7 and vad["silence_duration_ms"] == 500  # defaults filled in
    assert session["tools"][0]["name"] == "get_local_time"
    assert session["tool_choice"] == {"type": "function", "name": "get_local_time"}


def test_beta_session_update_takes_flat_fields() -> None:
    h = SessionHarness(ApiVersion.BETA)
    h.send(
        "session.update",
        session={
            "modalities": ["text"],
            "voice": "verse",
            "temperature": 0.7,
            "input_audio_transcription": {"model": "whisper-1", "language": "en"},
            "max_response_output_tokens": 200,
        },
    )
    session = h.last("session.updated")["session"]
    assert session["modalities"] == ["text"] and session["voice"] == "verse"
    assert session["temperature"] == 0.7 and session["max_response_output_tokens"] == 200
    assert session["input_audio_transcription"] == {"model": "whisper-1", "language": "en"}


GA_BAD_UPDATES = [
    ({"temperature": 0.8}, "unknown_parameter", "session.temperature"),
    ({"voice": "alloy"}, "unknown_parameter", "session.voice"),
    (
        {"audio": {"input": {"turn_detection": {"type": "loud_vad"}}}},
        "invalid_value",
        "session.audio.input.turn_detection.type",
    ),
    (
        {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 1.5}}}},
        "invalid_value",
        "session.audio.input.turn_detection.threshold",
    ),
    (
        {"audio": {"input": {"turn_detection": {"type": "semantic_vad", "eagerness": "eager"}}}},
        "invalid_value",
        "session.audio.input.turn_detection.eagerness",
    ),
    ({"audio": {"output": {"voice": "nobody"}}}, "invalid_value", "session.audio.output.voice"),
    (
        {"audio": {"output": {"format": {"type": "audio/pcmu"}}}},
        "invalid_value",
        "session.audio.output.format",
    ),
    ({"instructions": 5}, "invalid_type", "session.instructions"),
    ({"max_output_tokens": 0}, "invalid_value", "session.max_output_tokens"),
    ({"tools": [{"type": "function"}]}, "missing_required_parameter", "session.tools[0].name"),
]


@pytest.mark.parametrize(("fields", "code", "param"), GA_BAD_UPDATES)
def test_bad_ga_session_update_is_refused_whole(
    fields: dict[str, Any], code: str, param: str
) -> None:
    h = SessionHarness()
    before = h.session.settings
    payload = {"type": "realtime", "instructions": "changed", **fields}
    error = error_of(h.send("session.update", event_id="evt_bad", session=payload))
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert error["event_id"] == "evt_bad" and error["message"]
    assert h.session.settings == before


@pytest.mark.parametrize(
    ("fields", "code", "param"),
    [
        ({"audio": {"output": {"voice": "alloy"}}}, "unknown_parameter", "session.audio"),
        ({"output_modalities": ["text"]}, "unknown_parameter", "session.output_modalities"),
        (
            {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 6000}},
            "unknown_parameter",
            "session.turn_detection.idle_timeout_ms",
        ),
        ({"temperature": 2.0}, "invalid_value", "session.temperature"),
        ({"voice": "cedar"}, "invalid_value", "session.voice"),  # GA-only voice
    ],
)
def test_ga_fields_in_beta_are_unknown(fields: dict[str, Any], code: str, param: str) -> None:
    error = error_of(SessionHarness(ApiVersion.BETA).send("session.update", session=fields))
    assert (error["code"], error["param"]) == (code, param)


def test_ga_update_needs_the_session_type() -> None:
    error = error_of(SessionHarness().send("session.update", session={"instructions": "x"}))
    assert (error["code"], error["param"]) == ("missing_required_parameter", "session.type")


def test_semantic_vad_is_served_by_the_same_detector() -> None:
    vad = {"type": "semantic_vad", "eagerness": "high"}
    h = SessionHarness(type="realtime", audio={"input": {"turn_detection": vad}})
    assert h.last("session.updated")["session"]["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "high",
        "create_response": True,
        "interrupt_response": True,
    }


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_every_session_update_the_app_builds_is_accepted(path: Path) -> None:
    version = ApiVersion.BETA if path.stem.endswith("beta") else ApiVersion.GA
    h = SessionHarness(version)
    outcome = h.send("session.update", session=json.loads(path.read_text()))
    assert h.types(outcome) == ["session.updated"]
