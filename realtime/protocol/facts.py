"""Facts of the Realtime protocol that the client and the local engine both rely on.

Pure constants, one home each: the app checks its settings against them before sending, and
the engine checks what a client sends against the same values, so the two can never disagree.
Figures follow the hosted API (PROTOCOL.md): PCM16 mono 24 kHz audio, a commit of at least
100 ms, the voices of each version. The session's fields, their ranges and defaults are in
``realtime.protocol.session_schema``.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "BETA_VOICES",
    "BYTES_PER_MS",
    "CHANNELS",
    "DEFAULT_MODELS",
    "GA_ONLY_VOICES",
    "GA_VOICES",
    "MAX_FRAME_BYTES",
    "MIN_COMMIT_MS",
    "SAMPLE_RATE",
    "SAMPLE_WIDTH",
    "ApiVersion",
    "pcm_format",
    "voices_for",
]


class ApiVersion(enum.Enum):
    """GA (``session.type = "realtime"``) or beta (``OpenAI-Beta: realtime=v1``)."""

    GA = "ga"
    BETA = "beta"


# The one internal audio format, and the format both versions name on the wire.
SAMPLE_RATE = 24000
SAMPLE_WIDTH = 2  # bytes: PCM16
CHANNELS = 1
BYTES_PER_MS = SAMPLE_RATE * SAMPLE_WIDTH * CHANNELS // 1000  # 48


def pcm_format() -> dict[str, Any]:
    """The GA ``audio.*.format`` object (beta names the same format ``"pcm16"``); a fresh dict."""
    return {"type": "audio/pcm", "rate": SAMPLE_RATE}


MIN_COMMIT_MS = 100  # less is refused: input_audio_buffer_commit_empty
MAX_FRAME_BYTES = 16 * 2**20  # one WebSocket message; the hosted API takes appends of 15 MiB

BETA_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse")
GA_ONLY_VOICES = ("marin", "cedar")
GA_VOICES = (*BETA_VOICES, *GA_ONLY_VOICES)


# What a session runs when the client names no model (the hosted API's current defaults).
DEFAULT_MODELS = {ApiVersion.GA: "gpt-realtime", ApiVersion.BETA: "gpt-4o-realtime-preview"}


def voices_for(version: ApiVersion) -> tuple[str, ...]:
    return GA_VOICES if version is ApiVersion.GA else BETA_VOICES
