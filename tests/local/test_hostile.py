"""The engine against hostile clients, over real sockets on 127.0.0.1: foreign Origins, no key,
too many sessions, malformed frames, floods, clients that never read. Every frame must earn an
``error`` event (or a clean close with a code) and the connection must live on."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from realtime.local.server import EngineServer
from tests.support.engines import instant_engine

QUICK = 5.0


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    with EngineServer(engine=instant_engine(), allowed_origins=["https://ok.example"]) as running:
        yield running


@contextlib.contextmanager
def client(url: str, **headers: str) -> Iterator[ClientConnection]:
    with connect(url, additional_headers=headers, max_size=None) as ws:
        assert json.loads(ws.recv(QUICK))["type"] == "session.created"
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


def alive(ws: ClientConnection) -> None:
    ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
    until(ws, "input_audio_buffer.cleared")


# ---- who may connect ----------------------------------------------------------------------
def test_a_foreign_origin_is_refused_and_logged(
    server: EngineServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "realtime.local.guard"):
        with pytest.raises(InvalidStatus) as info:
            connect(server.realtime_url(), origin="http://evil.example")  # type: ignore[arg-type]
    assert info.value.response.status_code == 403
    assert "origin_not_allowed" in caplog.text and "evil.example" in caplog.text
    with client(server.realtime_url(), Origin="https://ok.example") as ws:
        alive(ws)
    with client(server.realtime_url()) as ws:  # no Origin: not a browser
        alive(ws)


def test_the_in_process_engine_refuses_a_client_without_its_key() -> None:
    with EngineServer(engine=instant_engine(), api_key="per-process-secret") as running:
        with pytest.raises(InvalidStatus) as info:
            connect(running.realtime_url())
        assert info.value.response.status_code == 401
        with client(running.realtime_url(), Authorization="Bearer per-process-secret") as ws:
            alive(ws)


def test_the_session_cap_answers_503_and_frees_a_slot() -> None:
    with EngineServer(engine=instant_engine(), max_sessions=2) as running:
        url = running.realtime_url()
        with client(url), client(url) as second:
            with pytest.raises(InvalidStatus) as info:
                connect(url)
            assert info.value.response.status_code == 503
            assert b"too_many_sessions" in info.value.response.body
            second.close()
            deadline = time.monotonic() + QUICK
            while running.gate.active > 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            with client(url) as third:
                alive(third)


# ---- frames that once killed a connection ---------------------------------------------
DEEP = '{"type":"session.update","session":' + '{"a":' * 1000 + "1" + "}" * 1001
HOSTILE = [
    ("deep nesting", DEEP, "invalid_json"),
    ("deep array", "[" * 5000 + "]" * 5000, "invalid_json"),
    (
        "long integer",
        '{"type":"session.update","session":{"x":' + "9" * 5000 + "}}",
        "invalid_json",
    ),
    (
        "threshold NaN",
        '{"type":"session.update","session":{"type":"realtime","audio":{"input":'
        '{"turn_detection":{"type":"server_vad","threshold":NaN}}}}}',
        "invalid_value",
    ),
    (
        "speed Infinity",
        '{"type":"session.update","session":{"type":"realtime","audio":{"output":'
        '{"speed":Infinity}}}}',
        "invalid_value",
    ),
    ("1e999", '{"type":"response.create","response":{"x":1e999}}', "invalid_value"),
    ("not an object", "[1, 2, 3]", "invalid_type"),
    ("not JSON", "{nope", "invalid_json"),
    ("bad base64", '{"type":"input_audio_buffer.append","audio":"!!!"}', "invalid_value"),
    ("odd PCM", '{"type":"input_audio_buffer.append","audio":"AA=="}', "invalid_value"),
    ("binary not UTF-8", b"\xff\xfe\xfd", "invalid_json"),
]


@pytest.mark.parametrize(("name", "frame", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_each_hostile_frame_earns_an_error_and_the_session_goes_on(
    server: EngineServer, name: str, frame: str | bytes, code: str
) -> None:
    with client(server.realtime_url()) as ws:
        ws.send(frame)
        error = until(ws, "error")[-1]["error"]
        assert error["code"] == code, error
        alive(ws)


def test_a_lone_surrogate_is_replaced_and_the_echo_is_valid_json(server: EngineServer) -> None:
    with client(server.realtime_url()) as ws:
        ws.send(
            '{"type":"session.update","session":{"type":"realtime","instructions":"a\\ud800b"}}'
        )
        updated = until(ws, "session.updated")[-1]
        assert updated["session"]["instructions"] == "a\ufffdb"
        alive(ws)


def test_beta_metadata_nested_deep_is_refused(server: EngineServer) -> None:
    deep = '{"a":' * 500 + "1" + "}" * 500
    frame = '{"type":"response.create","response":{"metadata":' + deep + "}}"
    with client(server.realtime_url(), **{"OpenAI-Beta": "realtime=v1"}) as ws:
        ws.send(frame)
        assert until(ws, "error")[-1]["error"]["code"] == "invalid_json"
        alive(ws)


def test_an_append_too_large_for_a_frame_closes_with_1009(server: EngineServer) -> None:
    with client(server.realtime_url()) as ws:
        ws.send('{"type":"input_audio_buffer.append","audio":"' + "A" * (17 * 2**20) + '"}')
        with pytest.raises(ConnectionClosed) as info:
            while True:
                ws.recv(QUICK)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009


# ---- bounds -------------------------------------------------------------------------------
def test_manual_buffer_is_capped_with_an_error(server: EngineServer) -> None:
    minute = base64.b64encode(bytes(60 * 48000)).decode()
    with client(server.realtime_url()) as ws:
        ws.send(
            json.dumps(
                {
                    "type": "session.update",
                    "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
                }
            )
        )
        until(ws, "session.updated")
        for _ in range(5):
            ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": minute}))
        ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": minute, "event_id": "x"}))
        error = until(ws, "error")[-1]["error"]
        assert error["code"] == "input_audio_buffer_full" and error["event_id"] == "x"
        alive(ws)


def test_a_client_that_never_reads_is_closed_and_forgotten(server: EngineServer) -> None:
    pcm = base64.b64encode(bytes(48000 * 20)).decode()  # a 20 s item, 1.3 MB per retrieve
    with connect(server.realtime_url(), max_queue=1, max_size=None) as ws:
        item = {
            "type": "message",
            "role": "user",
            "id": "item_big",
            "content": [{"type": "input_audio", "audio": pcm}],
        }
        ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        before = server.gate.active
        assert before >= 1
        with contextlib.suppress(ConnectionClosed):
            for _ in range(400):
                ws.send('{"type":"conversation.item.retrieve","item_id":"item_big"}')
        deadline = time.monotonic() + 3 * QUICK
        while server.gate.active >= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.gate.active < before, "the non-reading session is still held"
