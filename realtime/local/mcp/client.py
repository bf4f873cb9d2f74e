"""The engine's MCP client: list a server's tools, call one; every failure a sentence.

Runs on the server's event loop, one coroutine per ``ListMcpTools`` / ``CallMcp`` job
(``realtime.local.connection`` starts them as tasks, cancelled with their response or the
session). It speaks streamable HTTP through the official ``mcp`` package: the URL is checked by
the deployment's address policy first (``http``/``https``; loopback and private addresses
refused unless ``REALTIME_ALLOW_PRIVATE_URLS`` or ``REALTIME_ALLOWED_HOSTS`` allow them), then
every request goes to the checked address (``realtime.local.mcp.transport``). Each job has one
deadline for everything (connect, handshake, the request, the goodbye), and each answer a size
bound. What the server says is never echoed whole: errors name the server's label and what
went wrong, a tool's own error text is passed on (it is the tool's output), cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from realtime.local.limits import MCP_MAX_BYTES, MCP_MAX_TOOLS
from realtime.local.mcp.transport import PinnedTransport
from realtime.local.session.mcp_servers import McpServer, McpTool
from realtime.protocol.address_policy import HTTP_SCHEMES, AddressPolicy
from realtime.protocol.errors import ConnectionFailed

__all__ = ["CallResult", "McpFailed", "call_tool", "list_tools", "policy_from_environment"]

_TEXT_CUT = 2000  # characters of a tool's own error message passed on


class McpFailed(Exception):  # noqa: N818 - a listing's or a call's failure, as a sentence
    """Why a listing or a call failed, in one sentence naming no secret."""

    def __init__(self, message: str, kind: str = "http_error", code: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


@dataclass(frozen=True)
class CallResult:
    """A call's ``output`` (text), or its ``error`` in the SDK's ``mcp_call`` error shapes."""

    output: str | None = None
    error: Mapping[str, Any] | None = None


def policy_from_environment() -> AddressPolicy:
    """The two settings the app reads too: ``REALTIME_ALLOW_PRIVATE_URLS``, and
    ``REALTIME_ALLOWED_HOSTS`` (comma-separated ``host`` or ``host:port``)."""
    return AddressPolicy.from_settings(
        allow_private=os.environ.get("REALTIME_ALLOW_PRIVATE_URLS"),
        allowed_hosts=os.environ.get("REALTIME_ALLOWED_HOSTS"),
    )


@contextlib.asynccontextmanager
async def _connected(
    server: McpServer, policy: AddressPolicy, transport_out: list[PinnedTransport]
) -> AsyncIterator[Client]:
    try:
        target = await policy.check(server.url, schemes=HTTP_SCHEMES)
    except ConnectionFailed as exc:
        raise McpFailed(str(exc)) from exc
    transport = PinnedTransport(target, MCP_MAX_BYTES)
    transport_out.append(transport)
    http = httpx2.AsyncClient(
        headers=server.request_headers(), transport=transport, trust_env=False
    )
    async with http:
        stream = streamable_http_client(
            server.url, http_client=http, max_sse_event_size=MCP_MAX_BYTES
        )
        async with Client(stream, cache=None) as client:
            yield client


async def _run(server: McpServer, policy: AddressPolicy, seconds: float, work: Any) -> Any:
    """``work(client)`` within ``seconds``, every failure an ``McpFailed``."""
    transports: list[PinnedTransport] = []

    async def attempt() -> Any:
        async with _connected(server, policy, transports) as client:
            return await work(client)

    try:
        return await asyncio.wait_for(attempt(), seconds)
    except McpFailed:
        raise
    except TimeoutError as exc:
        raise McpFailed(_why(server, transports, f"no answer within {seconds:g} s")) from exc
    except Exception as exc:  # the SDK's and the HTTP stack's own errors, garbage included
        raise McpFailed(_why(server, transports, _plain(exc))) from exc


def _why(server: McpServer, transports: list[PinnedTransport], what: str) -> str:
    if any(t.too_large for t in transports):
        what = f"an answer larger than the {MCP_MAX_BYTES} bytes the engine reads"
    return f"{server.url}: {what}."


def _plain(exc: BaseException) -> str:
    """A failure in a few words: the innermost of an exception group, its type and first line."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, httpx2.ConnectError):
        return "cannot connect (is the server running?)"
    if isinstance(exc, httpx2.HTTPStatusError):
        return f"it answered HTTP {exc.response.status_code}"
    first = (str(exc).splitlines() or [""])[0][:200]
    return (
        f"it did not answer as an MCP server ({type(exc).__name__}{': ' if first else ''}{first})"
    )


async def list_tools(server: McpServer, policy: AddressPolicy, seconds: float) -> list[McpTool]:
    """The server's tools (every page, at most ``MCP_MAX_TOOLS``)."""

    async def work(client: Client) -> list[McpTool]:
        tools: list[McpTool] = []
        cursor: str | None = None
        while len(tools) < MCP_MAX_TOOLS:
            page = await client.list_tools(cursor=cursor)
            for tool in page.tools[: MCP_MAX_TOOLS - len(tools)]:
                hint = tool.annotations.read_only_hint if tool.annotations else None
                tools.append(McpTool(tool.name, tool.description or "", tool.input_schema, hint))
            cursor = page.next_cursor
            if not cursor:
                break
        return tools

    result: list[McpTool] = await _run(server, policy, seconds, work)
    return result


async def call_tool(
    server: McpServer, policy: AddressPolicy, seconds: float, name: str, arguments: str
) -> CallResult:
    """One call; a tool's own failure (``isError``) is a ``tool_execution_error``, a broken
    exchange an ``http_error`` or ``protocol_error``, as the SDK's ``mcp_call`` has them."""
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        message = "The arguments are not a JSON object."
        return CallResult(error={"type": "protocol_error", "code": -32602, "message": message})

    async def work(client: Client) -> CallResult:
        result = await client.call_tool(name, parsed)
        text = " ".join(getattr(part, "text", "") for part in result.content).strip()
        if not text and result.structured_content is not None:
            text = json.dumps(result.structured_content)
        if result.is_error:
            message = text[:_TEXT_CUT] or "The tool failed."
            return CallResult(error={"type": "tool_execution_error", "message": message})
        return CallResult(output=text)

    try:
        answer: CallResult = await _run(server, policy, seconds, work)
    except McpFailed as exc:
        return CallResult(error={"type": "http_error", "code": exc.code, "message": str(exc)})
    return answer
