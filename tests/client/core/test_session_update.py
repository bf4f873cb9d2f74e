"""session.update payloads per API version: golden files, and no field crossing versions."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.session_update import session_payload
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion
from tests.fixtures.loader import assert_golden
from tests.support.session_cases import CASES, GA_CASES

# Fields of one shape that the other version refuses (PROTOCOL.md, "Session: GA vs beta").
GA_ONLY_INSIDE = {"idle_timeout_ms", "delay", "strength", "effort", "token_limits", "variables"}
GA_ONLY = {
    "type",
    "output_modalities",
    "audio",
    "max_output_tokens",
    "idle_timeout_ms",
    "delay",
    "strength",
    "reasoning",
    "parallel_tool_calls",
    "truncation",
    "prompt",
    "include",
}
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


@pytest.mark.parametrize("case", GA_CASES)
def test_ga_only_payload_matches_golden(case: str) -> None:
    config = SessionConfig(provider=Provider.OPENAI, **GA_CASES[case])
    assert_golden(f"session/{case}_ga.json", session_payload(config))


def test_a_custom_voice_is_sent_as_its_id_in_ga_and_refused_in_beta() -> None:
    payload = session_payload(SessionConfig(provider=Provider.OPENAI, **GA_CASES["custom_voice"]))
    assert payload["audio"]["output"]["voice"] == {"id": "voice_1234"}
    with pytest.raises(ConfigError) as info:
        SessionConfig(provider=Provider.OPENAI, api_version=ApiVersion.BETA, voice="voice_1234")
    assert info.value.field == "voice"


@pytest.mark.parametrize("case", CASES)
def test_no_field_crosses_versions(case: str) -> None:
    ga = session_payload(SessionConfig(api_version=ApiVersion.GA, **CASES[case]))
    beta = session_payload(SessionConfig(api_version=ApiVersion.BETA, **CASES[case]))
    # GA spells voice, speed and turn_detection too, but only nested under audio.*.
    assert not set(ga) & BETA_ONLY
    assert not keys(ga) & (BETA_ONLY - {"voice", "speed", "turn_detection"})
    assert not set(beta) & GA_ONLY
    assert "idle_timeout_ms" not in keys(beta)
    assert not keys(beta) & GA_ONLY_INSIDE


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
