"""A session's MCP tools (``{"type": "mcp", ...}`` in ``session.tools``): checked, kept, echoed.

Pure; runs on the server's event loop inside the session state machine. :func:`check_mcp_tool`
reads one tool of a ``session.update`` strictly, in the hosted API's error shapes (the SDK's
``RealtimeToolsConfigUnion`` ``Mcp`` model); an :class:`McpServer` holds it, with what its
``allowed_tools`` and ``require_approval`` decide per tool. Its ``wire`` form is what
``session.updated`` echoes: ``authorization`` left out and ``headers`` as null, so a key sent
to the engine never comes back (nor goes into any log). The I/O (listing, calling) is
``realtime.local.mcp``'s; the address policy applies there, to ``server_url``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime.local.limits import MAX_MCP_SERVERS
from realtime.local.session.wire import (
    InvalidRequest,
    check_keys,
    expect_bool,
    expect_choice,
    expect_object,
    expect_string,
)

__all__ = ["McpServer", "McpTool", "check_mcp_tool", "check_unique_labels"]

_KEYS = (
    "type",
    "server_label",
    "server_url",
    "connector_id",
    "tunnel_id",
    "allowed_tools",
    "require_approval",
    "headers",
    "authorization",
    "server_description",
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_MAX_HEADERS = 32
_MAX_HEADER_VALUE = 8192


@dataclass(frozen=True)
class ToolFilter:
    """``{"tool_names": [...], "read_only": bool}``: a tool matches by name or by its
    ``readOnlyHint`` annotation; None fields match nothing."""

    names: frozenset[str] | None = None
    read_only: bool | None = None

    def matches(self, tool: McpTool) -> bool:
        by_name = self.names is not None and tool.name in self.names
        by_hint = self.read_only is not None and tool.read_only is self.read_only
        return by_name or by_hint


@dataclass(frozen=True)
class McpTool:
    """One tool an MCP server listed: the ``mcp_list_tools`` item's entry."""

    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=dict)
    read_only: bool | None = None  # the ``readOnlyHint`` annotation, when given

    def wire(self) -> dict[str, Any]:
        annotations = None if self.read_only is None else {"readOnlyHint": self.read_only}
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": dict(self.input_schema),
            "annotations": annotations,
        }

    @property
    def required(self) -> tuple[str, ...]:
        names = self.input_schema.get("required", ())
        return tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ()


@dataclass(frozen=True)
class McpServer:
    """One MCP tool of the session (see the module docstring)."""

    label: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    authorization: str | None = None
    allowed: ToolFilter | None = None  # None: every tool
    always: ToolFilter | None = None  # approval required ...
    never: ToolFilter | None = None  # ... unless matched here; see needs_approval
    default_approval: bool = True  # "always" (the hosted default) or "never"
    description: str | None = None
    echo: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def allows(self, tool: McpTool) -> bool:
        return self.allowed is None or self.allowed.matches(tool)

    def needs_approval(self, tool: McpTool) -> bool:
        if self.never is not None and self.never.matches(tool):
            return False
        if self.always is not None and self.always.matches(tool):
            return True
        return self.default_approval

    def request_headers(self) -> dict[str, str]:
        """What every request to the server carries: ``headers``, then ``authorization`` as a
        bearer token (it wins over a header of the same name)."""
        out = dict(self.headers)
        if self.authorization:
            out = {k: v for k, v in out.items() if k.lower() != "authorization"}
            out["Authorization"] = f"Bearer {self.authorization}"
        return out

    def wire(self) -> dict[str, Any]:
        """The tool as ``session.updated`` echoes it: no key, no header value."""
        return {**self.echo, "headers": None}


def check_mcp_tool(tool: Mapping[str, Any], where: str) -> McpServer:
    """One ``{"type": "mcp"}`` tool of ``session.tools``; raises ``InvalidRequest``."""
    check_keys(tool, _KEYS, where)
    for key in ("connector_id", "tunnel_id"):
        if tool.get(key) is not None:
            raise InvalidRequest.value(
                f"{where}.{key}",
                f"The local engine reaches MCP servers by server_url only, not by {key}.",
            )
    label = _required(tool, "server_label", where)
    if not label.strip():
        raise InvalidRequest.value(f"{where}.server_label", "server_label must not be empty.")
    url = _required(tool, "server_url", where)
    allowed = _filter_or_names(tool.get("allowed_tools"), f"{where}.allowed_tools")
    default, always, never = _approval(tool.get("require_approval"), f"{where}.require_approval")
    authorization = tool.get("authorization")
    if authorization is not None:
        _header_value(expect_string(authorization, f"{where}.authorization"), where)
    description = tool.get("server_description")
    if description is not None:
        expect_string(description, f"{where}.server_description")
    echo = {k: v for k, v in tool.items() if k not in ("authorization", "headers")}
    return McpServer(
        label,
        url,
        _headers(tool.get("headers"), f"{where}.headers"),
        authorization or None,
        allowed,
        always,
        never,
        default,
        description,
        {"type": "mcp", **echo},
    )


def check_unique_labels(servers: list[McpServer], param: str) -> None:
    if len(servers) > MAX_MCP_SERVERS:
        raise InvalidRequest.value(
            param, f"The local engine takes at most {MAX_MCP_SERVERS} MCP servers per session."
        )
    labels = [s.label for s in servers]
    for label in labels:
        if labels.count(label) > 1:
            raise InvalidRequest.value(param, f"Duplicate MCP server_label '{label}'.")


def _required(tool: Mapping[str, Any], key: str, where: str) -> str:
    if key not in tool:
        raise InvalidRequest.missing(f"{where}.{key}")
    return expect_string(tool[key], f"{where}.{key}")


def _names(value: Any, param: str) -> frozenset[str]:
    if not isinstance(value, list):
        raise InvalidRequest("invalid_type", f"'{param}' must be an array.", param)
    return frozenset(expect_string(v, f"{param}[{i}]") for i, v in enumerate(value))


def _filter(value: Any, param: str) -> ToolFilter:
    obj = expect_object(value, param)
    check_keys(obj, ("tool_names", "read_only"), param)
    names = obj.get("tool_names")
    read_only = obj.get("read_only")
    return ToolFilter(
        None if names is None else _names(names, f"{param}.tool_names"),
        None if read_only is None else expect_bool(read_only, f"{param}.read_only"),
    )


def _filter_or_names(value: Any, param: str) -> ToolFilter | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ToolFilter(_names(value, param))
    return _filter(value, param)


def _approval(value: Any, param: str) -> tuple[bool, ToolFilter | None, ToolFilter | None]:
    """``(default, always, never)``: a string sets the default; a filter object approves
    what ``never`` names, asks for what ``always`` names, and asks for the rest."""
    if value is None:
        return True, None, None
    if isinstance(value, str):
        return expect_choice(value, param, ("always", "never")) == "always", None, None
    obj = expect_object(value, param)
    check_keys(obj, ("always", "never"), param)
    always = None if obj.get("always") is None else _filter(obj["always"], f"{param}.always")
    never = None if obj.get("never") is None else _filter(obj["never"], f"{param}.never")
    return True, always, never


def _headers(value: Any, param: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    obj = expect_object(value, param)
    if len(obj) > _MAX_HEADERS:
        raise InvalidRequest.value(param, f"At most {_MAX_HEADERS} headers are sent.")
    out = []
    for name, raw in obj.items():
        if not _HEADER_NAME.fullmatch(name):
            raise InvalidRequest.value(f"{param}.{name}", "Invalid header name.")
        out.append((name, _header_value(expect_string(raw, f"{param}.{name}"), param)))
    return tuple(out)


def _header_value(value: str, param: str) -> str:
    # Never quote the value back: it may be a key.
    if len(value) > _MAX_HEADER_VALUE or any(c in value for c in "\r\n\0"):
        raise InvalidRequest.value(
            param, f"A header value must be one line of at most {_MAX_HEADER_VALUE} characters."
        )
    return value
