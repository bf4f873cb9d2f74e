"""Which tools each of a session's MCP servers offers: listed when the session names the server.

Pure; owned by the session state machine on the server's event loop. When ``session.update``
adds an MCP server or changes one (its URL, headers, key or ``allowed_tools``), the listing
starts: an ``mcp_list_tools`` item goes into the conversation (``conversation.item.added``,
no tools yet), ``mcp_list_tools.in_progress`` is sent and a ``ListMcpTools`` job asked for.
Its result comes back through :meth:`McpListings.listed`: ``mcp_list_tools.completed`` and the
item done with the tools ``allowed_tools`` lets through, or ``mcp_list_tools.failed``, the
item done with no tools, and an ``error`` event whose message says why (the hosted event has
no message of its own). A result for a listing replaced meanwhile is dropped. A server taken
out of the session takes its tools with it at once. While a listing runs (:meth:`pending`, at
most the listing's time bound), a response waits before it decides, so a turn typed or spoken
right after the update can call the tools being listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, render_item
from realtime.local.session.jobs import ListMcpTools, Outbox
from realtime.local.session.mcp_servers import McpServer, McpTool
from realtime.local.session.wire import server_event
from realtime.protocol.events import new_id

__all__ = ["McpListings"]


@dataclass(frozen=True)
class _Listing:
    server: McpServer
    item_id: str
    tools: tuple[McpTool, ...] | None = None  # None until listed (or when it failed)
    done: bool = False  # listed, or failed


class McpListings:
    """The listings of one session's MCP servers, by ``server_label``."""

    def __init__(self, out: Outbox, history: History) -> None:
        self._out = out
        self._history = history
        self._by_label: dict[str, _Listing] = {}

    def configure(self, servers: Sequence[McpServer]) -> None:
        """The session's servers are now ``servers``: list the new and the changed ones."""
        wanted = {server.label: server for server in servers}
        for label in list(self._by_label):
            if label not in wanted:
                del self._by_label[label]
        for label, server in wanted.items():
            current = self._by_label.get(label)
            if current is None or current.server != server:
                self._start(server)

    def _start(self, server: McpServer) -> None:
        item = ItemRecord(
            new_id("mcp_list"),
            "mcp_list_tools",
            mcp={"server_label": server.label, "tools": []},
        )
        self._by_label[server.label] = _Listing(server, item.id)
        previous = self._history.insert(item)
        self._out.emit("conversation.item.added", previous_item_id=previous, item=render_item(item))
        self._out.emit("mcp_list_tools.in_progress", item_id=item.id)
        self._out.job(ListMcpTools(item.id, server))

    def listed(self, item_id: str, tools: Sequence[McpTool] | None, error: str | None) -> bool:
        """A ``ListMcpTools`` result (``tools``, or None and ``error``); True when it changed
        the tools on offer."""
        listing = next((x for x in self._by_label.values() if x.item_id == item_id), None)
        if listing is None:
            return False  # replaced or removed meanwhile
        server = listing.server
        kept = tuple(t for t in tools or () if server.allows(t))
        self._by_label[server.label] = _Listing(
            server, item_id, kept if tools is not None else None, done=True
        )
        if tools is None:
            self._out.emit("mcp_list_tools.failed", item_id=item_id)
        else:
            self._out.emit("mcp_list_tools.completed", item_id=item_id)
        mcp = {"server_label": server.label, "tools": [t.wire() for t in kept]}
        self._done(item_id, mcp)
        if error is not None:
            message = f"Listing the tools of MCP server '{server.label}' failed: {error}"
            self._out.add(
                server_event(
                    "error",
                    error={
                        "type": "server_error",
                        "code": "mcp_list_tools_failed",
                        "message": message,
                        "param": None,
                        "event_id": None,
                    },
                )
            )
        return True

    def _done(self, item_id: str, mcp: Mapping[str, Any]) -> None:
        if item_id not in self._history:
            return  # the client deleted the item: the listing still counts
        item = self._history.get(item_id).replace(mcp=mcp)
        self._history.replace(item)
        ids = [i.id for i in self._history.ordered()]
        index = ids.index(item_id)
        previous = ids[index - 1] if index > 0 else None
        self._out.emit("conversation.item.done", previous_item_id=previous, item=render_item(item))

    def pending(self) -> bool:
        """True while a server's tools are being listed."""
        return any(not listing.done for listing in self._by_label.values())

    def offered(self) -> tuple[dict[str, Any], ...]:
        """The tools responders may call, as ``ResponseRequest.mcp_tools`` holds them."""
        return tuple(
            {
                "server_label": listing.server.label,
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.input_schema),
            }
            for listing in self._by_label.values()
            for tool in listing.tools or ()
        )

    def find(self, label: str, name: str) -> tuple[McpServer, McpTool] | None:
        """The server and the listed, allowed tool a call names, if any."""
        listing = self._by_label.get(label)
        if listing is None:
            return None
        tool = next((t for t in listing.tools or () if t.name == name), None)
        return None if tool is None else (listing.server, tool)
