"""Server-described items folded into a conversation: messages, function calls, outputs (MCP
items through ``realtime.client.core.mcp_items``).

Pure, on the conversation's thread (the bridge's); called by the handlers of
``conversation.item.*`` and ``response.output_item.*`` / ``response.done`` events, GA and beta
alike (beta ``text`` / ``audio`` parts carry ``text`` / ``transcript`` the same way).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from realtime.client.core.mcp_items import MCP_ITEM_TYPES, mcp_fields
from realtime.client.core.state import ConversationState
from realtime.client.core.values import FunctionCall

__all__ = ["content_text", "item_from_wire"]


def item_from_wire(
    c: ConversationState, wire: dict[str, Any], previous: str | None, rid: str | None
) -> None:
    """Upsert an item as the server describes it (messages, function calls and outputs)."""
    kind = wire.get("type", "message")
    fields: dict[str, Any] = {"type": kind, "status": wire.get("status", "completed")}
    if rid:
        fields["response_id"] = rid
    if kind in MCP_ITEM_TYPES:  # no status of their own: their events and results say it
        fields.pop("status")
        fields.update(mcp_fields(c, wire))
    elif kind == "message":
        fields["role"] = wire.get("role", "user")
        text = content_text(wire.get("content") or [])
        if text:
            fields["text"] = text
    else:
        fields.update(role="tool", call_id=wire.get("call_id"), name=wire.get("name"))
        payload = wire.get("arguments") if kind == "function_call" else wire.get("output")
        if payload:
            fields["text"] = str(payload)
    c.upsert(wire["id"], previous, **fields)
    if kind == "function_call" and wire.get("call_id") and wire["call_id"] not in c.calls:
        c.calls[wire["call_id"]] = FunctionCall(
            call_id=wire["call_id"],
            name=wire.get("name", ""),
            item_id=wire["id"],
            response_id=rid,
            arguments=wire.get("arguments", ""),
        )


def content_text(content: Iterable[dict[str, Any]]) -> str:
    parts = [part.get("text") or part.get("transcript") or "" for part in content]
    return "".join(p for p in parts if p)
