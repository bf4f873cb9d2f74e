"""Field checks for ``session.update`` and ``response.create`` payloads, GA and beta.

Pure; run by the session state machine on the server's event loop. Each check takes the wire
value and its parameter path, returns the value normalised (defaults filled in, beta spellings
read into one vocabulary) or raises ``InvalidRequest`` in the hosted API's words. The tables
that apply them live in ``realtime.local.session.effective`` and ``realtime.local.session.options``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from realtime.local.session.mcp_servers import McpServer, check_mcp_tool, check_unique_labels
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
from realtime.protocol.session_schema import (
    FIELD,
    SERVER_VAD_DEFAULTS,
    TOOL_CHOICES,
    SessionField,
    children,
    is_custom_voice,
)

__all__ = [
    "check_format",
    "check_include",
    "check_max_tokens",
    "check_modalities",
    "check_noise_reduction",
    "check_object",
    "check_row",
    "check_speed",
    "check_temperature",
    "check_tool_choice",
    "check_tools",
    "check_tracing",
    "check_transcription",
    "check_truncation",
    "check_turn_detection",
    "check_voice",
    "check_voice_value",
    "server_vad",
]


def server_vad(**changes: Any) -> dict[str, Any]:
    return {"type": "server_vad", **SERVER_VAD_DEFAULTS, **changes}


def check_row(row: SessionField, value: Any, param: str, version: ApiVersion) -> Any:
    """``value`` against one schema row: its type, range or choices; null where its default
    is null. Objects are checked field by field (:func:`check_object`)."""
    if value is None and row.default is None:
        return None
    if row.kind == "integer":
        return expect_int(value, param, _int(row.low), _int(row.high))
    if row.kind == "number":
        return expect_number(value, param, row.low, row.high)
    if row.kind == "boolean":
        return expect_bool(value, param)
    if row.kind == "choice":
        return expect_choice(value, param, row.choices)
    if row.kind == "variables":
        return {k: v for k, v in expect_object(value, param).items()}
    if row.kind == "object":
        return check_object(row.name, value, param, version)
    return expect_string(value, param)


def _int(bound: float | None) -> int | None:
    return None if bound is None else int(bound)


def check_object(
    name: str, value: Any, param: str, version: ApiVersion, variant: str | None = None
) -> dict[str, Any]:
    """An object field: only the keys the schema lists for ``version``, each checked."""
    obj = expect_object(value, param)
    rows = {row.key: row for row in children(name, version, variant)}
    if not rows:  # free-form (tracing metadata)
        return dict(obj)
    check_keys(obj, tuple(rows), param)
    return {k: check_row(rows[k], v, f"{param}.{k}", version) for k, v in obj.items()}


def check_speed(value: Any, param: str) -> float:
    return check_row(FIELD["speed"], value, param, ApiVersion.GA)  # type: ignore[no-any-return]


def check_temperature(value: Any, param: str) -> float:
    row = FIELD["temperature"]
    return check_row(row, value, param, ApiVersion.BETA)  # type: ignore[no-any-return]


def check_format(value: Any, param: str, version: ApiVersion) -> None:
    if version is ApiVersion.BETA:
        if expect_choice(value, param, ("pcm16", "g711_ulaw", "g711_alaw")) != "pcm16":
            raise InvalidRequest.value(
                param, f"The local engine supports only pcm16, not {value!r}."
            )
        return
    fmt = expect_object(value, param)
    check_keys(fmt, ("type", "rate"), param)
    supported = facts.pcm_format()  # the one format inside, fields left out take its values
    if {**supported, **fmt} != supported:
        kind = fmt.get("type", supported["type"])
        raise InvalidRequest.value(
            param,
            f"The local engine supports only audio/pcm at {facts.SAMPLE_RATE} Hz, not {kind!r}.",
        )


def check_modalities(value: Any, param: str, version: ApiVersion) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest("invalid_type", f"'{param}' must be a non-empty array.", param)
    choices = FIELD["output_modalities"].choices
    wanted = {expect_choice(v, f"{param}[{i}]", choices) for i, v in enumerate(value)}
    if version is ApiVersion.BETA and "audio" in wanted and "text" not in wanted:
        raise InvalidRequest.value(
            param,
            "Invalid modalities: ['audio']. Supported combinations are: ['text'] and "
            "['audio', 'text'].",
        )
    return ("audio",) if "audio" in wanted else ("text",)


def check_turn_detection(value: Any, param: str, version: ApiVersion) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = expect_object(value, param)
    kinds = FIELD["turn_detection.type"].choices
    kind = expect_choice(obj.get("type", "server_vad"), f"{param}.type", kinds)
    rows = children("turn_detection", version, kind)
    base = {row.key: row.default for row in rows if row.default is not None}
    base.update(check_object("turn_detection", {**obj, "type": kind}, param, version, kind))
    return base


def check_voice_value(value: Any, param: str, version: ApiVersion) -> str:
    """A voice name, or (GA) a custom voice ``{"id": "voice_..."}``, as one string."""
    if version is ApiVersion.BETA or not isinstance(value, dict):
        return expect_string(value, param)
    check_keys(value, ("id",), param)
    if "id" not in value:
        raise InvalidRequest.missing(f"{param}.id")
    voice = expect_string(value["id"], f"{param}.id")
    if not is_custom_voice(voice):
        raise InvalidRequest.value(f"{param}.id", f"Invalid voice id: '{voice}'.")
    return voice


def check_truncation(value: Any, param: str) -> str | dict[str, Any]:
    if isinstance(value, str):
        return expect_choice(value, param, FIELD["truncation"].choices)
    out = check_object("truncation", value, param, ApiVersion.GA)
    for key in ("type", "retention_ratio"):
        if key not in out:
            raise InvalidRequest.missing(f"{param}.{key}")
    return out


def check_tracing(value: Any, param: str, version: ApiVersion) -> str | dict[str, Any] | None:
    if value is None or isinstance(value, str):
        return None if value is None else expect_choice(value, param, ("auto",))
    return check_object("tracing", value, param, version)


def check_include(value: Any, param: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidRequest("invalid_type", f"'{param}' must be an array.", param)
    choices = FIELD["include"].choices
    return [expect_choice(v, f"{param}[{i}]", choices) for i, v in enumerate(value)]


def check_transcription(value: Any, param: str, version: ApiVersion) -> dict[str, Any] | None:
    if value is None:
        return None
    checked = check_object("transcription", value, param, version)
    out = {k: v for k, v in checked.items() if v is not None}
    out.setdefault("model", FIELD["transcription.model"].default)
    return out


def check_noise_reduction(value: Any, param: str, version: ApiVersion) -> dict[str, Any] | None:
    if value is None:
        return None
    obj = check_object("noise_reduction", value, param, version)
    choices = FIELD["noise_reduction.type"].choices
    return {**obj, "type": expect_choice(obj.get("type"), f"{param}.type", choices)}


def check_max_tokens(value: Any, param: str) -> int | str:
    if value == "inf":
        return "inf"
    row = FIELD["max_output_tokens"]
    return expect_int(value, param, _int(row.low), _int(row.high))


def check_tools(value: Any, param: str) -> tuple[dict[str, Any] | McpServer, ...]:
    """Function tools as dicts; MCP tools (``realtime.local.session.mcp_servers``) as
    ``McpServer``."""
    if not isinstance(value, list):
        raise InvalidRequest("invalid_type", f"'{param}' must be an array.", param)
    tools: list[dict[str, Any] | McpServer] = []
    for i, raw in enumerate(value):
        where = f"{param}[{i}]"
        tool = expect_object(raw, where)
        kind = expect_choice(tool.get("type", "function"), f"{where}.type", ("function", "mcp"))
        if kind == "mcp":
            tools.append(check_mcp_tool(tool, where))
            continue
        check_keys(tool, ("type", "name", "description", "parameters"), where)
        if "name" not in tool:
            raise InvalidRequest.missing(f"{where}.name")
        expect_string(tool["name"], f"{where}.name")
        expect_string(tool.get("description", ""), f"{where}.description")
        expect_object(tool.get("parameters", {}), f"{where}.parameters")
        tools.append({"type": "function", **tool})
    check_unique_labels([t for t in tools if isinstance(t, McpServer)], param)
    return tuple(tools)


def check_tool_choice(value: Any, param: str) -> tuple[str, str | None]:
    """``(mode, forced tool)`` from GA's string or ``{"type": "function", "name"}`` (or beta's
    string, where a tool's name forces that tool)."""
    if isinstance(value, dict):
        check_keys(value, ("type", "name"), param)
        expect_choice(value.get("type"), f"{param}.type", ("function",))
        return "required", expect_string(value.get("name"), f"{param}.name")
    choice = expect_string(value, param)
    return (choice, None) if choice in TOOL_CHOICES else ("required", choice)


def check_voice(voice: str, version: ApiVersion, voices: Collection[str], prefix: str) -> None:
    """A hosted API voice name or custom voice id (spoken by the engine's default voice) or
    one of ``voices``."""
    if is_custom_voice(voice):
        return
    hosted = facts.voices_for(version)
    param = f"{prefix}.audio.output.voice" if version is ApiVersion.GA else f"{prefix}.voice"
    expect_choice(voice, param, (*hosted, *voices))
