"""The WebSocket client against real servers on 127.0.0.1: handshake failures in plain words."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from realtime.client.io.transport import describe_close, open_transport
from realtime.protocol.errors import ConnectionFailed


@asynccontextmanager
async def server(
    handler: Callable[[ServerConnection], Any], *, status: int | None = None, body: str = ""
) -> AsyncIterator[str]:
    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if status is None:
            return None
        reason = HTTPStatus(status).phrase
        return Response(status, reason, Headers({"Content-Type": "text/plain"}), body.encode())

    # The test server logs with its own quiet logger so a DEBUG capture sees the client only.
    quiet = logging.getLogger("tests.transport.server")
    quiet.setLevel(logging.INFO)
    async with serve(handler, "127.0.0.1", 0, process_request=process_request, logger=quiet) as srv:
        port = srv.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/realtime?model=m"


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_send_and_receive_frames() -> None:
    async def scenario() -> str | bytes:
        async with server(echo) as url:
            transport = await open_transport(url, {})
            await transport.send({"type": "response.create"})
            frame = await anext(aiter(transport.frames()))
            await transport.close()
            return frame

    assert run(scenario()) == '{"type":"response.create"}'


@pytest.mark.parametrize(
    ("status", "words", "retryable"),
    [
        (401, "API key was refused", False),
        (403, "no access", False),
        (404, "not found", False),
        (429, "rate limited", True),
        (503, "HTTP 503", True),
    ],
)
def test_refused_handshake_says_why(status: int, words: str, retryable: bool) -> None:
    async def scenario() -> None:
        async with server(echo, status=status, body="details from server") as url:
            await open_transport(url, {"Authorization": "Bearer sk-secret"})

    with pytest.raises(ConnectionFailed) as info:
        run(scenario())
    assert words in str(info.value)
    assert "details from server" not in str(info.value)  # a peer body is never shown
    assert "sk-secret" not in str(info.value)
    assert info.value.status == status and info.value.retryable is retryable


def test_refused_port_says_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionFailed, match="connection refused") as info:
        run(open_transport(f"ws://127.0.0.1:{port}/v1/realtime", {}))
    assert info.value.retryable


def test_silent_server_times_out() -> None:
    async def scenario() -> None:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        try:
            port = listener.getsockname()[1]
            await open_transport(f"ws://127.0.0.1:{port}/", {}, open_timeout=0.3)
        finally:
            listener.close()

    with pytest.raises(ConnectionFailed, match="timed out"):
        run(scenario())


def test_bad_url_is_not_retryable() -> None:
    with pytest.raises(ConnectionFailed, match="not a WebSocket URL") as info:
        run(open_transport("http//nowhere", {}))
    assert not info.value.retryable


def test_server_close_is_reported_with_its_code() -> None:
    async def closer(ws: ServerConnection) -> None:
        await ws.close(1011, "engine crashed")

    async def scenario() -> None:
        async with server(closer) as url:
            transport = await open_transport(url, {})
            async for _ in transport.frames():
                pass

    with pytest.raises(ConnectionFailed) as info:
        run(scenario())
    assert info.value.close_code == 1011
    assert "internal error: engine crashed" in str(info.value)


def test_describe_close_codes() -> None:
    assert "normally" in describe_close(1000)
    assert "dropped" in describe_close(1006)
    assert "code 4001" in describe_close(4001, "")
    assert describe_close(None) == "the connection closed"


def test_the_key_never_reaches_the_logs_even_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with server(echo) as url:
            transport = await open_transport(url, {"Authorization": "Bearer sk-planted-key-42"})
            await transport.send({"type": "response.create"})
            await transport.close()

    with caplog.at_level("DEBUG"):
        run(scenario())
    assert "sk-planted-key-42" not in caplog.text
