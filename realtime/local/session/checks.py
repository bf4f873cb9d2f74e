"""Field checks for ``session.update`` and ``response.create`` payloads, GA and beta.

Pure; run by the session state machine on the server's event loop. Each check takes the wire
value and its parameter path, returns the value normalised (defaults filled in, beta spellings
read into one vocabulary) or raises ``InvalidRequest`` in the hosted API's words. The tables
that apply them live in ``realtime.local.session.effective`` and ``realtime.local.session.options``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from realtime.local.session.wire import (
    InvalidRequest,
    check_keys,
    expect_bool,
    expect_choice,
    expect_int,
    expect_number,
    expect_object,
    expect_string,
)
from realtime.protocol import facts
from realtime.protocol.facts import ApiVersion

__all__ = [
    "check_beta_format",
    "check_beta_modalities",
    "check_beta_turn_detection",
    "check_ga_format",
    "check_ga_modalities",
    "check_ga_turn_detection",
    "check_max_tokens",
    "check_noise_reduction",
    "check_speed",
    "check_temperature",
    "check_tool_choice",
    "check_tools",
    "check_transcription",
    "check_voice",
    "server_vad",
]


def server_vad(**changes: Any) -> dict[str, Any]:
    return {"type": "server_vad", **facts.SERVER_VAD_DEFAULTS, **changes}


def check_speed(value: Any, param: str) -> float:
    return expect_number(value, param, *facts.SPEED_RANGE)


def check_temperature(value: Any, param: str) -> float:
    return expect_number(value, param, *facts.TEMPERATURE_RANGE)


def check_ga_format(value: Any, param: str) -> None:
    fmt = expect_object(value, param)
    check_keys(fmt, ("type", "rate"), param)
    supported = facts.pcm_format()  # the one format inside, fields left out take its values
    if {**supported, **fmt} != supported:
        kind = fmt.get("type", supported["type"])
        raise InvalidRequest.value(
            param,
            f"The local engine supports only audio/pcm at {facts.SAMPLE_RATE} Hz, not {kind!r}.",
        )


def check_beta_format(value: Any, param: str) -> None:
    if expect_choice(value, param, ("pcm16", "g711_ulaw", "g711_alaw")) != "pcm16":
        raise InvalidRequest.value(param, f"The local engine supports only pcm16, not {value!r}.")


def _modalities(value: Any, param: str, version: ApiVersion) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest("invalid_type", f"'{param}' must be a non-empty array.", param)
    wanted = {expect_choice(v, f"{param}[{i}]", ("text", "audio")) for i, v in enumerate(value)}
    if version is ApiVersion.BETA and "audio" in wanted and "text" not in wanted:
        raise InvalidRequest.value(
            param,
            "Invalid modalities: ['audio']. Supported combinations are: ['text'] and "
            "['audio', 'text'].",
        )
    return ("audio",) if "audio" in wanted else ("text",)


def check_ga_modalities(value: Any, param: str) -> tuple[str, ...]:
    return _modalities(value, param, ApiVersion.GA)


def check_beta_modalities(value: Any, param: str) -> tuple[str, ...]:
    return _modalities(value, param, ApiVersion.BETA)


def _vad_field_checks(version: ApiVersion) -> dict[str, Any]:
    checks: dict[str, Any] = {
        "threshold": lambda v, p: expect_number(v, p, 0.0, 1.0),
        "prefix_padding_ms": lambda v, p: expect_int(v, p, 0, 10_000),
        "silence_duration_ms": lambda v, p: expect_int(v, p, 0, 10_000),
        "create_response": expect_bool,
        "interrupt_response": expect_bool,
        "eagerness": lambda v, p: expect_choice(v, p, facts.EAGERNESS),
    }
    if version is ApiVersion.GA:
        checks["idle_timeout_ms"] = lambda v, p: None if v is None else expect_int(v, p, 5000)
    return checks


_VAD_KEYS = {
    "server_vad": (
        "threshold",
        "prefix_padding_ms",
        "silence_duration_ms",
        "create_response",
        "interrupt_response",
        "idle_timeout_ms",
    ),
    "semantic_vad": ("eagerness", "create_response", "interrupt_response"),
}


def _turn_detection(value: Any, param: str, version: ApiVersion) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = expect_object(value, param)
    kind = expect_choice(obj.get("type", "server_vad"), f"{param}.type", tuple(_VAD_KEYS))
    checks = _vad_field_checks(version)
    allowed = [k for k in _VAD_KEYS[kind] if k in checks]
    check_keys(obj, ("type", *allowed), param)
    base = (
        server_vad()
        if kind == "server_vad"
        else {
            "type": "semantic_vad",
            "eagerness": "auto",
            "create_response": True,
            "interrupt_response": True,
        }
    )
    base.update({k: checks[k](v, f"{param}.{k}") for k, v in obj.items() if k != "type"})
    return base


def check_ga_turn_detection(value: Any, param: str) -> dict[str, Any] | None:
    return _turn_detection(value, param, ApiVersion.GA)


def check_beta_turn_detection(value: Any, param: str) -> dict[str, Any] | None:
    return _turn_detection(value, param, ApiVersion.BETA)


def check_transcription(value: Any, param: str) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = expect_object(value, param)
    check_keys(obj, ("model", "language", "prompt"), param)
    out = {k: expect_string(v, f"{param}.{k}") for k, v in obj.items() if v is not None}
    out.setdefault("model", "whisper-1")
    return out


def check_noise_reduction(value: Any, param: str) -> dict[str, Any] | None:
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
    return (choice, None) if choice in facts.TOOL_CHOICES else ("required", choice)


def check_voice(voice: str, version: ApiVersion, voices: Collection[str], prefix: str) -> None:
    """A hosted API voice name (spoken by the engine's default voice) or one of ``voices``."""
    hosted = facts.voices_for(version)
    param = f"{prefix}.audio.output.voice" if version is ApiVersion.GA else f"{prefix}.voice"
    expect_choice(voice, param, (*hosted, *voices))
