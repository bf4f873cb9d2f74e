"""Server-described items folded into a conversation: messages, function calls, outputs (MCP
items through ``realtime.client.core.mcp_items``).

Pure, on the conversation's thread (the bridge's); called by the handlers of
``conversation.item.*`` and ``response.output_item.*`` / ``response.done`` events, GA and beta
alike (beta ``text`` / ``audio`` parts carry ``text`` / ``transcript`` the same way).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from realtime.client.core.mcp_items import MCP_ITEM_TYPES, mcp_fields
from realtime.client.core.state import ConversationState
from realtime.client.core.values import FunctionCall, ImageInfo

__all__ = ["content_images", "content_text", "item_from_wire"]

_DATA_URI = re.compile(r"data:(image/[\w.+-]{1,50});base64,", re.ASCII)


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
        content = wire.get("content") or []
        text = content_text(content)
        if text:
            fields["text"] = text
        # The images this client sent are described from its shelf (with their pixel size);
        # others (another client's, a retrieved item) from the echo's data URIs.
        images = tuple(i.info for i in c.images.get(wire["id"])) or content_images(content)
        if images:
            fields["images"] = images
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


def content_images(content: Iterable[dict[str, Any]]) -> tuple[ImageInfo, ...]:
    """The ``input_image`` parts' type and size (from the data URI's length, not decoded)."""
    infos = []
    for part in content:
        url = part.get("image_url") if part.get("type") == "input_image" else None
        if not isinstance(url, str):
            continue
        match = _DATA_URI.match(url)
        if match is None:
            infos.append(ImageInfo("image", 0))  # a URL, not data: nothing to measure
            continue
        payload = url[match.end() :]
        padding = min(2, len(payload) - len(payload.rstrip("=")))
        infos.append(ImageInfo(match.group(1), max(0, len(payload) * 3 // 4 - padding)))
    return tuple(infos)
