"""A full input buffer over a real socket: one ``error`` per refused append (the hosted API's
shape), however large the append, and a client that keeps appending is closed with 1008.

The engine runs with instant stages (``tests.support.engines``): no model is loaded.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from realtime.local.limits import MAX_BUFFER_MS, MAX_REFUSED_APPENDS, REFUSED_APPENDS_CLOSE
from realtime.local.server import EngineServer
from tests.support.engines import instant_engine
from tests.support.timing import S

QUICK = 5.0 * S
MINUTE = base64.b64encode(bytes(60 * 48000)).decode()  # sent as one frame: the sliced path
SLICE = base64.b64encode(bytes(20 * 48)).decode()  # 20 ms: the small path


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    with EngineServer(engine=instant_engine()) as running:
        yield running


@contextlib.contextmanager
def full_buffer(url: str) -> Iterator[ClientConnection]:
    """A connection with turn detection off and the buffer filled to its cap."""
    with connect(url, max_size=None) as ws:
        assert json.loads(ws.recv(QUICK))["type"] == "session.created"
        off = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
        ws.send(json.dumps({"type": "session.update", "session": off}))
        until(ws, "session.updated")
        for _ in range(MAX_BUFFER_MS // 60_000):
            ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": MINUTE}))
        yield ws


def until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + QUICK
    while time.monotonic() < deadline:
        event = json.loads(ws.recv(QUICK))
        seen.append(event)
        if event["type"] == kind:
            return seen
    raise AssertionError(f"no {kind} in {[e['type'] for e in seen]}")


def append(ws: ClientConnection, audio: str, event_id: str) -> None:
    ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio, "event_id": event_id}))


def errors(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["error"] for e in events if e["type"] == "error"]


def test_each_refused_append_gets_one_error_however_large(server: EngineServer) -> None:
    with full_buffer(server.realtime_url()) as ws:
        for n in range(3):
            append(ws, MINUTE, f"big_{n}")  # 3,000 slices each: still one error each
            append(ws, SLICE, f"small_{n}")
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        refused = errors(until(ws, "input_audio_buffer.cleared"))
        append(ws, SLICE, "after_clear")  # room again: accepted, no error
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        after = until(ws, "input_audio_buffer.cleared")
    assert [e["event_id"] for e in refused] == [
        f"{size}_{n}" for n in range(3) for size in ("big", "small")
    ]
    assert {(e["type"], e["code"], e["param"]) for e in refused} == {
        ("invalid_request_error", "input_audio_buffer_full", "audio")
    }
    assert not errors(after)


def test_a_client_that_keeps_appending_to_a_full_buffer_is_closed_with_1008(
    server: EngineServer,
) -> None:
    seen: list[dict[str, Any]] = []
    with full_buffer(server.realtime_url()) as ws:
        during = server.gate.active
        for n in range(MAX_REFUSED_APPENDS + 20):
            with contextlib.suppress(ConnectionClosed):  # closed under the last few: expected
                append(ws, SLICE if n % 10 else MINUTE, f"r{n}")
        with pytest.raises(ConnectionClosed) as info:
            while True:
                seen.append(json.loads(ws.recv(QUICK)))
    close = info.value.rcvd
    assert close is not None and (close.code, close.reason) == REFUSED_APPENDS_CLOSE
    # Every refusal up to the bound got its error before the close, and none after it.
    assert [e["event_id"] for e in errors(seen)] == [f"r{n}" for n in range(MAX_REFUSED_APPENDS)]
    deadline = time.monotonic() + QUICK
    while server.gate.active >= during:
        assert time.monotonic() < deadline, "the closed session is still held"
        time.sleep(0.02 * S)


def test_an_accepted_append_starts_the_count_of_refusals_again(server: EngineServer) -> None:
    with full_buffer(server.realtime_url()) as ws:
        for n in range(MAX_REFUSED_APPENDS - 1):
            append(ws, SLICE, f"a{n}")
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        first = until(ws, "input_audio_buffer.cleared")
        for _ in range(MAX_BUFFER_MS // 60_000):  # accepted: the count starts again
            ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": MINUTE}))
        for n in range(MAX_REFUSED_APPENDS - 1):
            append(ws, SLICE, f"b{n}")
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        second = until(ws, "input_audio_buffer.cleared")  # alive: never closed
    assert len(errors(first)) == len(errors(second)) == MAX_REFUSED_APPENDS - 1
