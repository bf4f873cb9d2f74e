"""What a response sends when its answer calls an MCP server's tool, or asks leave to.

Pure; run by the responding side (``realtime.local.session.responding``) on the server's event
loop. A call the responder asks for (a ``CallRequest`` with a ``server_label``) becomes an
``mcp_call`` output item: ``response.output_item.added``, its arguments as
``response.mcp_call_arguments.delta`` / ``.done``, ``response.mcp_call.in_progress`` and a
``CallMcp`` job; when the server answers, ``response.mcp_call.completed`` (the item's
``output``) or ``.failed`` (its ``error``: ``protocol_error``, ``tool_execution_error`` or
``http_error``, the SDK's shapes) and ``response.output_item.done``; then the responder runs
again and says the result. A tool whose server's ``require_approval`` asks first becomes an
``mcp_approval_request`` item instead, and the response ends; the client's
``mcp_approval_response`` item starts the response that calls it (or says it will not).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from realtime.local.limits import MCP_MAX_OUTPUT_CHARS
from realtime.local.session.items import ItemRecord
from realtime.local.session.jobs import CallMcp, Outbox
from realtime.local.session.mcp_servers import McpServer
from realtime.local.session.response_run import ResponseRun, text_tokens
from realtime.local.stages.responders.responder import CallRequest
from realtime.protocol.events import new_id

__all__ = ["ask_approval", "call_done", "start_call"]

_ARGUMENT_CHUNK = 32  # characters per response.mcp_call_arguments.delta


def start_call(
    run: ResponseRun,
    out: Outbox,
    server: McpServer,
    call: CallRequest,
    approval_request_id: str | None = None,
) -> CallMcp:
    """The ``mcp_call`` item and its events; the job that runs the call."""
    fields: dict[str, Any] = {
        "server_label": server.label,
        "name": call.name,
        "arguments": "",
        "approval_request_id": approval_request_id,
        "output": None,
        "error": None,
    }
    item = ItemRecord(new_id("mcp"), "mcp_call", name=call.name, mcp=fields)
    index = run.add_item(item)
    where = {"response_id": run.id, "item_id": item.id, "output_index": index}
    for start in range(0, len(call.arguments), _ARGUMENT_CHUNK):
        piece = call.arguments[start : start + _ARGUMENT_CHUNK]
        out.emit("response.mcp_call_arguments.delta", **where, delta=piece)
    out.emit("response.mcp_call_arguments.done", **where, arguments=call.arguments)
    out.emit("response.mcp_call.in_progress", item_id=item.id, output_index=index)
    run.mcp_items[item.id] = item.replace(mcp={**fields, "arguments": call.arguments})
    return CallMcp(run.job_id, item.id, server, call.name, call.arguments)


def call_done(
    run: ResponseRun,
    out: Outbox,
    item_id: str,
    output: str | None,
    error: Mapping[str, Any] | None,
) -> None:
    """The server's answer (``output``), or why the call failed (``error``)."""
    item = run.mcp_items[item_id]
    assert item.mcp is not None
    if output is not None and len(output) > MCP_MAX_OUTPUT_CHARS:
        output = output[:MCP_MAX_OUTPUT_CHARS] + " [cut: longer than the engine keeps]"
    done = item.replace(mcp={**item.mcp, "output": output, "error": error and dict(error)})
    run.mcp_items[item_id] = done
    index = run.output_index(item_id)
    kind = "response.mcp_call.failed" if error is not None else "response.mcp_call.completed"
    out.emit(kind, item_id=item_id, output_index=index)
    run.item_done(done)
    run.count_call_tokens(text_tokens(item.mcp["arguments"]))


def ask_approval(run: ResponseRun, server: McpServer, call: CallRequest) -> None:
    """An ``mcp_approval_request`` item, added and done (the response then ends)."""
    fields = {"server_label": server.label, "name": call.name, "arguments": call.arguments}
    item = ItemRecord(new_id("mcpr"), "mcp_approval_request", name=call.name, mcp=fields)
    run.add_item(item)
    run.item_done(item)
