"""session.update payloads per API version: golden files, and no field crossing versions."""

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
from realtime.client.core.session_update import session_payload
from realtime.protocol.facts import ApiVersion
from tests.fixtures.loader import assert_golden
from tests.support.tool_schemas import TOOLS

CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "text_only": {"output_modalities": ("text",)},
    "push_to_talk": {"turn_detection": None, "transcription": None},
    "semantic_vad": {"turn_detection": SemanticVad(eagerness="high", interrupt_response=False)},
    "transcription": {
        "transcription": Transcription("gpt-4o-mini-transcribe", language="en", prompt="travel"),
        "noise_reduction": "near_field",
    },
    "tools": {"tools": TOOLS, "tool_choice": "get_local_time", "max_output_tokens": 512},
    "tuned": {
        "temperature": 0.7,
        "speed": 1.2,
        "voice": "verse",
        "instructions": "Be brief.",
        "turn_detection": ServerVad(0.7, 200, 800, idle_timeout_ms=6000),
    },
}

# Fields of one shape that the other version refuses (PROTOCOL.md, "Session: GA vs beta").
GA_ONLY = {"type", "output_modalities", "audio", "max_output_tokens", "idle_timeout_ms"}
BETA_ONLY = {
    "modalities",
    "voice",
    "input_audio_format",
    "output_audio_format",
    "turn_detection",
    "input_audio_transcription",
    "input_audio_noise_reduction",
    "max_response_output_tokens",
    "temperature",
    "speed",
}


def keys(value: Any, prefix: str = "") -> set[str]:
    """Every key of a nested payload, except inside tool definitions (the tools' own schema)."""
    if not isinstance(value, dict):
        return set()
    out = set()
    for key, sub in value.items():
        out.add(key)
        if key != "tools":
            out |= keys(sub)
    return out


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("version", list(ApiVersion))
def test_session_payload_matches_golden(case: str, version: ApiVersion) -> None:
    config = SessionConfig(provider=Provider.OPENAI, api_version=version, **CASES[case])
    assert_golden(f"session/{case}_{version.value}.json", session_payload(config))


@pytest.mark.parametrize("case", CASES)
def test_no_field_crosses_versions(case: str) -> None:
    ga = session_payload(SessionConfig(api_version=ApiVersion.GA, **CASES[case]))
    beta = session_payload(SessionConfig(api_version=ApiVersion.BETA, **CASES[case]))
    # GA spells voice, speed and turn_detection too, but only nested under audio.*.
    assert not set(ga) & BETA_ONLY
    assert not keys(ga) & (BETA_ONLY - {"voice", "speed", "turn_detection"})
    assert not set(beta) & GA_ONLY
    assert "idle_timeout_ms" not in keys(beta)


def test_ga_nests_voice_and_turn_detection_under_audio() -> None:
    payload = session_payload(SessionConfig(api_version=ApiVersion.GA, **CASES["tuned"]))
    assert "voice" not in payload and "turn_detection" not in payload
    assert payload["audio"]["output"]["voice"] == "verse"
    assert payload["audio"]["output"]["speed"] == 1.2
    assert payload["audio"]["input"]["turn_detection"]["idle_timeout_ms"] == 6000


def test_beta_named_tool_choice_offers_only_that_tool_and_requires_it() -> None:
    payload = session_payload(SessionConfig(api_version=ApiVersion.BETA, **CASES["tools"]))
    assert payload["tool_choice"] == "required"
    assert [t["name"] for t in payload["tools"]] == ["get_local_time"]
