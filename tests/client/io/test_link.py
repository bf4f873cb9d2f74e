"""The connection loop with a fake opener: backoff, failing for good, reconnecting."""

from __future__ import annotations

import asyncio
from typing import Any

from realtime.client.core.snapshot import LinkState
from realtime.client.io.inbox import ChangeSettings
from realtime.client.io.link import BUSY, run_link
from realtime.protocol.errors import ConnectionFailed
from tests.support.pump import CONFIG, FakeTransport, Harness, run, until


def test_a_refused_connection_is_retried_once_per_delay_then_fails() -> None:
    h = Harness()
    attempts: list[str] = []

    async def refuse(url: str, headers: dict[str, str]) -> Any:
        attempts.append(url)
        raise ConnectionFailed("127.0.0.1:9: connection refused")

    async def body() -> None:
        await run_link(
            h.pump, h.publisher, open_transport=refuse, delays=(0, 0), stop=asyncio.Event()
        )

    run(body)
    snapshot = h.publisher.snapshot()
    assert len(attempts) == 3 and snapshot.state is LinkState.FAILED
    assert sum("retrying" in n.text for n in snapshot.notices) == 2


def test_a_refused_key_fails_at_once() -> None:
    h = Harness()
    attempts: list[str] = []

    async def refuse(url: str, headers: dict[str, str]) -> Any:
        attempts.append(url)
        raise ConnectionFailed("the API key was refused (HTTP 401)", status=401, retryable=False)

    async def body() -> None:
        await run_link(
            h.pump, h.publisher, open_transport=refuse, delays=(0,), stop=asyncio.Event()
        )

    run(body)
    assert len(attempts) == 1 and "API key was refused" in (h.publisher.snapshot().error or "")


def test_lost_connections_and_new_endpoints_reconnect_and_stop_ends_the_loop() -> None:
    h = Harness()
    transports: list[FakeTransport] = []
    urls: list[str] = []

    async def accept(url: str, headers: dict[str, str]) -> Any:
        urls.append(url)
        transports.append(FakeTransport())
        transports[-1].feed({"type": "session.created", "session": {}})  # the session is back
        return transports[-1]

    async def body() -> None:
        stop = asyncio.Event()
        h.inbox.bind(asyncio.get_running_loop())
        link = asyncio.ensure_future(
            run_link(h.pump, h.publisher, open_transport=accept, delays=(0,), stop=stop)
        )
        await until(lambda: len(transports) == 1 and bool(transports[0].sent))
        transports[0].drop()
        await until(lambda: len(transports) == 2 and bool(transports[1].sent))
        h.inbox.post(ChangeSettings(CONFIG.replace(model="gpt-realtime-mini")))
        await until(lambda: len(transports) == 3 and bool(transports[2].sent))
        stop.set()
        await link

    run(body)
    snapshot = h.publisher.snapshot()
    assert snapshot.reconnects == 2 and all(t.closed for t in transports)
    assert urls[-1].endswith("model=gpt-realtime-mini")
    texts = [n.text for n in snapshot.notices]
    assert any("Connection lost" in t for t in texts)
    assert any("Settings changed" in t for t in texts)


def test_a_full_server_fails_a_new_session_at_once_in_plain_words() -> None:
    h = Harness()
    attempts: list[str] = []

    async def full(url: str, headers: dict[str, str]) -> Any:
        attempts.append(url)
        raise ConnectionFailed("127.0.0.1:9: all voices are busy (HTTP 503)", status=503)

    async def body() -> None:
        await run_link(
            h.pump, h.publisher, open_transport=full, delays=(0, 0), stop=asyncio.Event()
        )

    run(body)
    snapshot = h.publisher.snapshot()
    assert len(attempts) == 1 and snapshot.state is LinkState.FAILED
    assert snapshot.error == BUSY == "All voices are busy; try again in a minute."


def test_a_full_server_is_asked_again_when_reconnecting() -> None:
    h = Harness()
    opened: list[FakeTransport] = []

    async def full_after_the_first(url: str, headers: dict[str, str]) -> Any:
        if not opened:
            opened.append(FakeTransport())
            return opened[0]
        raise ConnectionFailed("127.0.0.1:9: all voices are busy (HTTP 503)", status=503)

    async def body() -> None:
        h.inbox.bind(asyncio.get_running_loop())
        link = asyncio.ensure_future(
            run_link(
                h.pump,
                h.publisher,
                open_transport=full_after_the_first,
                # The first wait follows the drop of a connection that had not held yet, the
                # next two each follow a 503 (see link.run_link).
                delays=(0, 0, 0),
                stop=asyncio.Event(),
            )
        )
        await until(lambda: bool(opened) and bool(opened[0].sent))
        # The session came back on the first connection: what follows is a reconnect.
        opened[0].feed({"type": "session.created", "event_id": "e1", "session": {"id": "s"}})
        await until(lambda: h.publisher.snapshot().state is LinkState.CONNECTED)
        opened[0].drop()
        await link

    run(body)
    snapshot = h.publisher.snapshot()
    assert snapshot.state is LinkState.FAILED and "HTTP 503" in (snapshot.error or "")
    assert sum("retrying" in n.text for n in snapshot.notices) == 2
