"""A ``ConnectionPump`` with its inbox, publisher and conversation, over a fake transport: the
harness of the pump and link tests (the test's own asyncio loop stands in for the bridge's)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.conversation import Conversation
from realtime.client.io.inbox import Inbox
from realtime.client.io.mic_queue import MicQueue
from realtime.client.io.publisher import Publisher
from realtime.client.io.pump import ConnectionPump
from realtime.client.io.tool_desk import ToolDesk
from realtime.protocol.errors import ConnectionFailed
from realtime.protocol.events import serialize
from tests.support.bridge import S

__all__ = ["CONFIG", "FakeTransport", "Harness", "run", "until"]

CONFIG = SessionConfig(provider=Provider.CUSTOM, base_url="ws://127.0.0.1:9/v1")


class FakeTransport:
    """Records what is sent; ``feed`` delivers a server event, ``drop`` closes from the far end."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed = False
        self._frames: asyncio.Queue[str | None] = asyncio.Queue()

    async def send(self, event: dict[str, Any]) -> None:
        self.sent.append(event)

    async def frames(self) -> AsyncIterator[str]:
        while (frame := await self._frames.get()) is not None:
            yield frame
        raise ConnectionFailed("the server closed the session (code 1011)", close_code=1011)

    async def close(self) -> None:
        self.closed = True

    def feed(self, event: dict[str, Any]) -> None:
        self._frames.put_nowait(serialize(event))

    def drop(self) -> None:
        self._frames.put_nowait(None)

    def types(self) -> list[str]:
        return [e["type"] for e in self.sent]


class Harness:
    def __init__(self, config: SessionConfig = CONFIG, key: str | None = "sk-first-0001") -> None:
        self.conv = Conversation()
        self.inbox = Inbox()
        self.seen: list[tuple[str, str]] = []
        mic, desk = MicQueue(), ToolDesk(None)
        self.publisher = Publisher(self.conv, desk, mic, clock=lambda: 0.0)
        self.pump = ConnectionPump(
            config,
            key,
            conversation=self.conv,
            inbox=self.inbox,
            mic=mic,
            desk=desk,
            publisher=self.publisher,
            playback=None,
            on_event=lambda direction, event, at: self.seen.append((direction, event["type"])),
            clock=lambda: 0.0,
        )


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), timeout=5 * S))


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.005 * S)
