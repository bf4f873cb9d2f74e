"""The ``session`` object of a ``session.update``, built from a ``SessionConfig`` per API version.

Pure; the bridge thread calls it when it connects and when settings change. Fields a version
does not accept are left out by construction, because the hosted API fails the whole
``session.update`` when it meets one (``temperature`` sent to GA, ``idle_timeout_ms`` to beta).
"""

from __future__ import annotations

from typing import Any

from realtime.client.core.config import SemanticVad, SessionConfig, Transcription, TurnDetection
from realtime.client.core.transcription_session import TRANSCRIPTION, transcription_payload
from realtime.protocol.facts import TOOL_CHOICES, ApiVersion, pcm_format, takes_temperature

__all__ = ["session_payload"]


def session_payload(config: SessionConfig) -> dict[str, Any]:
    """The ``session`` object of a ``session.update`` for the config's API version (a
    transcription session's from ``realtime.client.core.transcription_session``)."""
    if config.session_type == TRANSCRIPTION:
        return transcription_payload(config)
    if config.api_version is ApiVersion.GA:
        return _ga_session(config)
    return _beta_session(config)


def _ga_session(config: SessionConfig) -> dict[str, Any]:
    audio_out: dict[str, Any] = {"format": pcm_format(), "voice": config.voice}
    if config.speed is not None:
        audio_out["speed"] = config.speed
    return {
        "type": "realtime",
        "instructions": config.instructions,
        "output_modalities": ["audio"] if config.audio_output else ["text"],
        "audio": {
            "input": {
                "format": pcm_format(),
                "turn_detection": _turn_detection(config.turn_detection, ApiVersion.GA),
                "transcription": _transcription(config.transcription),
                "noise_reduction": _noise_reduction(config.noise_reduction),
            },
            "output": audio_out,
        },
        "max_output_tokens": config.max_output_tokens,
        "tools": [dict(tool) for tool in config.tools],
        "tool_choice": _ga_tool_choice(config.tool_choice),
    }


def _beta_session(config: SessionConfig) -> dict[str, Any]:
    tools = [dict(tool) for tool in config.tools]
    tool_choice = config.tool_choice
    if tool_choice not in TOOL_CHOICES:
        # Beta takes tool_choice as a plain string only; "required" with the one named tool
        # offered forces the same call.
        tools = [tool for tool in tools if tool.get("name") == tool_choice]
        tool_choice = "required"
    session: dict[str, Any] = {
        "modalities": ["text", "audio"] if config.audio_output else ["text"],
        "instructions": config.instructions,
        "voice": config.voice,
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "turn_detection": _turn_detection(config.turn_detection, ApiVersion.BETA),
        "input_audio_transcription": _transcription(config.transcription),
        "input_audio_noise_reduction": _noise_reduction(config.noise_reduction),
        "max_response_output_tokens": config.max_output_tokens,
        "tools": tools,
        "tool_choice": tool_choice,
    }
    if config.temperature is not None and takes_temperature(config.api_version):
        session["temperature"] = config.temperature
    if config.speed is not None:
        session["speed"] = config.speed
    return session


def _turn_detection(td: TurnDetection, version: ApiVersion) -> dict[str, Any] | None:
    if td is None:
        return None
    if isinstance(td, SemanticVad):
        return {
            "type": "semantic_vad",
            "eagerness": td.eagerness,
            "create_response": td.create_response,
            "interrupt_response": td.interrupt_response,
        }
    out: dict[str, Any] = {
        "type": "server_vad",
        "threshold": td.threshold,
        "prefix_padding_ms": td.prefix_padding_ms,
        "silence_duration_ms": td.silence_duration_ms,
        "create_response": td.create_response,
        "interrupt_response": td.interrupt_response,
    }
    if version is ApiVersion.GA and td.idle_timeout_ms is not None:
        out["idle_timeout_ms"] = td.idle_timeout_ms
    return out


def _transcription(tr: Transcription | None) -> dict[str, Any] | None:
    if tr is None:
        return None
    out: dict[str, Any] = {"model": tr.model}
    if tr.language:
        out["language"] = tr.language
    if tr.prompt:
        out["prompt"] = tr.prompt
    return out


def _noise_reduction(kind: str | None) -> dict[str, Any] | None:
    return None if kind is None else {"type": kind}


def _ga_tool_choice(choice: str) -> str | dict[str, str]:
    return choice if choice in TOOL_CHOICES else {"type": "function", "name": choice}
