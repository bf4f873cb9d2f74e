"""The session of a transcription-only connection (``session.type = "transcription"``).

Pure; the bridge thread calls it through ``session_update.session_payload`` when the config's
``session_type`` is ``transcription``: live transcripts of the microphone, no answers. GA sends
``session.update`` with ``{"type": "transcription", "audio": {"input": {...}}}``; beta sends
``transcription_session.update`` with flat ``input_audio_*`` fields. Turn detection here only
cuts the audio into segments, so ``create_response`` / ``interrupt_response`` are not sent (the
hosted API ignores or refuses them for transcription sessions), and push-to-talk (turn detection
off) makes one segment per commit. A config with no transcription gets whisper-1 in the
language Whisper detects: a transcription session without a model would transcribe nothing.
"""

from __future__ import annotations

from typing import Any

from realtime.client.core.config import SemanticVad, SessionConfig, Transcription
from realtime.protocol.facts import ApiVersion, pcm_format

__all__ = ["TRANSCRIPTION", "session_event_type", "transcription_payload"]

TRANSCRIPTION = "transcription"


def session_event_type(config: SessionConfig) -> str:
    """The client event that carries the session: beta transcription has its own."""
    if config.session_type == TRANSCRIPTION and config.api_version is ApiVersion.BETA:
        return "transcription_session.update"
    return "session.update"


def transcription_payload(config: SessionConfig) -> dict[str, Any]:
    """The ``session`` object of a transcription session for the config's API version."""
    tr = config.transcription or Transcription()
    transcription: dict[str, Any] = {"model": tr.model}
    if tr.language:
        transcription["language"] = tr.language
    if tr.prompt:
        transcription["prompt"] = tr.prompt
    noise = None if config.noise_reduction is None else {"type": config.noise_reduction}
    td = _turn_detection(config)
    if config.api_version is ApiVersion.GA:
        return {
            "type": TRANSCRIPTION,
            "audio": {
                "input": {
                    "format": pcm_format(),
                    "transcription": transcription,
                    "turn_detection": td,
                    "noise_reduction": noise,
                }
            },
        }
    return {
        "input_audio_format": "pcm16",
        "input_audio_transcription": transcription,
        "turn_detection": td,
        "input_audio_noise_reduction": noise,
    }


def _turn_detection(config: SessionConfig) -> dict[str, Any] | None:
    td = config.turn_detection
    if td is None:
        return None
    if isinstance(td, SemanticVad):
        return {"type": "semantic_vad", "eagerness": td.eagerness}
    return {
        "type": "server_vad",
        "threshold": td.threshold,
        "prefix_padding_ms": td.prefix_padding_ms,
        "silence_duration_ms": td.silence_duration_ms,
    }
