"""SessionConfig validation: every refused value names its field and what it accepts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from realtime.client.core.config import (
    Provider,
    SemanticVad,
    ServerVad,
    SessionConfig,
    Transcription,
)
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion
from tests.support.tool_schemas import TOOLS

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
