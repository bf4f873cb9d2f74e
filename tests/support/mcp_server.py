"""A real MCP server on loopback for tests (the ``mcp`` package's ``MCPServer``, streamable
HTTP, served by uvicorn in a thread on port 0), and a plain HTTP server answering garbage."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

__all__ = ["garbage_server", "mcp_server"]


class _SlowToList(MCPServer):
    """Lists its tools ``list_delay`` seconds late."""

    list_delay = 0.0

    async def list_tools(self) -> list[Any]:
        import asyncio

        await asyncio.sleep(self.list_delay)
        return await super().list_tools()


def _tools(delay: float, list_delay: float) -> MCPServer:
    server = _SlowToList("test")
    server.list_delay = list_delay

    @server.tool()
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}, 21 degrees."

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    def explode() -> str:
        """Always fails."""
        raise ValueError("the tool broke")

    @server.tool()
    async def slow() -> str:
        """Answers late."""
        import asyncio

        await asyncio.sleep(delay)
        return "late"

    return server


@contextmanager
def mcp_server(*, delay: float = 0.0, list_delay: float = 0.0) -> Iterator[str]:
    """The URL of a running MCP server (``…/mcp``); stopped on exit. Its ``slow`` tool answers
    ``delay`` seconds late; its listing comes ``list_delay`` seconds late."""
    app = _tools(delay, list_delay).streamable_http_app(json_response=True)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class _Garbage(http.server.BaseHTTPRequestHandler):
    size = 100

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"<html>not json " + b"x" * self.size + b"</html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def garbage_server(size: int = 100) -> Iterator[str]:
    handler = type("Garbage", (_Garbage,), {"size": size})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/mcp"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
