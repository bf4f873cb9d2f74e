"""One connection's reader and writer over a fake transport: the session goes first, settings
changes become a ``session.update`` or a reconnect, commands keep their order, closes raise."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from realtime.client.config import Provider, SessionConfig
from realtime.client.conversation import Conversation
from realtime.client.inbox import ChangeSettings, Inbox
from realtime.client.mic_queue import MicQueue
from realtime.client.publisher import Publisher
from realtime.client.session_io import Ended, SessionIO
from realtime.client.tool_desk import ToolDesk
from realtime.protocol.errors import ConnectionFailed
from realtime.protocol.events import serialize
from tests.support.bridge import S

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
        self.status = Publisher(self.conv, desk, mic, clock=lambda: 0.0)
        self.io = SessionIO(
            config,
            key,
            conversation=self.conv,
            inbox=self.inbox,
            mic=mic,
            desk=desk,
            status=self.status,
            playback=None,
            on_event=lambda direction, event, at: self.seen.append((direction, event["type"])),
            clock=lambda: 0.0,
        )


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), timeout=5 * S))


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.005 * S)


def test_settings_waiting_before_connecting_set_the_endpoint() -> None:
    h = Harness()
    h.inbox.post(ChangeSettings(CONFIG.replace(model="gpt-realtime-mini"), "sk-second-key-0002"))
    h.inbox.post(lambda: h.conv.text_turn("hi"))
    h.io.settle()
    url, headers = h.io.endpoint()
    assert url.endswith("model=gpt-realtime-mini")
    assert headers["Authorization"] == "Bearer sk-second-key-0002"
    assert h.inbox.pop() is not None and h.inbox.pop() is None  # the command still waits


def test_the_session_goes_first_then_commands_in_order_and_live_changes_as_updates() -> None:
    h = Harness()

    async def body() -> None:
        transport, stop = FakeTransport(), asyncio.Event()
        h.inbox.bind(asyncio.get_running_loop())
        h.inbox.post(lambda: h.conv.text_turn("hi"))
        serving = asyncio.ensure_future(h.io.serve(transport, stop))  # type: ignore[arg-type]
        await until(lambda: len(transport.sent) == 3)
        h.inbox.post(ChangeSettings(CONFIG.replace(instructions="Be terse.")))
        h.inbox.post(ChangeSettings(CONFIG.replace(instructions="Be terse.")))  # no change
        await until(lambda: len(transport.sent) == 4)
        transport.feed({"type": "session.updated", "session": {"instructions": "Be terse."}})
        await until(lambda: ("server", "session.updated") in h.seen)
        stop.set()
        assert await serving is Ended.STOPPED
        assert transport.types() == [
            "session.update",
            "conversation.item.create",
            "response.create",
            "session.update",
        ]
        assert transport.sent[-1]["session"]["instructions"] == "Be terse."
        assert h.status.snapshot().session == {"instructions": "Be terse."}

    run(body)
    assert [d for d, _ in h.seen] == ["client"] * 4 + ["server"]


@pytest.mark.parametrize(
    "change",
    [
        ChangeSettings(CONFIG.replace(model="gpt-realtime-mini")),
        ChangeSettings(CONFIG, api_key="sk-other-key-0003"),
    ],
    ids=["endpoint", "key"],
)
def test_a_new_endpoint_or_key_ends_the_connection_and_later_commands_wait(
    change: ChangeSettings,
) -> None:
    h = Harness()

    async def body() -> None:
        transport, stop = FakeTransport(), asyncio.Event()
        h.inbox.bind(asyncio.get_running_loop())
        serving = asyncio.ensure_future(h.io.serve(transport, stop))  # type: ignore[arg-type]
        await until(lambda: len(transport.sent) == 1)
        later = lambda: h.conv.text_turn("after")  # noqa: E731
        h.inbox.post(change)
        h.inbox.post(later)
        assert await serving is Ended.RECONNECT
        assert transport.types() == ["session.update"]
        assert h.inbox.pop() is later

    run(body)


def test_a_close_from_the_server_raises_connection_failed() -> None:
    h = Harness()

    async def body() -> None:
        transport, stop = FakeTransport(), asyncio.Event()
        h.inbox.bind(asyncio.get_running_loop())
        serving = asyncio.ensure_future(h.io.serve(transport, stop))  # type: ignore[arg-type]
        transport.drop()
        with pytest.raises(ConnectionFailed, match="1011"):
            await serving

    run(body)
