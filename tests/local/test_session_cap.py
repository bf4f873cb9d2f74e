"""The engine's session cap under a burst: many handshakes at once over real sockets on
127.0.0.1, and never more sessions admitted than ``max_sessions``; a slot frees when its
connection ends, whether the session ran or its handshake failed; a bridge turned away hears
why, in plain words, at once."""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Callable

from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Request
from websockets.sync.client import connect

from realtime.client.core.snapshot import LinkState
from realtime.client.io.bridge import Bridge
from realtime.client.io.link import BUSY
from realtime.local.guard import Gate
from realtime.local.server import EngineServer
from tests.support.bridge import config_for, wait_for
from tests.support.engines import instant_engine

QUICK = 5.0
BURST = 24


def _wait(condition: Callable[[], bool], timeout: float = QUICK) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def _handshake(port: int) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


async def _hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # blocks the server's loop on purpose: requests pile up unread


def _burst(server: EngineServer, count: int) -> tuple[list[socket.socket], list[int]]:
    """``count`` connections made first, then their handshakes sent while the server's loop is
    held, so it reads them all in one turn: the sockets answered 101 (still open) and the
    other status codes."""
    port = server.port
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=QUICK) for _ in range(count)]
    time.sleep(0.2)  # every connection accepted, its handshake task waiting for a request
    # The test reaches in: holding the server's loop has no public hook, on purpose.
    held = server._server.submit(_hold_the_loop(0.3))  # noqa: SLF001
    for sock in sockets:
        sock.sendall(_handshake(port))
    held.result(QUICK)
    opened: list[socket.socket] = []
    codes: list[int] = []
    for sock in sockets:
        status = int(sock.recv(4096).split(b" ", 2)[1])
        if status == 101:
            opened.append(sock)
        else:
            codes.append(status)
            sock.close()
    return opened, codes


def test_a_burst_of_handshakes_never_exceeds_the_cap() -> None:
    with EngineServer(engine=instant_engine(), max_sessions=3) as running:
        opened, refused = _burst(running, BURST)
        try:
            assert len(opened) == 3, f"{len(opened)} sessions admitted with a cap of 3"
            assert refused == [503] * (BURST - 3)
            assert running.gate.active == 3
        finally:
            for sock in opened:
                sock.close()
        assert _wait(lambda: running.gate.active == 0), running.gate.active
        opened, refused = _burst(running, BURST)  # every slot came back
        for sock in opened:
            sock.close()
        assert len(opened) == 3


def test_a_handshake_that_fails_after_admission_frees_its_slot() -> None:
    with EngineServer(engine=instant_engine(), max_sessions=1) as running:
        request = (
            f"GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"  # no Sec-WebSocket-Key
        ).encode()
        with socket.create_connection(("127.0.0.1", running.port), timeout=QUICK) as raw:
            raw.sendall(request)
            assert b" 400 " in raw.recv(4096).split(b"\r\n", 1)[0] + b" "
        assert _wait(lambda: running.gate.active == 0), running.gate.active
        with socket.create_connection(("127.0.0.1", running.port), timeout=QUICK) as raw:
            raw.sendall(request.replace(b"Upgrade: websocket\r\n", b""))
            # and a client that leaves before its answer is read
        assert _wait(lambda: running.gate.active == 0), running.gate.active
        # The client that left may still be admitted for a moment (the server reads it after it
        # left): its slot must come free, so that with a cap of one a real session gets in.
        assert _wait(lambda: _admitted(running.realtime_url())), running.gate.active
        assert _wait(lambda: running.gate.active == 0), running.gate.active


def _admitted(url: str) -> bool:
    try:
        with connect(url) as ws:
            return '"session.created"' in str(ws.recv(QUICK))
    except InvalidStatus:  # 503 while the slot is still held
        return False


def test_the_gate_counts_a_session_at_admission() -> None:
    # Two handshakes checked before either session starts (what a burst does): the second is
    # refused, because the first took its slot when it was admitted.
    gate = Gate(max_sessions=1)
    request = Request("/v1/realtime", Headers())
    assert gate.admit(request, "first") is None
    refusal = gate.admit(request, "second")
    assert refusal is not None and refusal.status_code == 503
    gate.release()
    assert gate.admit(request, "third") is None


def test_a_full_engine_turns_a_bridge_away_in_plain_words_within_two_seconds() -> None:
    with EngineServer(engine=instant_engine(), max_sessions=1) as running:
        with connect(running.realtime_url()) as first:
            assert '"session.created"' in str(first.recv(QUICK))
            bridge = Bridge(config_for(running.url))
            started = time.monotonic()
            bridge.start()
            try:
                snapshot = wait_for(bridge, lambda s: s.state is LinkState.FAILED, timeout=QUICK)
                took = time.monotonic() - started
            finally:
                bridge.stop()
            assert snapshot.error == BUSY and took < 2.0, (snapshot.error, took)
            assert running.gate.refused == 1  # asked once, not again and again
