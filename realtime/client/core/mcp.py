"""Remote MCP servers as session tools: one validated ``McpServer`` per server, rendered as the
GA session's ``{"type": "mcp", ...}`` tool.

Pure. The Streamlit script thread builds entries from the sidebar (``realtime.ui.mcp_settings``);
a refused value raises ``ConfigError`` naming the server and the field, and never echoes a header
value or the key. The bridge thread renders them into ``session.update``
(``realtime.client.core.session_update``). The server (the hosted API, or the bundled engine)
connects to the MCP server itself, not the app; beta sessions have no MCP tools, so a beta
config refuses them.

A server's ``authorization`` (its key) and ``headers`` are secrets of that server: kept out of
``repr``, sent only inside its own tool entry, and scrubbed from the event log and exports by
``realtime.recording.redact`` (the ``authorization`` and ``headers`` keys) and by the secrets the
page registers with the recording (``secrets``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from realtime.protocol.errors import ConfigError

__all__ = [
    "APPROVALS",
    "MAX_MCP_SERVERS",
    "McpServer",
    "check_servers",
    "mcp_tool",
    "secrets",
]

APPROVALS = ("always", "never", "per tool")  # require_approval: a string, or a filter by name
MAX_MCP_SERVERS = 8
MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_TOOL = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")  # an HTTP token (RFC 9110)
_MAX_HEADERS = 20
_MAX_VALUE = 4096


@dataclass(frozen=True)
class McpServer:
    """One MCP server the session may use (see the module docstring).

    ``allowed_tools`` empty: every tool the server lists. ``approval`` ``per tool``: the tools in
    ``ask_tools`` need the user's approval, those in ``trust_tools`` run without it, any other
    follows the API's default (approval asked).
    """

    label: str
    url: str
    allowed_tools: tuple[str, ...] = ()
    approval: str = "always"
    ask_tools: tuple[str, ...] = ()
    trust_tools: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    authorization: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        where = f"mcp_servers.{self.label}" if _LABEL.fullmatch(self.label) else "mcp_servers"
        if not _LABEL.fullmatch(self.label):
            raise ConfigError(
                where,
                f"{self.label[:64]!r} is not a server label",
                allowed="a letter, then letters, digits, '_' or '-' (64 at most)",
            )
        _check_url(where, self.url)
        for name in (*self.allowed_tools, *self.ask_tools, *self.trust_tools):
            if not _TOOL.fullmatch(name):
                raise ConfigError(
                    where, f"{name[:128]!r} is not a tool name", allowed="letters, digits, _ . -"
                )
        self._check_approval(where)
        self._check_secrets(where)

    def _check_approval(self, where: str) -> None:
        if self.approval not in APPROVALS:
            raise ConfigError(
                where, f"{self.approval!r} is not an approval choice", allowed=", ".join(APPROVALS)
            )
        per_tool = self.approval == "per tool"
        if not per_tool and (self.ask_tools or self.trust_tools):
            raise ConfigError(where, "tools are named for approval only with 'per tool'")
        if per_tool and not (self.ask_tools or self.trust_tools):
            raise ConfigError(
                where, "'per tool' needs tool names", allowed="tools that ask, or that do not"
            )
        if both := set(self.ask_tools) & set(self.trust_tools):
            raise ConfigError(where, f"{sorted(both)[0]!r} both asks and does not ask first")

    def _check_secrets(self, where: str) -> None:
        names = [name.lower() for name, _ in self.headers]
        if len(names) > _MAX_HEADERS or len(set(names)) != len(names):
            raise ConfigError(where, "headers must have distinct names", allowed="20 at most")
        for name, value in self.headers:
            if not _HEADER_NAME.fullmatch(name):
                raise ConfigError(where, f"{name[:100]!r} is not a header name")
            if len(value) > _MAX_VALUE or not all(0x20 <= ord(ch) <= 0x7E for ch in value):
                # The value may be a secret: named by its header, never shown.
                raise ConfigError(
                    where,
                    f"the value of header {name} is too long or has a character a header "
                    "cannot carry (a line break?)",
                )
        key = self.authorization
        if key is not None and (
            not key or len(key) > _MAX_VALUE or not all(0x21 <= ord(ch) <= 0x7E for ch in key)
        ):
            raise ConfigError(
                where,
                "the key was refused: it is empty, too long, or has a space, a line break or "
                "another character a key cannot have",
            )


def _check_url(where: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        _ = parts.port  # reading it checks it: a port out of range raises ValueError
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.fragment
        or len(url) > MAX_URL_LENGTH
        or url != url.strip()
    ):
        raise ConfigError(
            where,
            "the server URL is not an http:// or https:// URL",
            allowed="https://host/path (no user:password@, no #fragment)",
        )


def mcp_tool(server: McpServer) -> dict[str, Any]:
    """The GA session's tool entry for ``server`` (``RealtimeToolsConfigUnion``'s ``Mcp``)."""
    tool: dict[str, Any] = {
        "type": "mcp",
        "server_label": server.label,
        "server_url": server.url,
    }
    if server.allowed_tools:
        tool["allowed_tools"] = list(server.allowed_tools)
    if server.approval != "per tool":
        tool["require_approval"] = server.approval
    else:
        rule: dict[str, Any] = {}
        if server.ask_tools:
            rule["always"] = {"tool_names": list(server.ask_tools)}
        if server.trust_tools:
            rule["never"] = {"tool_names": list(server.trust_tools)}
        tool["require_approval"] = rule
    if server.headers:
        tool["headers"] = dict(server.headers)
    if server.authorization:
        tool["authorization"] = server.authorization
    return tool


def check_servers(servers: Iterable[McpServer]) -> None:
    """Labels identify servers in calls: distinct, and at most ``MAX_MCP_SERVERS``."""
    labels = [server.label for server in servers]
    if len(labels) > MAX_MCP_SERVERS:
        raise ConfigError("mcp_servers", f"{len(labels)} servers", allowed=f"{MAX_MCP_SERVERS}")
    if len(set(labels)) != len(labels):
        raise ConfigError("mcp_servers", "two servers share a label", allowed="distinct labels")


def secrets(servers: Iterable[McpServer]) -> tuple[str, ...]:
    """Every key and header value of ``servers``: what the recording must scrub."""
    out: list[str] = []
    for server in servers:
        out += [value for _, value in server.headers]
        if server.authorization:
            out.append(server.authorization)
    return tuple(out)
