"""Transcription sessions: golden payloads per API version, the event that carries them, the URL."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.client.core.config import (
    Provider,
    SemanticVad,
    ServerVad,
    SessionConfig,
    Transcription,
)
from realtime.client.core.endpoint import connection_key, connection_url
from realtime.client.core.session_update import session_payload
from realtime.client.core.transcription_session import session_event_type
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion
from realtime.protocol.model_list import DEFAULT_MODEL
from tests.fixtures.loader import assert_golden

CASES: dict[str, dict[str, Any]] = {
    "transcription_session": {
        "transcription": Transcription("gpt-4o-transcribe", language="en", prompt="travel"),
        "noise_reduction": "far_field",
        "turn_detection": ServerVad(0.6, 200, 700, idle_timeout_ms=6000),
    },
    "transcription_session_defaults": {"transcription": None},
    "transcription_session_push_to_talk": {"turn_detection": None},
}


def config(version: ApiVersion = ApiVersion.GA, **fields: Any) -> SessionConfig:
    return SessionConfig(
        provider=Provider.OPENAI, api_version=version, session_type="transcription", **fields
    )


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("version", list(ApiVersion))
def test_transcription_payload_matches_golden(case: str, version: ApiVersion) -> None:
    assert_golden(
        f"session/{case}_{version.value}.json", session_payload(config(version, **CASES[case]))
    )


def test_ga_sends_session_update_of_type_transcription_with_no_answer_settings() -> None:
    payload = session_payload(config(**CASES["transcription_session"]))
    assert payload["type"] == "transcription"
    assert set(payload) == {"type", "audio"}  # no instructions, voice, tools or output
    assert set(payload["audio"]) == {"input"}
    td = payload["audio"]["input"]["turn_detection"]
    assert "create_response" not in td and "interrupt_response" not in td
    assert session_event_type(config()) == "session.update"


def test_beta_sends_transcription_session_update_with_flat_fields() -> None:
    payload = session_payload(config(ApiVersion.BETA))
    assert session_event_type(config(ApiVersion.BETA)) == "transcription_session.update"
    assert payload["input_audio_transcription"] == {"model": "whisper-1"}
    assert "modalities" not in payload and "voice" not in payload and "type" not in payload


def test_semantic_vad_keeps_only_its_eagerness() -> None:
    payload = session_payload(config(turn_detection=SemanticVad(eagerness="low")))
    assert payload["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "low",
    }


def test_a_voice_session_is_unchanged_and_the_type_is_checked() -> None:
    assert session_payload(SessionConfig())["type"] == "realtime"
    assert session_event_type(SessionConfig(api_version=ApiVersion.BETA)) == "session.update"
    with pytest.raises(ConfigError, match="session_type"):
        SessionConfig(session_type="dictation")


def test_the_url_asks_for_a_transcription_session_and_a_switch_reconnects() -> None:
    assert connection_url(config()) == "wss://api.openai.com/v1/realtime?intent=transcription"
    local = SessionConfig(base_url="ws://127.0.0.1:8765/v1", session_type="transcription")
    assert connection_url(local) == "ws://127.0.0.1:8765/v1/realtime?intent=transcription"
    azure = config(
        ApiVersion.BETA, azure_endpoint="https://r.openai.azure.com", model="dep"
    ).replace(provider=Provider.AZURE)
    assert "intent=transcription" in connection_url(azure)
    voice = local.replace(session_type="realtime")
    assert connection_url(voice).endswith(f"?model={DEFAULT_MODEL}")
    assert connection_key(voice) != connection_key(local)
