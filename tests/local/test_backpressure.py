"""Backpressure over a real socket: a client that reads is slowed, never closed, however large
the echoes of what it sends; one that never reads is closed (1008) within a bounded time and
with a bounded queue.

The engine runs with instant stages (``tests.support.engines``): no model is loaded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as connect_sync

from realtime.local.limits import NOT_READING_CLOSE, OUTBOX_HARD_CAP
from realtime.local.server import EngineServer
from tests.support.engines import instant_engine
from tests.support.timing import S

QUICK = 5.0 * S
ITEMS = 20


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    with EngineServer(engine=instant_engine()) as running:
        yield running


def item_create(n: int, size: int) -> str:
    """A user message of ``size`` characters, echoed whole in item.added and item.done."""
    text = ("lorem ipsum " * (size // 12 + 1))[:size]
    item = {"type": "message", "role": "user", "id": f"item_big_{n}"}
    item["content"] = [{"type": "input_text", "text": text}]  # type: ignore[assignment]
    return json.dumps({"type": "conversation.item.create", "item": item})


def test_a_client_that_reads_is_never_closed_however_large_the_echoes(
    server: EngineServer, caplog: pytest.LogCaptureFixture
) -> None:
    sizes = [(2 + n % 3) * 2**20 for n in range(ITEMS)]  # 2 to 4 MiB each: 120 MiB of echoes
    frames = [item_create(n, size) for n, size in enumerate(sizes)]
    done: list[str] = []

    async def body() -> None:
        async with connect(server.realtime_url(), max_size=None) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"

            async def read() -> None:  # continuously, beside the sends
                while len(done) < ITEMS:
                    event = json.loads(await ws.recv())
                    assert event["type"] != "error", event
                    if event["type"] == "conversation.item.done":
                        done.append(event["item"]["id"])

            reader = asyncio.ensure_future(read())
            for frame in frames:  # as fast as the socket takes them
                await ws.send(frame)
            await asyncio.wait_for(reader, 12 * QUICK)
            await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
            while json.loads(await ws.recv())["type"] != "input_audio_buffer.cleared":
                pass  # still open: the connection lives on

    with caplog.at_level(logging.WARNING, "realtime.local.connection"):
        asyncio.run(asyncio.wait_for(body(), 15 * QUICK))
    assert done == [f"item_big_{n}" for n in range(ITEMS)]
    assert "not reading" not in caplog.text


def test_a_client_that_never_reads_is_closed_in_bounded_time_and_queue(
    server: EngineServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stall = 1.0 * S
    monkeypatch.setattr("realtime.local.limits.NOT_READING_SECONDS", stall)
    before = server.gate.active
    big = item_create(0, 3 * 2**20)
    retrieve = json.dumps({"type": "conversation.item.retrieve", "item_id": "item_big_0"})
    result: dict[str, Any] = {}
    with caplog.at_level(logging.WARNING, "realtime.local.connection"):
        # max_queue=1: the client takes one message off the socket, then reads nothing.
        with connect_sync(server.realtime_url(), max_queue=1, max_size=None) as ws:
            started = time.monotonic()
            try:
                ws.send(big)
                for _ in range(200):  # 600 MiB of echoes asked for, were it all sent
                    ws.send(retrieve)
            except ConnectionClosed as exc:
                result["close"] = exc.rcvd
            result["after"] = time.monotonic() - started
        deadline = time.monotonic() + QUICK
        while server.gate.active > before:
            assert time.monotonic() < deadline, "the non-reading session is still held"
            time.sleep(0.02 * S)
    assert result["after"] < stall + 3 * QUICK, result
    close = result.get("close")
    assert close is None or (close.code, close.reason) == NOT_READING_CLOSE
    waiting = [
        int(m.group(1))
        for r in caplog.records
        if (m := re.search(r"not reading \((\d+) bytes waiting\)", r.getMessage()))
    ]
    assert len(waiting) == 1 and waiting[0] <= OUTBOX_HARD_CAP, waiting
