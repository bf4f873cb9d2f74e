"""One connection's reader and writer over a fake transport: the session goes first, settings
changes become a ``session.update`` or a reconnect, commands keep their order, closes raise."""

from __future__ import annotations

import asyncio

import pytest

from realtime.client.io.inbox import ChangeSettings
from realtime.client.io.pump import Ended
from realtime.protocol.errors import ConnectionFailed
from tests.support.pump import CONFIG, FakeTransport, Harness, run, until


def test_settings_waiting_before_connecting_set_the_endpoint() -> None:
    h = Harness()
    h.inbox.post(ChangeSettings(CONFIG.replace(model="gpt-realtime-mini"), "sk-second-key-0002"))
    h.inbox.post(lambda: h.conv.text_turn("hi"))
    h.pump.settle()
    url, headers = h.pump.endpoint()
    assert url.endswith("model=gpt-realtime-mini")
    assert headers["Authorization"] == "Bearer sk-second-key-0002"
    assert h.inbox.pop() is not None and h.inbox.pop() is None  # the command still waits


def test_the_session_goes_first_then_commands_in_order_and_live_changes_as_updates() -> None:
    h = Harness()

    async def body() -> None:
        transport, stop = FakeTransport(), asyncio.Event()
        h.inbox.bind(asyncio.get_running_loop())
        h.inbox.post(lambda: h.conv.text_turn("hi"))
        serving = asyncio.ensure_future(h.pump.serve(transport, stop))  # type: ignore[arg-type]
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
        assert h.publisher.snapshot().session == {"instructions": "Be terse."}

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
        serving = asyncio.ensure_future(h.pump.serve(transport, stop))  # type: ignore[arg-type]
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
        serving = asyncio.ensure_future(h.pump.serve(transport, stop))  # type: ignore[arg-type]
        transport.drop()
        with pytest.raises(ConnectionFailed, match="1011"):
            await serving

    run(body)


def test_server_frames_step_the_version_and_a_read_builds_one_snapshot() -> None:
    h = Harness()

    async def body() -> None:
        transport, stop = FakeTransport(), asyncio.Event()
        h.inbox.bind(asyncio.get_running_loop())
        serving = asyncio.ensure_future(h.pump.serve(transport, stop))  # type: ignore[arg-type]
        await until(lambda: len(transport.sent) == 1)
        built = h.publisher.builds
        transport.feed({"type": "response.created", "response": {"id": "r1"}})
        for n in range(200):
            transport.feed(
                {"type": "response.output_audio_transcript.delta", "response_id": "r1",
                 "item_id": "a1", "output_index": 0, "content_index": 0, "delta": f"w{n} "}
            )  # fmt: skip
        await until(lambda: sum(d == "server" for d, _ in h.seen) == 201)
        assert h.publisher.builds == built  # 201 frames, no reader yet: nothing built
        snapshot = h.publisher.snapshot()
        assert h.publisher.builds == built + 1 and "w199" in snapshot.items[-1].text
        assert h.publisher.snapshot() is snapshot and h.publisher.builds == built + 1
        stop.set()
        await serving

    run(body)
