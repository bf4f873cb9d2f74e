"""Property-based fuzz of the engine over a real socket, GA and beta: malformed JSON, wrong
types, unknown events and fields, deep nesting, huge values, bad base64, odd-length PCM.

Each example opens a connection, sends a handful of frames without waiting, then a probe
(``input_audio_buffer.clear``): the probe must be answered, or the connection must have closed
with a code. No handler may fail (no ERROR log from the engine). ``FUZZ_EVENTS`` sets how many
frames in all (default 2,000; the long run is ``FUZZ_EVENTS=10000``). After the fuzz, a normal
tool turn must still work on the same server.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from realtime.local.server import EngineServer
from realtime.protocol.events import BETA_CLIENT_EVENTS, GA_CLIENT_EVENTS
from realtime.tools import default_registry
from tests.support.engines import instant_engine

FUZZ_EVENTS = int(os.environ.get("FUZZ_EVENTS", "2000"))
PER_EXAMPLE = 10
QUICK = 10.0
sent = {"frames": 0, "closed": 0, "examples": 0}

TYPES = sorted(set(GA_CLIENT_EVENTS) | set(BETA_CLIENT_EVENTS)) + ["nope", ""]
FIELDS = [
    "session",
    "response",
    "item",
    "audio",
    "item_id",
    "content_index",
    "audio_end_ms",
    "response_id",
    "previous_item_id",
    "event_id",
    "metadata",
    "x",
]
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
session_keys = [
    "type",
    "instructions",
    "voice",
    "audio",
    "tools",
    "tool_choice",
    "temperature",
    "output_modalities",
    "turn_detection",
    "max_output_tokens",
    "modalities",
    "input_audio_format",
    "speed",
    "tracing",
]


@st.composite
def event(draw: st.DrawFn) -> str | bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:  # raw text or bytes
        return draw(st.one_of(st.text(max_size=50), st.binary(max_size=50)))
    if kind == 1:  # deep nesting
        depth = draw(st.integers(20, 3000))
        return '{"type":"session.update","session":' + '{"a":' * depth + "1" + "}" * (depth + 1)
    if kind == 2:  # non-finite and huge numbers, as text
        number = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000]))
        key = draw(st.sampled_from(["temperature", "speed", "max_output_tokens", "threshold"]))
        return (
            '{"type":"session.update","session":{"type":"realtime","' + key + '":' + number + "}}"
        )
    if kind == 3:  # appends: good, odd-length, bad base64, wrong type
        pcm = draw(st.binary(max_size=3000))
        audio: Any = draw(
            st.sampled_from(
                [
                    base64.b64encode(pcm).decode(),
                    "!!!",
                    "AA==",
                    5,
                    None,
                    "\ud800",
                ]
            )
        )
        return json.dumps({"type": "input_audio_buffer.append", "audio": audio})
    if kind == 4:  # lone surrogates in echoed text
        return '{"type":"session.update","session":{"type":"realtime","instructions":"x\\udc00"}}'
    event: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        event[key] = draw(json_value)
    if kind >= 7 and event["type"] in ("session.update", "response.create"):
        field = "session" if event["type"] == "session.update" else "response"
        event[field] = {
            k: draw(json_value) for k in draw(st.lists(st.sampled_from(session_keys), max_size=3))
        }
        if field == "session" and draw(st.booleans()):
            event[field]["type"] = "realtime"
    return json.dumps(event)


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    with EngineServer(engine=instant_engine()) as running:
        yield running


class ErrorLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def probe(url: str, frames: list[str | bytes], beta: bool) -> None:
    headers = {"OpenAI-Beta": "realtime=v1"} if beta else {}
    with connect(url, additional_headers=headers, max_size=None) as ws:
        try:
            for frame in frames:
                ws.send(frame)
                sent["frames"] += 1
            ws.send('{"type":"input_audio_buffer.clear","event_id":"probe"}')
            deadline = time.monotonic() + QUICK
            while time.monotonic() < deadline:
                if json.loads(ws.recv(QUICK))["type"] == "input_audio_buffer.cleared":
                    return
            raise AssertionError("the probe was never answered")
        except ConnectionClosed as exc:
            assert exc.rcvd is not None, "closed without a close frame"
            assert exc.rcvd.code in (1008, 1009), exc.rcvd
            sent["closed"] += 1


def test_fuzzed_clients_never_break_the_engine(server: EngineServer) -> None:
    handler = ErrorLogs()
    logging.getLogger("realtime").addHandler(handler)
    try:
        run_fuzz(server)
    finally:
        logging.getLogger("realtime").removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records[:3]]
    assert sent["frames"] >= FUZZ_EVENTS * 0.9, sent
    print(f"fuzz: {sent}")
    tool_turn_works(server)


def run_fuzz(server: EngineServer) -> None:
    @settings(
        max_examples=FUZZ_EVENTS // PER_EXAMPLE,
        deadline=None,
        derandomize=os.environ.get("FUZZ_SEED") is None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(frames=st.lists(event(), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE), beta=st.booleans())
    def example(frames: list[str | bytes], beta: bool) -> None:
        sent["examples"] += 1
        probe(server.realtime_url(), frames, beta)

    example()


def tool_turn_works(server: EngineServer) -> None:
    with connect(server.realtime_url(), max_size=None) as ws:
        session = {
            "type": "realtime",
            "output_modalities": ["text"],
            "tools": default_registry.definitions(),
        }
        ws.send(json.dumps({"type": "session.update", "session": session}))
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "What time is it in Tokyo?"}],
        }
        ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        ws.send('{"type":"response.create"}')
        seen = []
        deadline = time.monotonic() + QUICK
        while time.monotonic() < deadline:
            seen.append(json.loads(ws.recv(QUICK)))
            if seen[-1]["type"] == "response.done":
                break
        done = seen[-1]
        assert done["type"] == "response.done" and done["response"]["status"] == "completed"
        assert any(o["type"] == "function_call" for o in done["response"]["output"]), done
