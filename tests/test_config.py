"""SessionConfig validation, session.update payloads per API version, URLs and headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from realtime.config import (
    ApiVersion,
    Provider,
    SemanticVad,
    ServerVad,
    SessionConfig,
    Transcription,
    connection_headers,
    connection_url,
    session_payload,
)
from realtime.errors import ConfigError
from tests.fixtures.loader import assert_golden

TOOLS = (
    {
        "type": "function",
        "name": "get_local_time",
        "description": "Local time of a place.",
        "parameters": {
            "type": "object",
            "properties": {"place": {"type": "string"}},
            "required": ["place"],
            "additionalProperties": False,
        },
    },
    {
        "type": "function",
        "name": "find_airport",
        "description": "Airports matching a code, city or name.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
            "additionalProperties": False,
        },
    },
)

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


def test_dropped_fields_say_what_a_version_ignores() -> None:
    tuned = CASES["tuned"]
    assert SessionConfig(api_version=ApiVersion.GA, **tuned).dropped_fields() == ("temperature",)
    assert SessionConfig(api_version=ApiVersion.BETA, **tuned).dropped_fields() == (
        "turn_detection.idle_timeout_ms",
    )


def test_beta_named_tool_choice_offers_only_that_tool_and_requires_it() -> None:
    payload = session_payload(SessionConfig(api_version=ApiVersion.BETA, **CASES["tools"]))
    assert payload["tool_choice"] == "required"
    assert [t["name"] for t in payload["tools"]] == ["get_local_time"]


REFUSED: list[tuple[str, Callable[[], object]]] = [
    ("provider", lambda: SessionConfig(**{"provider": "openai"})),
    ("api_version", lambda: SessionConfig(**{"api_version": "v2"})),
    ("model", lambda: SessionConfig(**{"model": ""})),
    ("model", lambda: SessionConfig(**{"model": "gpt realtime"})),
    ("voice", lambda: SessionConfig(**{"provider": Provider.OPENAI, "voice": "robot"})),
    (
        "voice",
        lambda: SessionConfig(
            **{"provider": Provider.OPENAI, "api_version": ApiVersion.BETA, "voice": "marin"}
        ),
    ),
    ("voice", lambda: SessionConfig(**{"voice": "  "})),
    ("output_modalities", lambda: SessionConfig(**{"output_modalities": ()})),
    ("output_modalities", lambda: SessionConfig(**{"output_modalities": ("video",)})),
    ("turn_detection", lambda: SessionConfig(**{"turn_detection": "server_vad"})),
    ("turn_detection.threshold", lambda: ServerVad(threshold=1.5)),
    ("turn_detection.threshold", lambda: ServerVad(threshold=-0.1)),
    ("turn_detection.prefix_padding_ms", lambda: ServerVad(prefix_padding_ms=-1)),
    ("turn_detection.silence_duration_ms", lambda: ServerVad(silence_duration_ms=10**6)),
    ("turn_detection.idle_timeout_ms", lambda: ServerVad(idle_timeout_ms=100)),
    ("turn_detection.eagerness", lambda: SemanticVad(eagerness="eager")),
    ("transcription", lambda: SessionConfig(**{"transcription": "whisper-1"})),
    ("transcription.model", lambda: Transcription(model=" ")),
    (
        "transcription.model",
        lambda: SessionConfig(**{"provider": Provider.OPENAI, "transcription": Transcription("x")}),
    ),
    ("transcription.language", lambda: Transcription(language="English")),
    ("noise_reduction", lambda: SessionConfig(**{"noise_reduction": "studio"})),
    ("temperature", lambda: SessionConfig(**{"temperature": 0.2})),
    ("temperature", lambda: SessionConfig(**{"temperature": 2.0})),
    ("temperature", lambda: SessionConfig(**{"temperature": "hot"})),
    ("max_output_tokens", lambda: SessionConfig(**{"max_output_tokens": 0})),
    ("max_output_tokens", lambda: SessionConfig(**{"max_output_tokens": 5000})),
    ("max_output_tokens", lambda: SessionConfig(**{"max_output_tokens": 10.5})),
    ("max_output_tokens", lambda: SessionConfig(**{"max_output_tokens": True})),
    ("speed", lambda: SessionConfig(**{"speed": 3.0})),
    ("tools", lambda: SessionConfig(**{"tools": ({"type": "function"},)})),
    ("tools", lambda: SessionConfig(**{"tools": ({"type": "mcp", "name": "x"},)})),
    ("tools", lambda: SessionConfig(**{"tools": (TOOLS[0], TOOLS[0])})),
    ("tool_choice", lambda: SessionConfig(**{"tool_choice": "sometimes"})),
    ("tool_choice", lambda: SessionConfig(**{"tools": TOOLS, "tool_choice": "book_flight"})),
    ("base_url", lambda: SessionConfig(**{"provider": Provider.CUSTOM})),
    ("base_url", lambda: SessionConfig(**{"provider": Provider.CUSTOM, "base_url": "ftp://x"})),
    (
        "base_url",
        lambda: SessionConfig(**{"provider": Provider.LOCAL, "base_url": "127.0.0.1:8765"}),
    ),
    ("azure_endpoint", lambda: SessionConfig(**{"provider": Provider.AZURE})),
    (
        "azure_endpoint",
        lambda: SessionConfig(**{"provider": Provider.AZURE, "azure_endpoint": "my-resource"}),
    ),
    (
        "azure_api_version",
        lambda: SessionConfig(
            **{
                "provider": Provider.AZURE,
                "azure_endpoint": "https://r.openai.azure.com",
                "azure_api_version": "latest",
            }
        ),
    ),
]


@pytest.mark.parametrize(("field", "build"), REFUSED, ids=[f for f, _ in REFUSED])
def test_refused_values_name_the_field(field: str, build: Callable[[], object]) -> None:
    with pytest.raises(ConfigError) as info:
        build()
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")


def test_refusal_lists_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match=r"allowed: .*alloy.*cedar"):
        SessionConfig(provider=Provider.OPENAI, voice="robot")
    with pytest.raises(ConfigError, match=r"allowed: 0.6 to 1.2"):
        SessionConfig(temperature=0.1)


def test_config_is_frozen_and_replace_validates() -> None:
    config = SessionConfig()
    with pytest.raises(AttributeError):
        config.voice = "ash"  # type: ignore[misc]
    assert config.replace(voice="ash").voice == "ash"
    with pytest.raises(ConfigError):
        config.replace(temperature=9.0)


def test_local_and_custom_voices_are_free_text() -> None:
    assert SessionConfig(provider=Provider.LOCAL, voice="joe").voice == "joe"


# ---- connection URL and headers -------------------------------------------------------
def test_openai_ga_url_and_headers() -> None:
    config = SessionConfig(provider=Provider.OPENAI, model="gpt-realtime-mini")
    assert connection_url(config) == "wss://api.openai.com/v1/realtime?model=gpt-realtime-mini"
    assert connection_headers(config, "sk-test") == {"Authorization": "Bearer sk-test"}


def test_openai_beta_adds_the_beta_header() -> None:
    config = SessionConfig(
        provider=Provider.OPENAI, api_version=ApiVersion.BETA, model="gpt-4o-realtime-preview"
    )
    assert connection_url(config).endswith("?model=gpt-4o-realtime-preview")
    assert connection_headers(config, "sk-test") == {
        "Authorization": "Bearer sk-test",
        "OpenAI-Beta": "realtime=v1",
    }


def test_azure_ga_and_preview_urls_use_the_api_key_header() -> None:
    ga = SessionConfig(
        provider=Provider.AZURE, azure_endpoint="https://res.openai.azure.com/", model="my-rt"
    )
    assert connection_url(ga) == "wss://res.openai.azure.com/openai/v1/realtime?model=my-rt"
    assert connection_headers(ga, "k") == {"api-key": "k"}
    preview = ga.replace(api_version=ApiVersion.BETA)
    assert connection_url(preview) == (
        "wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=my-rt"
    )


def test_custom_url_takes_http_or_ws_and_key_is_optional() -> None:
    config = SessionConfig(provider=Provider.CUSTOM, base_url="http://127.0.0.1:9000/v1/")
    assert connection_url(config) == "ws://127.0.0.1:9000/v1/realtime?model=gpt-realtime"
    assert connection_headers(config, None) == {}
    secure = config.replace(base_url="https://example.test/v1")
    assert connection_url(secure).startswith("wss://example.test/v1/realtime")


def test_missing_keys_and_urls_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="api_key"):
        connection_headers(SessionConfig(provider=Provider.OPENAI), None)
    with pytest.raises(ConfigError, match="api_key"):
        connection_headers(
            SessionConfig(provider=Provider.AZURE, azure_endpoint="https://r.openai.azure.com"),
            "",
        )
    with pytest.raises(ConfigError, match="base_url"):
        connection_url(SessionConfig(provider=Provider.LOCAL))
