"""The effective session of one local-engine session: what ``session.update`` sets, and its echo.

Pure; owned by the session state machine (on the server's event loop). One frozen
:class:`EffectiveSession` holds every setting in one vocabulary; :func:`apply_update` checks a
``session.update`` payload in the client's API version against a table built from the session
schema (``realtime.protocol.session_schema``: each field's path per version, its range and
choices), and :func:`render` draws the session object of ``session.created`` /
``session.updated`` through the same schema, in that version's shape. A field of the other
version is refused with ``unknown_parameter``, as the hosted API does.

Accepted but not acted on (echoed only): ``noise_reduction`` (the engine has none),
``temperature`` (the rule-based responder is deterministic), ``tracing``, ``prompt``,
``reasoning``, ``parallel_tool_calls``, a custom voice (the engine's default voice speaks, said
in a log line). ``include`` asks the listener for Whisper's token logprobs;
``idle_timeout_ms`` is the session's (``realtime.local.session.idle``); ``truncation`` cuts
what a response reads (``realtime.local.session.truncation``). ``semantic_vad`` is served by
the WebRTC detector too, its silence window set by the words heard so far and scaled by
``eagerness`` (``realtime.local.stages.vad.semantic``). Audio formats other than 24 kHz
PCM16 are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime.local.session.checks import (
    check_format,
    check_include,
    check_max_tokens,
    check_modalities,
    check_noise_reduction,
    check_object,
    check_speed,
    check_temperature,
    check_tool_choice,
    check_tools,
    check_tracing,
    check_transcription,
    check_truncation,
    check_turn_detection,
    check_voice,
    check_voice_value,
    server_vad,
)
from realtime.local.session.mcp_servers import McpServer
from realtime.local.session.wire import (
    Check,
    FieldTable,
    InvalidRequest,
    expect_bool,
    expect_choice,
    expect_object,
    expect_string,
    walk,
)
from realtime.protocol.facts import ApiVersion, pcm_format
from realtime.protocol.session_schema import custom_voice, settings
from realtime.protocol.session_schema import render as render_fields

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
    tools: tuple[Mapping[str, Any], ...] = ()  # function tools
    mcp: tuple[McpServer, ...] = ()  # MCP tools (``session.mcp_servers``), echoed after them
    mcp_tools: tuple[Mapping[str, Any], ...] = ()  # what they listed and allow (not echoed)
    tool_choice: str = "auto"  # auto | none | required
    forced_tool: str | None = None  # tool_choice {"type": "function", "name": ...}
    parallel_tool_calls: bool = True
    temperature: float = 0.8
    extras: Mapping[str, Any] = field(default_factory=dict)  # echoed; a few read where used

    @property
    def audio_output(self) -> bool:
        return "audio" in self.output_modalities


def _dropped(value: Any, param: str) -> None:
    return None


def _checks(version: ApiVersion) -> dict[str, tuple[str | None, Check]]:
    """Schema field -> (where the value goes, its check); ``extras.*`` are echoed (include and
    truncation are also read where they act)."""
    v = version
    return {
        "type": (None, lambda x, p: expect_choice(x, p, ("realtime",))),
        "model": ("model", expect_string),
        "instructions": ("instructions", expect_string),
        "output_modalities": ("output_modalities", lambda x, p: check_modalities(x, p, v)),
        "input_format": (None, lambda x, p: check_format(x, p, v)),
        "output_format": (None, lambda x, p: check_format(x, p, v)),
        "voice": ("voice", lambda x, p: check_voice_value(x, p, v)),
        "speed": ("speed", check_speed),
        "turn_detection": ("turn_detection", lambda x, p: check_turn_detection(x, p, v)),
        "transcription": ("transcription", lambda x, p: check_transcription(x, p, v)),
        "noise_reduction": ("noise_reduction", lambda x, p: check_noise_reduction(x, p, v)),
        "max_output_tokens": ("max_output_tokens", check_max_tokens),
        "temperature": ("temperature", check_temperature),
        "tools": ("tools", check_tools),
        "tool_choice": ("tool_choice", check_tool_choice),
        "parallel_tool_calls": ("parallel_tool_calls", expect_bool),
        "reasoning": ("extras.reasoning", lambda x, p: check_object("reasoning", x, p, v)),
        "truncation": ("extras.truncation", check_truncation),
        "prompt": ("extras.prompt", lambda x, p: _prompt(x, p, v)),
        "include": ("extras.include", check_include),
        "tracing": ("extras.tracing", lambda x, p: check_tracing(x, p, v)),
    }


def _prompt(value: Any, param: str, version: ApiVersion) -> dict[str, Any] | None:
    if value is None:
        return None
    prompt = check_object("prompt", value, param, version)
    if "id" not in prompt:
        raise InvalidRequest.missing(f"{param}.id")
    return prompt


def _table(version: ApiVersion) -> FieldTable:
    """The schema's fields for ``version``, nested at their paths, each with its check."""
    checks = _checks(version)
    table: dict[str, Any] = {}
    for row in settings(version):
        *parents, last = str(row.path(version)).split(".")
        node = table
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = checks[row.name]
    if version is ApiVersion.BETA:  # a beta client may send back the session it was given
        table.update({"id": (None, _dropped), "object": (None, _dropped)})
    return table


_TABLES: dict[ApiVersion, FieldTable] = {version: _table(version) for version in ApiVersion}


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
    if "tools" in changes:
        tools = changes["tools"]
        changes["tools"] = tuple(t for t in tools if not isinstance(t, McpServer))
        changes["mcp"] = tuple(t for t in tools if isinstance(t, McpServer))
    if "voice" in changes:
        check_voice(changes["voice"], version, voices, "session")
    updated = dataclasses.replace(current, **changes)
    if extras:
        updated = dataclasses.replace(updated, extras={**current.extras, **extras})
    return updated


def render(session: EffectiveSession, version: ApiVersion, session_id: str) -> dict[str, Any]:
    """The session object of ``session.created`` / ``session.updated`` for ``version``."""
    s = session
    values: dict[str, Any] = {
        "type": "realtime",
        "model": s.model,
        "instructions": s.instructions,
        "output_modalities": list(s.output_modalities),
        "input_format": pcm_format(),
        "output_format": pcm_format(),
        "voice": custom_voice(s.voice),
        "speed": s.speed,
        "turn_detection": None if s.turn_detection is None else dict(s.turn_detection),
        "transcription": None if s.transcription is None else dict(s.transcription),
        "noise_reduction": None if s.noise_reduction is None else dict(s.noise_reduction),
        "max_output_tokens": s.max_output_tokens,
        "temperature": s.temperature,
        "tools": [dict(t) for t in s.tools] + [server.wire() for server in s.mcp],
        "tool_choice": _tool_choice_out(s, version),
        "parallel_tool_calls": s.parallel_tool_calls,
        "truncation": "auto",
        "prompt": None,
        "include": None,
        "tracing": None,
        **s.extras,
    }
    return {"object": "realtime.session", "id": session_id, **render_fields(values, version)}


def _tool_choice_out(s: EffectiveSession, version: ApiVersion) -> str | dict[str, str]:
    if s.forced_tool is None:
        return s.tool_choice
    if version is ApiVersion.GA:
        return {"type": "function", "name": s.forced_tool}
    return s.forced_tool
