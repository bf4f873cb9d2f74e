"""Reconnects against loopback servers that drop: they back off, stop, and say "reconnected"
only once the session is back.

Two servers on port 0, each on a thread of its own: one accepts and drops at once, one drops
right after its ``session.created``. The link runs with a real ``ConnectionPump`` and the real
``open_transport``; small scaled delays and a seeded jitter keep each test to about a second.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.snapshot import LinkState, Snapshot
from realtime.client.io.bridge import Bridge
from realtime.client.io.link import backoff_delays, run_link
from realtime.client.io.transport import open_transport
from realtime.local.server_thread import ServerThread
from tests.support.pump import Harness
from tests.support.timing import S, eventually

DELAYS = backoff_delays(0.05 * S, 0.4 * S, 5)  # 0.05, 0.1, 0.2, 0.4, 0.4
SLACK = (
    0.5 * S
)  # a connection's own time on top of its wait (handshake, close); 0.26 s seen under load


class DroppingServer:
    """Accepts every connection, then closes it (code 1011, retrying can help).

    ``session`` sends ``session.created`` first (after the client's first event, so the client
    is reading by then), ``answer`` a ``response.done`` after it, and ``keep`` seconds pass
    before the close. ``accepted_at`` and ``seen`` (``probe()`` at each accept: what the page
    showed while the socket opened) are appended on the server's loop, read after it.
    """

    def __init__(
        self,
        *,
        session: bool,
        answer: bool = False,
        keep: float = 0.0,
        probe: Callable[[], Snapshot] | None = None,
    ) -> None:
        self._session, self._answer, self._keep, self._probe = session, answer, keep, probe
        self.accepted_at: list[float] = []
        self.seen: list[Snapshot] = []
        self._server = ServerThread(self._handle, name="test-dropping-server").start(5)

    @property
    def url(self) -> str:
        return f"{self._server.url}/v1"

    async def _handle(self, ws: ServerConnection) -> None:
        self.accepted_at.append(time.monotonic())
        if self._probe is not None:
            self.seen.append(self._probe())
        if self._session:
            await ws.recv()  # the client's session.update: it reads from now on
            session = {"id": f"sess_{len(self.accepted_at)}", "object": "realtime.session"}
            await ws.send(json.dumps({"type": "session.created", "session": session}))
            if self._answer:
                response = {"id": "resp_1", "status": "completed", "output": []}
                await ws.send(json.dumps({"type": "response.done", "response": response}))
            await asyncio.sleep(self._keep)
        await ws.close(1011, "dropped on purpose")

    def gaps(self) -> list[float]:
        at = self.accepted_at
        return [b - a for a, b in zip(at, at[1:], strict=False)]

    def close(self) -> None:
        self._server.stop(5)


def config_for(url: str) -> SessionConfig:
    return SessionConfig(provider=Provider.CUSTOM, base_url=url, output_modalities=("text",))


def link_against(
    server: DroppingServer,
    h: Harness,
    *,
    delays: tuple[float, ...] = DELAYS,
    hold_seconds: float = 30.0,
    seed: int = 20,
    stop_after: float | None = None,
) -> list[float]:
    """Run the link to its end (or until ``stop_after`` seconds); the waits it drew."""
    jitter = random.Random(seed).random
    drawn: list[float] = []

    def recorded() -> float:
        drawn.append(jitter())
        return drawn[-1]

    async def body() -> None:
        stop = asyncio.Event()
        h.inbox.bind(asyncio.get_running_loop())
        if stop_after is not None:
            asyncio.get_running_loop().call_later(stop_after, stop.set)
        await run_link(
            h.pump,
            h.publisher,
            open_transport=open_transport,
            delays=delays,
            stop=stop,
            hold_seconds=hold_seconds,
            jitter=recorded,
        )

    asyncio.run(asyncio.wait_for(body(), timeout=20 * S))
    return [d * (1 - r / 2) for d, r in zip(delays, drawn, strict=False)]


def assert_backed_off(server: DroppingServer, waits: list[float]) -> None:
    gaps = server.gaps()
    assert len(server.accepted_at) == len(DELAYS) + 1  # the first try and one per delay
    assert len(gaps) == len(waits) == len(DELAYS)
    for gap, wait, nominal in zip(gaps, waits, DELAYS, strict=True):
        assert nominal / 2 <= wait <= nominal  # the jitter takes up to half a delay off
        assert wait - 0.01 * S <= gap <= wait + SLACK, (gaps, waits)
    assert waits[0] < waits[1] < waits[2] < waits[3]  # doubling: jitter never undoes it
    assert gaps[3] > 2 * gaps[0]
    assert max(gaps) <= max(DELAYS) + SLACK  # the ceiling


def test_a_server_that_accepts_and_drops_at_once_is_retried_with_growing_waits_then_given_up() -> (
    None
):
    holder: dict[str, Harness] = {}
    server = DroppingServer(session=False, probe=lambda: holder["h"].publisher.snapshot())
    h = holder["h"] = Harness(config_for(server.url))
    try:
        waits = link_against(server, h)
    finally:
        server.close()
    assert_backed_off(server, waits)
    snapshot = h.publisher.snapshot()
    assert snapshot.state is LinkState.FAILED
    assert snapshot.error is not None
    assert snapshot.error.startswith(
        "Stopped trying to connect after 6 attempts in a row: the connection closed ("
    )
    assert snapshot.error.endswith(") before the session could hold.")
    # Never back: never connected, never "reconnected", and each open was only "connecting".
    assert snapshot.reconnects == 0
    assert all(s.state is LinkState.CONNECTING and s.reconnects == 0 for s in server.seen)
    assert sum("reconnecting in" in n.text for n in snapshot.notices) == len(DELAYS)


def test_a_server_that_drops_after_session_created_backs_off_and_counts_only_sessions_back() -> (
    None
):
    holder: dict[str, Harness] = {}
    server = DroppingServer(session=True, probe=lambda: holder["h"].publisher.snapshot())
    h = holder["h"] = Harness(config_for(server.url))
    try:
        waits = link_against(server, h)
    finally:
        server.close()
    assert_backed_off(server, waits)
    snapshot = h.publisher.snapshot()
    assert snapshot.state is LinkState.FAILED
    assert snapshot.error is not None and "before the session could hold" in snapshot.error
    # Each new connection's session came back once: a reconnect each, after the first.
    assert snapshot.reconnects == len(server.accepted_at) - 1
    # While each socket opened, the page showed the sessions back so far, not one more.
    assert [s.reconnects for s in server.seen] == [0, *range(len(server.seen) - 1)]
    assert server.seen[0].state is LinkState.CONNECTING
    assert all(s.state is LinkState.RECONNECTING for s in server.seen[1:])
    assert h.seen.count(("server", "session.created")) == len(server.accepted_at)


def test_a_connection_that_held_starts_the_count_again() -> None:
    # Each connection lasts past the hold time: never more than one failure in a row, so the
    # link outlives its two delays many times over until it is stopped.
    server = DroppingServer(session=True, keep=0.15 * S)
    h = Harness(config_for(server.url))
    try:
        link_against(server, h, delays=(0.02 * S,) * 2, hold_seconds=0.05 * S, stop_after=1.2 * S)
    finally:
        server.close()
    snapshot = h.publisher.snapshot()
    assert len(server.accepted_at) >= 5 and snapshot.error is None
    assert snapshot.state is not LinkState.FAILED
    assert snapshot.reconnects >= 4


def test_a_completed_answer_holds_a_connection() -> None:
    server = DroppingServer(session=True, answer=True)
    h = Harness(config_for(server.url))
    try:
        link_against(server, h, delays=(0.02 * S,) * 2, stop_after=0.8 * S)
    finally:
        server.close()
    assert len(server.accepted_at) >= 5 and h.publisher.snapshot().error is None


def test_a_failed_link_connects_again_when_the_page_starts_the_bridge() -> None:
    """What a Reconnect button does: ``start`` again once the link has given up."""
    server = DroppingServer(session=False)
    bridge = Bridge(config_for(server.url), reconnect_delays=(0.02 * S,) * 2)
    try:
        bridge.start()
        eventually(lambda: bridge.snapshot().state is LinkState.FAILED, what="the link to fail")
        eventually(lambda: not bridge.running, what="the bridge thread to end")
        failed = len(server.accepted_at)
        bridge.start()
        eventually(lambda: len(server.accepted_at) > failed, what="a new connection")
        snapshot: Any = eventually(
            lambda: (s := bridge.snapshot()).state is LinkState.FAILED and s, what="a new end"
        )
    finally:
        bridge.stop()
        server.close()
    assert failed == 3 and len(server.accepted_at) == 6
    assert snapshot.error is not None and "Stopped trying to connect" in snapshot.error
