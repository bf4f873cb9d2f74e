"""What one response will be: the session's settings with a ``response.create``'s overrides.

Pure; runs on the server's event loop inside the session state machine. The ``response``
object of ``response.create`` is checked from one table per API version (GA ``audio.output``,
``output_modalities``, ``max_output_tokens``; beta ``voice``, ``modalities``,
``max_response_output_tokens``, ``temperature``). ``conversation: "none"`` makes an
out-of-band response whose items stay out of the conversation; ``input`` (items, or
``{"type": "item_reference", "id": ...}``) gives it a context of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from realtime.local.session.checks import (
    check_format,
    check_max_tokens,
    check_modalities,
    check_temperature,
    check_tool_choice,
    check_tools,
    check_voice,
    check_voice_value,
)
from realtime.local.session.effective import EffectiveSession
from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, parse_item
from realtime.local.session.wire import (
    FieldTable,
    InvalidRequest,
    expect_choice,
    expect_object,
    expect_string,
    walk,
)
from realtime.local.stages.responders.responder import callable_tools
from realtime.protocol.facts import ApiVersion
from realtime.protocol.session_schema import takes

__all__ = ["ResponseOptions", "parse_options"]


@dataclass(frozen=True)
class ResponseOptions:
    """The session's settings with a ``response.create``'s overrides applied."""

    output_modalities: tuple[str, ...]
    instructions: str
    voice: str
    speed: float
    tools: tuple[Mapping[str, Any], ...]
    tool_choice: str
    forced_tool: str | None
    max_output_tokens: int | str
    in_conversation: bool = True
    metadata: Mapping[str, Any] | None = None
    input_items: tuple[ItemRecord, ...] | None = None  # a new context instead of the history
    temperature: float | None = None  # for a language model; the rules ignore it
    mcp_tools: tuple[Mapping[str, Any], ...] = ()  # listed by the session's MCP servers
    truncation: str | Mapping[str, Any] = "auto"  # what of the conversation it reads

    @property
    def audio_output(self) -> bool:
        return "audio" in self.output_modalities

    @property
    def token_limit(self) -> int | None:
        return self.max_output_tokens if isinstance(self.max_output_tokens, int) else None

    @property
    def callable_tools(self) -> frozenset[str]:
        return callable_tools(self.tools, self.tool_choice, self.forced_tool)

    @classmethod
    def from_session(cls, session: EffectiveSession) -> ResponseOptions:
        """A response with the session's settings (what turn detection creates)."""
        return cls(
            output_modalities=session.output_modalities,
            instructions=session.instructions,
            voice=session.voice,
            speed=session.speed,
            tools=session.tools,
            tool_choice=session.tool_choice,
            forced_tool=session.forced_tool,
            max_output_tokens=session.max_output_tokens,
            temperature=session.temperature,
            mcp_tools=session.mcp_tools,
            truncation=session.extras.get("truncation", "auto"),
        )


def _conversation(value: Any, param: str) -> bool:
    return expect_choice(value, param, ("auto", "none")) == "auto"


def _metadata(value: Any, param: str) -> dict[str, Any] | None:
    return None if value is None else expect_object(value, param)


def _function_tools(value: Any, param: str) -> tuple[dict[str, Any], ...]:
    """A response's own tools: function tools; MCP servers are the session's (they are listed
    when the session is updated, before any response reads them)."""
    tools = check_tools(value, param)
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise InvalidRequest.value(
                f"{param}[{i}].type",
                "The local engine takes MCP tools in session.tools (session.update) only.",
            )
    return tuple(t for t in tools if isinstance(t, dict))


def _ignored(value: Any, param: str) -> None:
    return None


_GA, _BETA = ApiVersion.GA, ApiVersion.BETA
_COMMON: dict[str, Any] = {
    "conversation": ("in_conversation", _conversation),
    "instructions": ("instructions", expect_string),
    "tools": ("tools", _function_tools),
    "tool_choice": ("tool_choice", check_tool_choice),
    "metadata": ("metadata", _metadata),
}
_BY_VERSION: dict[ApiVersion, FieldTable] = {
    ApiVersion.GA: {
        **_COMMON,
        "output_modalities": ("output_modalities", lambda v, p: check_modalities(v, p, _GA)),
        "max_output_tokens": ("max_output_tokens", check_max_tokens),
        "audio": {
            "output": {
                "format": (None, lambda v, p: check_format(v, p, _GA)),
                "voice": ("voice", lambda v, p: check_voice_value(v, p, _GA)),
            }
        },
        "prompt": (None, _ignored),
    },
    ApiVersion.BETA: {
        **_COMMON,
        "modalities": ("output_modalities", lambda v, p: check_modalities(v, p, _BETA)),
        "max_response_output_tokens": ("max_output_tokens", check_max_tokens),
        "voice": ("voice", expect_string),
        "output_audio_format": (None, lambda v, p: check_format(v, p, _BETA)),
    },
}
# temperature only where the version takes it; a language model samples with it
_TABLES: dict[ApiVersion, FieldTable] = {
    version: {**table, "temperature": ("temperature", check_temperature)}
    if takes("temperature", version)
    else table
    for version, table in _BY_VERSION.items()
}


def parse_options(
    raw: Any,
    session: EffectiveSession,
    version: ApiVersion,
    history: History,
    *,
    voices: Collection[str] = (),
) -> ResponseOptions:
    """The options of a ``response.create`` (``raw`` is its ``response``, or None)."""
    options = ResponseOptions.from_session(session)
    if raw is None:
        return options
    fields = dict(expect_object(raw, "response"))
    raw_input = fields.pop("input", None)
    changes = walk(fields, _TABLES[version], "response")
    if "tool_choice" in changes:
        changes["tool_choice"], changes["forced_tool"] = changes["tool_choice"]
    if "voice" in changes:
        check_voice(changes["voice"], version, voices, "response")
    if raw_input is not None:
        changes["input_items"] = _input_items(raw_input, version, history)
    return dataclasses.replace(options, **changes)


def _input_items(raw: Any, version: ApiVersion, history: History) -> tuple[ItemRecord, ...]:
    if not isinstance(raw, list):
        raise InvalidRequest("invalid_type", "'response.input' must be an array.", "response.input")
    items = []
    for i, entry in enumerate(raw):
        param = f"response.input[{i}]"
        if isinstance(entry, dict) and entry.get("type") == "item_reference":
            items.append(history.get(expect_string(entry.get("id"), f"{param}.id"), param))
        else:
            items.append(parse_item(entry, version, param))
    return tuple(items)
