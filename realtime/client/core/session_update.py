"""The ``session`` object of a ``session.update``, built from a ``SessionConfig`` per API version.

Pure; the bridge thread calls it when it connects and when settings change. The config becomes
flat values in one vocabulary, and ``realtime.protocol.session_schema.render`` puts them at the
version's paths; fields a version does not take are left out by the schema, because the hosted
API fails the whole ``session.update`` when it meets one (``temperature`` sent to GA,
``idle_timeout_ms``, ``reasoning`` or ``truncation`` to beta). Fields left at None are not sent,
so the server's own defaults hold.
"""

from __future__ import annotations

from typing import Any

from realtime.client.core.config import (
    RetentionRatio,
    SemanticVad,
    SessionConfig,
    Transcription,
    TurnDetection,
)
from realtime.client.core.mcp import mcp_tool
from realtime.client.core.transcription_session import TRANSCRIPTION, transcription_payload
from realtime.protocol.facts import ApiVersion, pcm_format
from realtime.protocol.session_schema import INCLUDE_LOGPROBS, TOOL_CHOICES, custom_voice, render

__all__ = ["session_payload", "session_values"]


def session_payload(config: SessionConfig) -> dict[str, Any]:
    """The ``session`` object of a ``session.update`` for the config's API version (a
    transcription session's from ``realtime.client.core.transcription_session``)."""
    if config.session_type == TRANSCRIPTION:
        return transcription_payload(config)
    return render(session_values(config), config.api_version)


def session_values(config: SessionConfig) -> dict[str, Any]:
    """The config as the schema's flat values (GA spellings), before any version drops one."""
    tools = [dict(tool) for tool in config.tools]
    tool_choice: str | dict[str, str] = config.tool_choice
    if tool_choice not in TOOL_CHOICES:
        if config.api_version is ApiVersion.GA:
            tool_choice = {"type": "function", "name": config.tool_choice}
        else:
            # Beta takes tool_choice as a plain string only; "required" with the one named
            # tool offered forces the same call.
            tools = [tool for tool in tools if tool.get("name") == tool_choice]
            tool_choice = "required"
    tools += [mcp_tool(server) for server in config.mcp_servers]  # GA only (the config checks)
    values: dict[str, Any] = {
        "type": "realtime",
        "instructions": config.instructions,
        "output_modalities": ["audio"] if config.audio_output else ["text"],
        "input_format": pcm_format(),
        "output_format": pcm_format(),
        "voice": custom_voice(config.voice),
        "turn_detection": _turn_detection(config.turn_detection),
        "transcription": _transcription(config.transcription),
        "noise_reduction": _noise_reduction(config),
        "max_output_tokens": config.max_output_tokens,
        "tools": tools,
        "tool_choice": tool_choice,
    }
    optional = {
        "speed": config.speed,
        "temperature": config.temperature,
        "parallel_tool_calls": config.parallel_tool_calls,
        "reasoning": None
        if config.reasoning_effort is None
        else {"effort": config.reasoning_effort},
        "truncation": _truncation(config),
        "prompt": _prompt(config),
        "include": [INCLUDE_LOGPROBS] if config.transcription_logprobs else None,
        "tracing": _tracing(config.tracing),
    }
    values.update({name: value for name, value in optional.items() if value is not None})
    return values


def _turn_detection(td: TurnDetection) -> dict[str, Any] | None:
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
    if td.idle_timeout_ms is not None:
        out["idle_timeout_ms"] = td.idle_timeout_ms
    return out


def _transcription(tr: Transcription | None) -> dict[str, Any] | None:
    if tr is None:
        return None
    out: dict[str, Any] = {"model": tr.model}
    for key in ("language", "prompt", "delay"):
        if value := getattr(tr, key):
            out[key] = value
    return out


def _noise_reduction(config: SessionConfig) -> dict[str, Any] | None:
    if config.noise_reduction is None:
        return None
    out: dict[str, Any] = {"type": config.noise_reduction}
    if config.noise_reduction_strength is not None:
        out["strength"] = config.noise_reduction_strength
    return out


def _truncation(config: SessionConfig) -> str | dict[str, Any] | None:
    trunc = config.truncation
    if not isinstance(trunc, RetentionRatio):
        return trunc
    out: dict[str, Any] = {"type": "retention_ratio", "retention_ratio": trunc.retention_ratio}
    if trunc.post_instructions is not None:
        out["token_limits"] = {"post_instructions": trunc.post_instructions}
    return out


def _prompt(config: SessionConfig) -> dict[str, Any] | None:
    if config.prompt is None:
        return None
    out: dict[str, Any] = {"id": config.prompt.id}
    if config.prompt.version:
        out["version"] = config.prompt.version
    if config.prompt.variables:
        out["variables"] = dict(config.prompt.variables)
    return out


def _tracing(tracing: str | None) -> str | dict[str, str] | None:
    if tracing is None or tracing == "auto":
        return tracing
    return {"workflow_name": tracing}
