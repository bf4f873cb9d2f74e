"""Loopback WebSocket servers for the tests, each on a thread of its own.

Built on ``realtime.local.server_thread.ServerThread`` (the local engine's own server runs on it
too): the test's thread starts and stops them, their loop relays frames. ``CuttableProxy`` sits
between a client and the engine and drops every connection when the test says so, as a crashing
server would.
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection

from realtime.local.server_thread import ServerThread

__all__ = ["CuttableProxy"]


class CuttableProxy:
    """A loopback WebSocket proxy in front of the engine that the test can cut.

    ``open_connections`` and ``accepted`` count client connections (read from the test's
    thread, written on the proxy's loop: plain ints, so a read sees one or the other value).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.open_connections = 0
        self.accepted = 0
        self._clients: set[ServerConnection] = set()
        self._server = ServerThread(self._handle, name="test-cuttable-proxy").start(5)

    @property
    def port(self) -> int:
        assert self._server.port is not None
        return self._server.port

    @property
    def url(self) -> str:
        return f"{self._server.url}/v1"

    async def _handle(self, client: ServerConnection) -> None:
        self.accepted += 1
        self.open_connections += 1
        self._clients.add(client)
        path = client.request.path if client.request else "/v1/realtime"
        try:
            async with connect(self.upstream + path.removeprefix("/v1")) as server:

                async def pump(src: Any, dst: Any) -> None:
                    async for message in src:
                        await dst.send(message)

                tasks = [
                    asyncio.create_task(pump(client, server)),
                    asyncio.create_task(pump(server, client)),
                ]
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in tasks:
                    task.cancel()
        except Exception:  # either side went away: the proxy just lets the connection end
            pass
        finally:
            self._clients.discard(client)
            self.open_connections -= 1

    def cut(self) -> None:
        """Drop every client connection as a crashing server would (close code 1011)."""
        for client in list(self._clients):
            self._server.submit(client.close(1011, "proxy cut"))

    def close(self) -> None:
        self._server.stop(5)
