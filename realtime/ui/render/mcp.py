"""What the conversation shows of MCP: a server's tools listed (or the failure), a call (server,
tool, arguments, result or error, duration) and an approval request with its answer.

Runs on the Streamlit script thread, inside ``realtime.ui.render.conversation``'s drawing (and
its Approve / Deny buttons); reads frozen ``Item`` values only (their ``mcp`` part:
``realtime.client.core.values.McpInfo``). Every name and message here comes from a peer (the
Realtime server, the MCP server behind it), so it is shown as plain text: no Markdown of theirs
is rendered, and it is cut to a bounded length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import streamlit as st

from realtime.client.core.values import Item, McpInfo

__all__ = ["Approve", "McpParts", "approval_buttons", "mcp_history_line", "mcp_parts", "plain"]

Approve = Callable[[str, bool], None]
"""``(approval_request_id, approve)``: the page's way to answer (``Bridge.mcp_approval``)."""

McpParts = tuple[tuple[tuple[str, str], ...], tuple[str, ...], str | None]
"""(lines as ``(markdown | caption, text)``, code blocks, the request id to approve or deny)."""

_SHOWN_TOOLS = 12
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain(text: str, limit: int = 200) -> str:
    """Peer text as it reads, on one line, with no Markdown of its own."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _MARKDOWN.sub(r"\\\1", flat)


def _who(item: Item, info: McpInfo) -> tuple[str, str]:
    return plain(item.name or "tool", 80), plain(info.server_label or "MCP server", 80)


def _listing_line(item: Item, info: McpInfo) -> str:
    server = plain(info.server_label or item.name or "MCP server", 80)
    if item.status == "failed":
        return f"MCP server **{server}**: listing its tools failed."
    if info.tools:
        names = ", ".join(plain(name, 60) for name in info.tools[:_SHOWN_TOOLS])
        more = len(info.tools) - _SHOWN_TOOLS
        rest = f" and {more} more" if more > 0 else ""
        count = f"{len(info.tools)} tool{'s' if len(info.tools) != 1 else ''}"
        return f"MCP server **{server}**: {count} found: {names}{rest}."
    if item.status == "completed":
        return f"MCP server **{server}**: no tools found."
    return f"MCP server **{server}**: listing its tools…"


def _call_line(item: Item, info: McpInfo) -> str:
    tool, server = _who(item, info)
    took = f" in {info.duration_ms:.0f} ms" if info.duration_ms is not None else ""
    if info.error is not None or item.status == "failed":
        why = plain(info.error or "no reason given")
        return f"MCP **{tool}** on **{server}** failed{took}: {why}"
    if item.status == "completed" or info.output is not None:
        return f"Called MCP **{tool}** on **{server}**{took}."
    return f"Calling MCP **{tool}** on **{server}**…"


def _request_line(item: Item, info: McpInfo) -> str:
    tool, server = _who(item, info)
    if info.approved is None:
        return f"**{server}** asks to run **{tool}**. Approve?"
    answer = "Approved" if info.approved else "Denied"
    return f"{answer}: **{tool}** on **{server}**."


def mcp_parts(item: Item) -> McpParts | None:
    """What an MCP item's bubble shows; None for the items that show nothing of their own (the
    answer to a request shows on the request)."""
    info = item.mcp or McpInfo()
    if item.type == "mcp_list_tools":
        return ((("markdown", _listing_line(item, info)),), (), None)
    if item.type == "mcp_call":
        code = [_pretty(item.text)]
        if info.output is not None:
            code.append(_pretty(info.output))
        elif info.error is not None:
            code.append(info.error)
        return ((("markdown", _call_line(item, info)),), tuple(code), None)
    if item.type == "mcp_approval_request":
        pending = item.id if info.approved is None else None
        return ((("markdown", _request_line(item, info)),), (_pretty(item.text),), pending)
    return None


def mcp_history_line(item: Item) -> str:
    """One MCP item in the collapsed history ("" for none)."""
    parts = mcp_parts(item)
    return f"🛠 {parts[0][0][1]}" if parts else ""


def approval_buttons(request_id: str, on_approval: Approve) -> None:
    """Approve / Deny for one request; a click calls ``on_approval`` before the rerun (a second
    click, before the snapshot shows the answer, sends nothing: the conversation knows)."""
    approve, deny = st.columns(2)
    for column, label, yes in ((approve, "Approve", True), (deny, "Deny", False)):
        column.button(
            label,
            key=f"rvs.mcp.{label.lower()}.{request_id}",
            on_click=on_approval,
            args=(request_id, yes),
            type="primary" if yes else "secondary",
            width="stretch",
        )


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
