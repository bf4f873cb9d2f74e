"""The effective session of one local-engine session: what ``session.update`` sets, and its echo.

Pure; owned by the session state machine (on the server's event loop). One frozen
:class:`EffectiveSession` holds every setting in one vocabulary; :func:`apply_update` checks a
``session.update`` payload in the client's API version (GA nested ``audio.input`` /
``audio.output``, beta flat fields) from one table per version, and :func:`render` draws the
session object of ``session.created`` / ``session.updated`` in that version's shape. A field of
the other version is refused with ``unknown_parameter``, as the hosted API does.

Accepted but not acted on (echoed only): ``noise_reduction`` (the engine has none),
``temperature`` (in the versions ``facts.takes_temperature`` names; the rule-based responder is
deterministic), ``idle_timeout_ms``, ``tracing``, ``truncation``, ``include``, ``prompt``,
``reasoning``. ``semantic_vad`` is served by the WebRTC detector too, its silence window set by
the words heard so far and scaled by ``eagerness`` (``realtime.local.stages.vad.semantic``). Audio
formats other than 24 kHz PCM16 are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime.local.session.checks import (
    check_beta_format,
    check_beta_modalities,
    check_beta_turn_detection,
    check_ga_format,
    check_ga_modalities,
    check_ga_turn_detection,
    check_max_tokens,
    check_noise_reduction,
    check_speed,
    check_temperature,
    check_tool_choice,
    check_tools,
    check_transcription,
    check_voice,
    server_vad,
)
from realtime.local.session.wire import (
    FieldTable,
    InvalidRequest,
    expect_bool,
    expect_choice,
    expect_object,
    expect_string,
    walk,
)
from realtime.protocol.facts import ApiVersion, pcm_format, takes_temperature

__all__ = ["DEFAULT_INSTRUCTIONS", "EffectiveSession", "apply_update", "render"]

DEFAULT_INSTRUCTIONS = (
    "You are a helpful offline voice assistant. You can look up the local time somewhere, "
    "estimate a flight between two places and find airports, using the session's tools."
)


@dataclass(frozen=True)
class EffectiveSession:
    """Every session setting, in one vocabulary for both API versions."""

    model: str
    instructions: str = DEFAULT_INSTRUCTIONS
    output_modalities: tuple[str, ...] = ("audio",)
    voice: str = "alloy"
    speed: float = 1.0
    turn_detection: Mapping[str, Any] | None = field(default_factory=server_vad)
    transcription: Mapping[str, Any] | None = None
    noise_reduction: Mapping[str, Any] | None = None
    max_output_tokens: int | str = "inf"
    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: str = "auto"  # auto | none | required
    forced_tool: str | None = None  # tool_choice {"type": "function", "name": ...}
    parallel_tool_calls: bool = True
    temperature: float = 0.8
    extras: Mapping[str, Any] = field(default_factory=dict)  # echoed, not acted on

    @property
    def audio_output(self) -> bool:
        return "audio" in self.output_modalities


def _extra(name: str) -> tuple[str, Any]:
    return f"extras.{name}", lambda value, param: value


def _dropped(value: Any, param: str) -> None:
    return None


_COMMON: dict[str, Any] = {
    "model": ("model", expect_string),
    "instructions": ("instructions", expect_string),
    "max_output_tokens": ("max_output_tokens", check_max_tokens),
    "tools": ("tools", check_tools),
    "tool_choice": ("tool_choice", check_tool_choice),
    "tracing": _extra("tracing"),
}
_GA: FieldTable = {
    **_COMMON,
    "type": (None, lambda v, p: expect_choice(v, p, ("realtime",))),
    "output_modalities": ("output_modalities", check_ga_modalities),
    "audio": {
        "input": {
            "format": (None, check_ga_format),
            "turn_detection": ("turn_detection", check_ga_turn_detection),
            "transcription": ("transcription", check_transcription),
            "noise_reduction": ("noise_reduction", check_noise_reduction),
        },
        "output": {
            "format": (None, check_ga_format),
            "voice": ("voice", expect_string),
            "speed": ("speed", check_speed),
        },
    },
    "parallel_tool_calls": ("parallel_tool_calls", expect_bool),
    **{name: _extra(name) for name in ("include", "truncation", "prompt", "reasoning")},
}
_BETA: FieldTable = {
    **_COMMON,
    "id": (None, _dropped),
    "object": (None, _dropped),
    "modalities": ("output_modalities", check_beta_modalities),
    "voice": ("voice", expect_string),
    "speed": ("speed", check_speed),
    "input_audio_format": (None, check_beta_format),
    "output_audio_format": (None, check_beta_format),
    "turn_detection": ("turn_detection", check_beta_turn_detection),
    "input_audio_transcription": ("transcription", check_transcription),
    "input_audio_noise_reduction": ("noise_reduction", check_noise_reduction),
    "max_response_output_tokens": ("max_output_tokens", check_max_tokens),
}
_TABLES: dict[ApiVersion, FieldTable] = {
    version: {**table, "temperature": ("temperature", check_temperature)}
    if takes_temperature(version)
    else table
    for version, table in ((ApiVersion.GA, _GA), (ApiVersion.BETA, _BETA))
}


def apply_update(
    current: EffectiveSession,
    payload: Any,
    version: ApiVersion,
    *,
    voices: Collection[str] = (),
) -> EffectiveSession:
    """The session after ``payload`` (a ``session.update``'s ``session``); raises
    ``InvalidRequest`` and changes nothing if any field is refused. ``voices`` are the engine's
    own voice names, accepted beside the hosted API's."""
    session = expect_object(payload, "session")
    if version is ApiVersion.GA and "type" not in session:
        raise InvalidRequest.missing("session.type")
    changes = walk(session, _TABLES[version], "session")
    extras = {k.removeprefix("extras."): changes.pop(k) for k in list(changes) if "." in k}
    if "tool_choice" in changes:
        changes["tool_choice"], changes["forced_tool"] = changes["tool_choice"]
    if "voice" in changes:
        check_voice(changes["voice"], version, voices, "session")
    updated = dataclasses.replace(current, **changes)
    if extras:
        updated = dataclasses.replace(updated, extras={**current.extras, **extras})
    return updated


def render(session: EffectiveSession, version: ApiVersion, session_id: str) -> dict[str, Any]:
    """The session object of ``session.created`` / ``session.updated`` for ``version``."""
    rendered = (
        _render_ga(session, session_id)
        if version is ApiVersion.GA
        else _render_beta(session, session_id)
    )
    if takes_temperature(version):
        rendered["temperature"] = session.temperature
    return rendered


def _turn_detection_out(s: EffectiveSession, version: ApiVersion) -> dict[str, Any] | None:
    if s.turn_detection is None:
        return None
    td = dict(s.turn_detection)
    if version is ApiVersion.BETA:
        td.pop("idle_timeout_ms", None)
    return td


def _tool_choice_out(s: EffectiveSession, version: ApiVersion) -> str | dict[str, str]:
    if s.forced_tool is None:
        return s.tool_choice
    if version is ApiVersion.GA:
        return {"type": "function", "name": s.forced_tool}
    return s.forced_tool


def _render_ga(s: EffectiveSession, session_id: str) -> dict[str, Any]:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": s.model,
        "output_modalities": list(s.output_modalities),
        "instructions": s.instructions,
        "audio": {
            "input": {
                "format": pcm_format(),
                "transcription": None if s.transcription is None else dict(s.transcription),
                "noise_reduction": None if s.noise_reduction is None else dict(s.noise_reduction),
                "turn_detection": _turn_detection_out(s, ApiVersion.GA),
            },
            "output": {"format": pcm_format(), "voice": s.voice, "speed": s.speed},
        },
        "tools": [dict(t) for t in s.tools],
        "tool_choice": _tool_choice_out(s, ApiVersion.GA),
        "parallel_tool_calls": s.parallel_tool_calls,
        "max_output_tokens": s.max_output_tokens,
        "tracing": s.extras.get("tracing"),
        "truncation": s.extras.get("truncation", "auto"),
        "prompt": s.extras.get("prompt"),
        "include": s.extras.get("include"),
    }


def _render_beta(s: EffectiveSession, session_id: str) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "realtime.session",
        "model": s.model,
        "modalities": ["text", "audio"] if s.audio_output else ["text"],
        "instructions": s.instructions,
        "voice": s.voice,
        "speed": s.speed,
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "input_audio_transcription": None if s.transcription is None else dict(s.transcription),
        "input_audio_noise_reduction": (
            None if s.noise_reduction is None else dict(s.noise_reduction)
        ),
        "turn_detection": _turn_detection_out(s, ApiVersion.BETA),
        "tools": [dict(t) for t in s.tools],
        "tool_choice": _tool_choice_out(s, ApiVersion.BETA),
        "max_response_output_tokens": s.max_output_tokens,
        "tracing": s.extras.get("tracing"),
    }
