"""MCP in a conversation: the server listing a server's tools, calling them, asking first.

Pure, on the conversation's thread (the bridge's). The hosted API (GA) runs the MCP client
itself; the app only follows what it reports and answers approval requests:

- ``mcp_list_tools.in_progress / completed / failed`` (``item_id``) and the ``mcp_list_tools``
  item (``server_label``, ``tools``): what was found, or that listing failed;
- ``response.mcp_call_arguments.delta / done`` and ``response.mcp_call.in_progress / completed /
  failed`` (``item_id``), with the ``mcp_call`` item (``name``, ``arguments``, ``output`` or
  ``error``): a call, timed from its ``in_progress`` to its end on the caller's clock;
- the ``mcp_approval_request`` item (``name``, ``arguments``, ``server_label``), which ends its
  response: the user answers with an ``mcp_approval_response`` item placed after the request
  (:func:`approval_response`), and the server goes on by itself; the server's copy of that item
  marks the request answered too.

Every MCP item is an ``Item`` of role ``tool`` whose ``mcp`` holds the rest (``McpInfo``). The
handlers are listed in ``realtime.client.core.handlers``' table; ``wire_items.item_from_wire``
hands MCP items to :func:`mcp_fields`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from realtime.client.core.state import ConversationState
from realtime.client.core.values import Effect, Item, McpInfo
from realtime.protocol.events import Event, client_event, new_id

__all__ = [
    "MCP_HANDLERS",
    "MCP_ITEM_TYPES",
    "approval_response",
    "mcp_fields",
    "pending_approvals",
]

MCP_ITEM_TYPES = frozenset(
    {"mcp_list_tools", "mcp_call", "mcp_approval_request", "mcp_approval_response"}
)
_MAX_TOOLS_KEPT = 200  # names shown of one listing; a hostile server may list thousands
_MAX_TEXT = 100_000  # characters kept of one output, error or arguments string

McpHandler = Callable[[ConversationState, Event, float], list[Effect]]


def _info(item: Item | None) -> McpInfo:
    return item.mcp if item is not None and item.mcp is not None else McpInfo()


def _error_text(error: Any) -> str | None:
    """``protocol_error`` / ``tool_execution_error`` / ``http_error`` as one line."""
    if error is None:
        return None
    if not isinstance(error, dict):
        return str(error)[:_MAX_TEXT]
    kind, message, code = error.get("type"), error.get("message"), error.get("code")
    text = str(message or "no reason given")
    if code is not None:
        text = f"{text} (code {code})"
    return f"{kind}: {text}"[:_MAX_TEXT] if kind else text[:_MAX_TEXT]


def mcp_fields(c: ConversationState, wire: dict[str, Any]) -> dict[str, Any]:
    """The ``Item`` fields of an MCP item as the server describes it, keeping what earlier
    events of the same item taught (its timing, the user's answer)."""
    kind = wire["type"]
    info = _info(c.items.get(wire["id"]))
    fields: dict[str, Any] = {"role": "tool"}
    label = str(wire.get("server_label") or info.server_label)
    if kind == "mcp_list_tools":
        tools = wire.get("tools")
        names = tuple(
            str(tool.get("name"))
            for tool in (tools if isinstance(tools, list) else [])[:_MAX_TOOLS_KEPT]
            if isinstance(tool, dict) and tool.get("name")
        )
        info = replace(info, server_label=label, tools=names or info.tools)
        fields["name"] = label
        if names:  # an empty list may only mean "not listed yet": the events say when it ends
            fields["status"] = "completed"
    elif kind == "mcp_approval_response":
        _answered(c, str(wire.get("approval_request_id") or ""), wire.get("approve") is True)
        info = replace(info, approved=wire.get("approve") is True)
        fields["status"] = "completed"
    else:  # mcp_call, mcp_approval_request
        fields["name"] = str(wire.get("name") or "")
        if isinstance(wire.get("arguments"), str) and wire["arguments"]:
            fields["text"] = wire["arguments"][:_MAX_TEXT]
        output = wire.get("output")
        info = replace(
            info,
            server_label=label,
            output=str(output)[:_MAX_TEXT] if output is not None else info.output,
            error=_error_text(wire.get("error")) or info.error,
            approval_request_id=wire.get("approval_request_id") or info.approval_request_id,
        )
        if kind == "mcp_approval_request":
            fields["status"] = "completed"
        elif info.output is not None or info.error is not None:
            fields["status"] = "failed" if info.error else "completed"
    fields["mcp"] = info
    return fields


def _answered(c: ConversationState, request_id: str, approve: bool) -> None:
    request = c.items.get(request_id)
    if request is not None and request.type == "mcp_approval_request":
        c.upsert(request_id, mcp=replace(_info(request), approved=approve))


def pending_approvals(c: ConversationState) -> tuple[Item, ...]:
    """Approval requests the user has not answered yet, oldest first."""
    return tuple(
        item
        for item in c.ordered_items()
        if item.type == "mcp_approval_request" and _info(item).approved is None
    )


def approval_response(c: ConversationState, request_id: str, approve: bool) -> tuple[Event, ...]:
    """``conversation.item.create`` with an ``mcp_approval_response`` for a pending request;
    nothing for a request that is unknown or already answered (a second click)."""
    request = c.items.get(request_id)
    if request is None or request.type != "mcp_approval_request":
        return ()
    if _info(request).approved is not None:
        return ()
    _answered(c, request_id, approve)
    item = {
        "type": "mcp_approval_response",
        "id": new_id("mcpr"),
        "approval_request_id": request_id,
        "approve": approve,
    }
    return (client_event("conversation.item.create", previous_item_id=request_id, item=item),)


# ---- server events ------------------------------------------------------------------------
def _listing(status: str) -> McpHandler:
    def handler(c: ConversationState, e: Event, at: float) -> list[Effect]:
        item = c.items.get(e["item_id"])
        c.upsert(e["item_id"], type="mcp_list_tools", role="tool", status=status, mcp=_info(item))
        return []

    return handler


def _args_delta(c: ConversationState, e: Event, at: float) -> list[Effect]:
    item = c.items.get(e["item_id"])
    text = (item.text if item is not None else "") + str(e["delta"])
    c.upsert(e["item_id"], type="mcp_call", role="tool", text=text[:_MAX_TEXT], mcp=_info(item))
    return []


def _args_done(c: ConversationState, e: Event, at: float) -> list[Effect]:
    item = c.items.get(e["item_id"])
    arguments = str(e["arguments"])[:_MAX_TEXT]
    c.upsert(e["item_id"], type="mcp_call", role="tool", text=arguments, mcp=_info(item))
    return []


def _call(status: str) -> McpHandler:
    def handler(c: ConversationState, e: Event, at: float) -> list[Effect]:
        item = c.items.get(e["item_id"])
        info = _info(item)
        if status == "in_progress":
            info = replace(info, started_at=at if info.started_at is None else info.started_at)
        else:
            info = replace(info, done_at=at)
        c.upsert(e["item_id"], type="mcp_call", role="tool", status=status, mcp=info)
        return []

    return handler


MCP_HANDLERS: dict[str, McpHandler] = {
    "mcp_list_tools.in_progress": _listing("in_progress"),
    "mcp_list_tools.completed": _listing("completed"),
    "mcp_list_tools.failed": _listing("failed"),
    "response.mcp_call_arguments.delta": _args_delta,
    "response.mcp_call_arguments.done": _args_done,
    "response.mcp_call.in_progress": _call("in_progress"),
    "response.mcp_call.completed": _call("completed"),
    "response.mcp_call.failed": _call("failed"),
}
