"""The session configs the golden ``session.update`` files are made from, shared by the
client's golden tests and the engine's round trip: together they reach every field of the
session schema, in GA and beta."""

from __future__ import annotations

from typing import Any

from realtime.client.core.config import (
    Prompt,
    RetentionRatio,
    SemanticVad,
    ServerVad,
    Transcription,
)
from tests.support.tool_schemas import TOOLS

__all__ = ["CASES", "GA_CASES"]

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
    # Today's GA fields: beta leaves out all but speed, temperature and tracing.
    "advanced": {
        "temperature": 0.9,
        "speed": 0.8,
        "turn_detection": ServerVad(idle_timeout_ms=12_000, create_response=False),
        "transcription": Transcription("gpt-realtime-whisper", language="fr", delay="low"),
        "transcription_logprobs": True,
        "noise_reduction": "far_field",
        "noise_reduction_strength": 0.6,
        "reasoning_effort": "high",
        "parallel_tool_calls": False,
        "truncation": RetentionRatio(0.7, post_instructions=8000),
        "prompt": Prompt("pmpt_123", version="2", variables=(("city", "Paris"),)),
        "tracing": "auto",
    },
    "truncation_disabled": {
        "truncation": "disabled",
        "tracing": "voice-studio",
        "transcription": Transcription("gpt-transcribe", prompt="airports, flights"),
        "reasoning_effort": "minimal",
        "prompt": Prompt("pmpt_456"),
    },
}
# A custom voice is GA only; the beta config refuses it.
GA_CASES: dict[str, dict[str, Any]] = {"custom_voice": {"voice": "voice_1234", "speed": 1.5}}
