"""The effective session of one local-engine session: what ``session.update`` sets, and its echo.

Pure; owned by the session state machine (on the server's event loop). One frozen
:class:`EffectiveSession` holds every setting in one vocabulary; :func:`apply_update` checks a
``session.update`` payload in the client's API version (GA nested ``audio.input`` /
``audio.output``, beta flat fields) from one table per version, and :func:`render` draws the
session object of ``session.created`` / ``session.updated`` in that version's shape. A field of
the other version is refused with ``unknown_parameter``, as the hosted API does.

Accepted but not acted on (echoed only): ``noise_reduction`` (the engine has none),
``temperature`` (beta; the rule-based responder is deterministic), ``idle_timeout_ms``,
``tracing``, ``truncation``, ``include``, ``prompt``, ``reasoning``. ``semantic_vad`` is served
by the same WebRTC detector as ``server_vad``, its ``eagerness`` mapped to a silence duration
(see ``realtime.local.session``). Audio formats other than 24 kHz PCM16 are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime.config import ApiVersion
from realtime.local.wire import (
    FieldTable,
    InvalidRequest,
    check_keys,
    expect_bool,
    expect_choice,
    expect_int,
    expect_number,
    expect_object,
    expect_string,
    walk,
)

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "HOSTED_VOICES",
    "EffectiveSession",
    "apply_update",
    "check_max_tokens",
    "check_tool_choice",
    "check_tools",
    "render",
]

DEFAULT_INSTRUCTIONS = (
    "You are a helpful offline voice assistant. You can look up the local time somewhere, "
    "estimate a flight between two places and find airports, using the session's tools."
)
HOSTED_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse")
GA_ONLY_VOICES = ("marin", "cedar")
PCM_GA = {"type": "audio/pcm", "rate": 24000}
TOOL_MODES = ("auto", "none", "required")
EAGERNESS = ("low", "medium", "high", "auto")


def _server_vad(**changes: Any) -> dict[str, Any]:
    return {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "create_response": True,
        "interrupt_response": True,
        **changes,
    }


@dataclass(frozen=True)
class EffectiveSession:
    """Every session setting, in one vocabulary for both API versions."""

    model: str
    instructions: str = DEFAULT_INSTRUCTIONS
    output_modalities: tuple[str, ...] = ("audio",)
    voice: str = "alloy"
    speed: float = 1.0
    turn_detection: Mapping[str, Any] | None = field(default_factory=_server_vad)
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


# ---- field checks ---------------------------------------------------------------------------
def _ga_format(value: Any, param: str) -> None:
    fmt = expect_object(value, param)
    check_keys(fmt, ("type", "rate"), param)
    kind = fmt.get("type", "audio/pcm")
    if kind != "audio/pcm" or fmt.get("rate", 24000) != 24000:
        raise InvalidRequest.value(
            param, f"The local engine supports only audio/pcm at 24000 Hz, not {kind!r}."
        )


def _beta_format(value: Any, param: str) -> None:
    if expect_choice(value, param, ("pcm16", "g711_ulaw", "g711_alaw")) != "pcm16":
        raise InvalidRequest.value(param, f"The local engine supports only pcm16, not {value!r}.")


def _modalities(value: Any, param: str, version: ApiVersion) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest("invalid_type", f"'{param}' must be a non-empty array.", param)
    wanted = {expect_choice(v, f"{param}[{i}]", ("text", "audio")) for i, v in enumerate(value)}
    if version is ApiVersion.BETA and "audio" in wanted and "text" not in wanted:
        raise InvalidRequest.value(
            param, "Invalid modalities: ['audio']. Supported combinations are: ['text'] and "
            "['audio', 'text']."
        )  # fmt: skip
    return ("audio",) if "audio" in wanted else ("text",)


def _ga_modalities(value: Any, param: str) -> tuple[str, ...]:
    return _modalities(value, param, ApiVersion.GA)


def _beta_modalities(value: Any, param: str) -> tuple[str, ...]:
    return _modalities(value, param, ApiVersion.BETA)


def _vad_field_checks(version: ApiVersion) -> dict[str, Any]:
    checks: dict[str, Any] = {
        "threshold": lambda v, p: expect_number(v, p, 0.0, 1.0),
        "prefix_padding_ms": lambda v, p: expect_int(v, p, 0, 10_000),
        "silence_duration_ms": lambda v, p: expect_int(v, p, 0, 10_000),
        "create_response": expect_bool,
        "interrupt_response": expect_bool,
        "eagerness": lambda v, p: expect_choice(v, p, EAGERNESS),
    }
    if version is ApiVersion.GA:
        checks["idle_timeout_ms"] = lambda v, p: None if v is None else expect_int(v, p, 5000)
    return checks


_VAD_KEYS = {
    "server_vad": (
        "threshold", "prefix_padding_ms", "silence_duration_ms", "create_response",
        "interrupt_response", "idle_timeout_ms",
    ),
    "semantic_vad": ("eagerness", "create_response", "interrupt_response"),
}  # fmt: skip


def _turn_detection(value: Any, param: str, version: ApiVersion) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = expect_object(value, param)
    kind = expect_choice(obj.get("type", "server_vad"), f"{param}.type", tuple(_VAD_KEYS))
    checks = _vad_field_checks(version)
    allowed = [k for k in _VAD_KEYS[kind] if k in checks]
    check_keys(obj, ("type", *allowed), param)
    base = _server_vad() if kind == "server_vad" else {
        "type": "semantic_vad", "eagerness": "auto", "create_response": True,
        "interrupt_response": True,
    }  # fmt: skip
    base.update({k: checks[k](v, f"{param}.{k}") for k, v in obj.items() if k != "type"})
    return base


def _ga_turn_detection(value: Any, param: str) -> dict[str, Any] | None:
    return _turn_detection(value, param, ApiVersion.GA)


def _beta_turn_detection(value: Any, param: str) -> dict[str, Any] | None:
    return _turn_detection(value, param, ApiVersion.BETA)


def _transcription(value: Any, param: str) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = expect_object(value, param)
    check_keys(obj, ("model", "language", "prompt"), param)
    out = {k: expect_string(v, f"{param}.{k}") for k, v in obj.items() if v is not None}
    out.setdefault("model", "whisper-1")
    return out


def _noise_reduction(value: Any, param: str) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = expect_object(value, param)
    check_keys(obj, ("type", "strength"), param)
    return {"type": expect_choice(obj.get("type"), f"{param}.type", ("near_field", "far_field"))}


def check_max_tokens(value: Any, param: str) -> int | str:
    if value == "inf":
        return "inf"
    return expect_int(value, param, 1, 4096)


def check_tools(value: Any, param: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list):
        raise InvalidRequest("invalid_type", f"'{param}' must be an array.", param)
    tools = []
    for i, raw in enumerate(value):
        where = f"{param}[{i}]"
        tool = expect_object(raw, where)
        check_keys(tool, ("type", "name", "description", "parameters"), where)
        expect_choice(tool.get("type", "function"), f"{where}.type", ("function",))
        if "name" not in tool:
            raise InvalidRequest.missing(f"{where}.name")
        expect_string(tool["name"], f"{where}.name")
        expect_string(tool.get("description", ""), f"{where}.description")
        expect_object(tool.get("parameters", {}), f"{where}.parameters")
        tools.append({"type": "function", **tool})
    return tuple(tools)


def check_tool_choice(value: Any, param: str) -> tuple[str, str | None]:
    """``(mode, forced tool)`` from GA's string or ``{"type": "function", "name"}`` (or beta's
    string, where a tool's name forces that tool)."""
    if isinstance(value, dict):
        check_keys(value, ("type", "name"), param)
        expect_choice(value.get("type"), f"{param}.type", ("function",))
        return "required", expect_string(value.get("name"), f"{param}.name")
    choice = expect_string(value, param)
    return (choice, None) if choice in TOOL_MODES else ("required", choice)


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
    "output_modalities": ("output_modalities", _ga_modalities),
    "audio": {
        "input": {
            "format": (None, _ga_format),
            "turn_detection": ("turn_detection", _ga_turn_detection),
            "transcription": ("transcription", _transcription),
            "noise_reduction": ("noise_reduction", _noise_reduction),
        },
        "output": {
            "format": (None, _ga_format),
            "voice": ("voice", expect_string),
            "speed": ("speed", lambda v, p: expect_number(v, p, 0.25, 1.5)),
        },
    },
    "parallel_tool_calls": ("parallel_tool_calls", expect_bool),
    **{name: _extra(name) for name in ("include", "truncation", "prompt", "reasoning")},
}
_BETA: FieldTable = {
    **_COMMON,
    "id": (None, _dropped),
    "object": (None, _dropped),
    "modalities": ("output_modalities", _beta_modalities),
    "voice": ("voice", expect_string),
    "speed": ("speed", lambda v, p: expect_number(v, p, 0.25, 1.5)),
    "input_audio_format": (None, _beta_format),
    "output_audio_format": (None, _beta_format),
    "turn_detection": ("turn_detection", _beta_turn_detection),
    "input_audio_transcription": ("transcription", _transcription),
    "input_audio_noise_reduction": ("noise_reduction", _noise_reduction),
    "max_response_output_tokens": ("max_output_tokens", check_max_tokens),
    "temperature": ("temperature", lambda v, p: expect_number(v, p, 0.6, 1.2)),
}
_TABLES = {ApiVersion.GA: _GA, ApiVersion.BETA: _BETA}


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
        hosted = HOSTED_VOICES + GA_ONLY_VOICES if version is ApiVersion.GA else HOSTED_VOICES
        param = "session.audio.output.voice" if version is ApiVersion.GA else "session.voice"
        expect_choice(changes["voice"], param, (*hosted, *voices))
    updated = dataclasses.replace(current, **changes)
    if extras:
        updated = dataclasses.replace(updated, extras={**current.extras, **extras})
    return updated


def render(session: EffectiveSession, version: ApiVersion, session_id: str) -> dict[str, Any]:
    """The session object of ``session.created`` / ``session.updated`` for ``version``."""
    if version is ApiVersion.GA:
        return _render_ga(session, session_id)
    return _render_beta(session, session_id)


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
                "format": dict(PCM_GA),
                "transcription": None if s.transcription is None else dict(s.transcription),
                "noise_reduction": None if s.noise_reduction is None else dict(s.noise_reduction),
                "turn_detection": _turn_detection_out(s, ApiVersion.GA),
            },
            "output": {"format": dict(PCM_GA), "voice": s.voice, "speed": s.speed},
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
        "temperature": s.temperature,
        "max_response_output_tokens": s.max_output_tokens,
        "tracing": s.extras.get("tracing"),
    }
