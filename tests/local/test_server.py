"""The local engine over a real socket on port 0, spoken to by the ``websockets`` client.

Speech is made by the engine's own Piper voice and streamed in 20 ms appends, faster than real
time, then 1 s of silence for the VAD. The models load once per module. Waits are multiples of
the tests' one time unit, ``tests.support.bridge.S``, never bare sleeps.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from realtime.client.core.conversation import Conversation
from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.stages.tts.piper import PiperSynthesizer
from realtime.local.stages.tts.synthesizer import Synthesizer
from realtime.protocol.pcm import bytes_for_ms, decode_pcm16_base64, duration_ms
from realtime.tools import default_registry
from tests.support.engine_client import QUICK, TEXT_ONLY, TURN, of_type, open_client

# Whisper base hears "Hello, who are you?" in the Piper voice as "who are" or "who were", by
# the run (CTranslate2's threads): the flow is under test here, not its ear.
HEARD = re.compile(r"who (are|were) you", re.IGNORECASE)

TOOLS = default_registry.definitions()
TRANSCRIBED = {"transcription": {"model": "whisper-1"}}


# ---- fixtures and helpers ---------------------------------------------------------------
@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine.default()
    engine.warm()
    return engine


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[EngineServer]:
    with EngineServer(engine=engine) as running:
        yield running


@pytest.fixture(scope="module")
def text_server() -> Iterator[EngineServer]:
    """For typed turns with text output: its models never load unless a test speaks."""
    with EngineServer(engine=Engine.default()) as running:
        yield running


class GatedSynthesizer:
    """Piper, holding every sentence after the first until the gate opens: a response that
    stays mid-answer for as long as a test needs it."""

    def __init__(self, inner: Synthesizer, gate: threading.Event) -> None:
        self.inner, self.gate = inner, gate

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        for index, sentence in enumerate(self.inner.stream(text)):
            if index:
                self.gate.wait(TURN)
            yield sentence


@pytest.fixture(scope="module")
def gate() -> threading.Event:
    return threading.Event()


@pytest.fixture(scope="module")
def gated_server(engine: Engine, gate: threading.Event) -> Iterator[EngineServer]:
    def synthesizer(voice: str, speed: float) -> Synthesizer:
        return GatedSynthesizer(engine.synthesizer(voice, speed), gate)

    with EngineServer(engine=dataclasses.replace(engine, synthesizer=synthesizer)) as running:
        yield running
        gate.set()  # let held workers finish


@pytest.fixture(scope="module")
def speech() -> dict[str, bytes]:
    voice = PiperSynthesizer()
    questions = ("What time is it in Tokyo?", "Hello, who are you?", "Please stop talking now.")
    return {q: voice.synthesize(q) for q in questions}


def audio_of(events: list[dict[str, Any]], event_type: str) -> bytes:
    return b"".join(decode_pcm16_base64(e["delta"]) for e in of_type(events, event_type))


def loud(pcm: bytes) -> bool:
    return bool(pcm) and int(np.abs(np.frombuffer(pcm, "<i2")).max()) > 1000


# ---- spoken turns ----------------------------------------------------------------------
@pytest.mark.engine
def test_spoken_question_gets_a_transcript_and_a_spoken_answer(
    server: EngineServer, speech: dict[str, bytes]
) -> None:
    with open_client(server.realtime_url()) as client:
        client.update(type="realtime", audio={"input": TRANSCRIBED})
        client.stream(speech["Hello, who are you?"])
        events = client.until("response.done", TURN)
        types = [e["type"] for e in events]
        for expected in (
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "response.created",
        ):
            assert expected in types
        started, stopped = (
            of_type(events, "input_audio_buffer.speech_started")[0],
            of_type(events, "input_audio_buffer.speech_stopped")[0],
        )
        assert 0 <= started["audio_start_ms"] < 300 < stopped["audio_end_ms"]
        heard = of_type(events, "conversation.item.input_audio_transcription.completed")[0]
        assert HEARD.search(heard["transcript"])
        assert heard["item_id"] == stopped["item_id"]
        assert loud(audio_of(events, "response.output_audio.delta"))
        done = events[-1]["response"]
        assert done["status"] == "completed"
        assert "assistant" in done["output"][0]["content"][0]["transcript"]


@pytest.mark.engine
def test_spoken_travel_question_calls_the_tool_then_speaks_its_output(
    server: EngineServer, speech: dict[str, bytes]
) -> None:
    with open_client(server.realtime_url()) as client:
        client.update(type="realtime", tools=TOOLS)
        client.stream(speech["What time is it in Tokyo?"])
        events = client.until("response.done", TURN)
        call = of_type(events, "response.function_call_arguments.done")[0]
        assert (call["name"], json.loads(call["arguments"])) == (
            "get_local_time",
            {"place": "Tokyo"},
        )
        # A few words are said while the tool runs (as hosted models do), then the call.
        added = [e["item"]["type"] for e in of_type(events, "response.output_item.added")]
        assert added == ["message", "function_call"]
        assert loud(audio_of(events, "response.output_audio.delta"))
        output = {"place": "Tokyo", "time": "14:05", "weekday": "Friday", "date": "2025-03-07"}
        item = {
            "type": "function_call_output",
            "call_id": call["call_id"],
            "output": json.dumps(output),
        }
        client.send("conversation.item.create", item=item)
        client.send("response.create")
        answer = client.until("response.done", TURN)
        transcript = of_type(answer, "response.output_audio_transcript.done")[0]["transcript"]
        assert "14:05" in transcript and "Tokyo" in transcript
        assert loud(audio_of(answer, "response.output_audio.delta"))


def test_typed_flight_question_calls_the_estimate_with_both_places(
    text_server: EngineServer,
) -> None:
    with open_client(text_server.realtime_url()) as client:
        client.update(**TEXT_ONLY, tools=TOOLS)
        client.say("How long is the flight from Paris to New York?")
        call = of_type(client.until("response.done"), "response.function_call_arguments.done")[0]
        assert json.loads(call["arguments"]) == {"origin": "Paris", "destination": "New York"}
        output = {
            "origin": {"city": "Paris", "code": "CDG"},
            "destination": {"city": "New York", "code": "JFK"},
            "distance_km": 5837,
            "block_time_minutes": 475,
        }
        item = {
            "type": "function_call_output",
            "call_id": call["call_id"],
            "output": json.dumps(output),
        }
        client.send("conversation.item.create", item=item)
        client.send("response.create")
        text = of_type(client.until("response.done"), "response.output_text.done")[0]["text"]
        assert "5,837 kilometres" in text and "7 hours and 55 minutes" in text


@pytest.mark.engine
def test_manual_commit_with_turn_detection_off(
    server: EngineServer, speech: dict[str, bytes]
) -> None:
    with open_client(server.realtime_url()) as client:
        client.update(
            type="realtime",
            output_modalities=["text"],
            audio={"input": {"turn_detection": None, **TRANSCRIBED}},
        )
        client.stream(speech["Hello, who are you?"], tail_ms=200)
        client.send("input_audio_buffer.commit")
        committed = client.until("input_audio_buffer.committed")
        assert not of_type(committed, "input_audio_buffer.speech_started")
        client.send("response.create")
        events = client.until("response.done", TURN)
        heard = of_type(client.events, "conversation.item.input_audio_transcription.completed")
        assert HEARD.search(heard[0]["transcript"])
        assert of_type(events, "response.output_text.done") and not of_type(
            events, "response.output_audio.delta"
        )


# ---- typed turns, modalities, beta -----------------------------------------------------
def test_typed_question_gets_a_typed_answer(text_server: EngineServer) -> None:
    with open_client(text_server.realtime_url()) as client:
        assert client.update(**TEXT_ONLY)["output_modalities"] == ["text"]
        client.say("Hello, who are you?")
        events = client.until("response.done")
        text = "".join(e["delta"] for e in of_type(events, "response.output_text.delta"))
        assert "offline voice assistant" in text
        assert not of_type(events, "response.output_audio.delta")
        assert events[-1]["response"]["usage"]["output_token_details"]["audio_tokens"] == 0


@pytest.mark.engine
def test_beta_clients_get_beta_names_and_the_same_conversation(server: EngineServer) -> None:
    transcripts = []
    for headers in ({}, {"OpenAI-Beta": "realtime=v1"}):
        with open_client(server.realtime_url(), **headers) as client:
            client.say("Hello, who are you?")
            client.until("response.done", TURN)
            types = {e["type"] for e in client.events}
            conv = Conversation()
            for event in client.events:
                conv.receive_frame(json.dumps(event))
            assert not conv.errors and not conv.unknown_events
            transcripts.append([(i.role, i.text) for i in conv.ordered_items()])
            if headers:
                assert {
                    "response.audio.delta",
                    "response.audio_transcript.delta",
                    "conversation.item.created",
                } <= types
                assert (
                    not {
                        "conversation.item.added",
                        "conversation.item.done",
                        "response.output_audio.delta",
                    }
                    & types
                )
                assert client.events[0]["session"]["modalities"] == ["text", "audio"]
            else:
                assert {"response.output_audio.delta", "conversation.item.done"} <= types
    assert transcripts[0] == transcripts[1] and len(transcripts[0]) == 2


# ---- interruptions ----------------------------------------------------------------------
@pytest.mark.engine
def test_barge_in_cancels_the_answer(gated_server: EngineServer, speech: dict[str, bytes]) -> None:
    with open_client(gated_server.realtime_url()) as client:
        client.say("Hello, who are you?")
        client.until("response.output_audio.delta", TURN)  # first sentence out, the rest held
        client.stream(speech["Please stop talking now."])
        events = client.until("response.done", TURN)
        types = [e["type"] for e in events]
        assert types.index("input_audio_buffer.speech_started") < types.index("response.done")
        done = events[-1]["response"]
        assert done["status"] == "cancelled"
        assert done["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
        item_id = done["output"][0]["id"]
        client.send(
            "conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=300
        )
        assert client.until("conversation.item.truncated")[-1]["audio_end_ms"] == 300


@pytest.mark.engine
def test_response_cancel_stops_the_answer_at_once(gated_server: EngineServer) -> None:
    with open_client(gated_server.realtime_url()) as client:
        client.say("Hello, who are you?")
        first = client.until("response.output_audio.delta", TURN)
        rid = first[-1]["response_id"]
        client.send("response.cancel", response_id=rid)
        events = client.until("response.done")
        done = events[-1]["response"]
        assert (done["id"], done["status"]) == (rid, "cancelled")
        assert done["status_details"]["reason"] == "client_cancelled"
        # Nothing of the cancelled response arrives afterwards; the session answers the next turn.
        client.update(**TEXT_ONLY)
        client.say("Thanks")
        after = client.until("response.done")
        assert all(e.get("response_id") in (None, after[-1]["response"]["id"]) for e in after)


@pytest.mark.engine
def test_truncate_trims_the_spoken_item(server: EngineServer) -> None:
    with open_client(server.realtime_url()) as client:
        client.say("Hello, who are you?")
        events = client.until("response.done", TURN)
        spoken_ms = duration_ms(len(audio_of(events, "response.output_audio.delta")))
        item_id = events[-1]["response"]["output"][0]["id"]
        client.send(
            "conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=700
        )
        truncated = client.until("conversation.item.truncated")[-1]
        assert (truncated["item_id"], truncated["audio_end_ms"]) == (item_id, 700)
        client.send("conversation.item.retrieve", item_id=item_id)
        part = client.until("conversation.item.retrieved")[-1]["item"]["content"][0]
        assert len(base64.b64decode(part["audio"])) == bytes_for_ms(700)
        full = events[-1]["response"]["output"][0]["content"][0]["transcript"]
        assert full.startswith(part["transcript"]) and len(part["transcript"]) < len(full)
        client.send(
            "conversation.item.truncate",
            item_id=item_id,
            content_index=0,
            audio_end_ms=int(spoken_ms) + 1000,
        )
        assert client.error()["param"] == "audio_end_ms"


@pytest.mark.engine
def test_a_client_leaving_mid_answer_leaves_the_server_healthy(
    gated_server: EngineServer,
) -> None:
    with open_client(gated_server.realtime_url()) as leaving:
        leaving.say("Hello, who are you?")
        leaving.until("response.output_audio.delta", TURN)
        leaving.ws.socket.shutdown(socket.SHUT_RDWR)  # gone mid-answer, without a goodbye
    with open_client(gated_server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        client.say("Hello")
        assert client.until("response.done")[-1]["response"]["status"] == "completed"


# ---- errors -----------------------------------------------------------------------------
def test_every_error_comes_back_as_an_event_and_the_session_goes_on(
    text_server: EngineServer,
) -> None:
    with open_client(text_server.realtime_url()) as client:
        client.send("response.explode", event_id="e1")
        assert client.error() | {"message": ""} == {
            "type": "invalid_request_error",
            "code": "invalid_value",
            "param": "type",
            "event_id": "e1",
            "message": "",
        }
        client.send("conversation.item.create", event_id="e2")
        assert client.error()["code"] == "missing_required_parameter"
        client.send("input_audio_buffer.append", audio="%%%")
        assert client.error()["param"] == "audio"
        client.send(
            "session.update",
            session={"type": "realtime", "audio": {"input": {"turn_detection": None}}},
        )
        client.until("session.updated")
        client.send("input_audio_buffer.commit")
        assert client.error()["code"] == "input_audio_buffer_commit_empty"
        client.send("input_audio_buffer.append", audio=base64.b64encode(bytes(2400)).decode())
        client.send("input_audio_buffer.commit")  # 50 ms
        assert client.error()["code"] == "input_audio_buffer_commit_empty"
        client.send("session.update", session={"type": "realtime", "temperature": 0.8})
        assert client.error()["code"] == "unknown_parameter"
        client.send(
            "session.update",
            session={
                "type": "realtime",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 3}}},
            },
        )
        error = client.error()
        assert (error["code"], error["param"]) == (
            "invalid_value",
            "session.audio.input.turn_detection.threshold",
        )
        client.ws.send("{this is not json")
        assert client.error()["code"] == "invalid_json"
        client.update(**TEXT_ONLY)
        client.say("Hello")
        assert client.until("response.done")[-1]["response"]["status"] == "completed"


@pytest.mark.engine
def test_response_create_while_one_is_active_is_refused(gated_server: EngineServer) -> None:
    with open_client(gated_server.realtime_url()) as client:
        client.say("Hello, who are you?")
        rid = client.until("response.output_audio.delta", TURN)[-1]["response_id"]
        client.send("response.create", event_id="e9")
        error = client.error()
        assert (error["code"], error["event_id"]) == (
            "conversation_already_has_active_response",
            "e9",
        )
        client.send("response.cancel")
        assert client.until("response.done")[-1]["response"]["id"] == rid


def test_the_handshake_checks_the_path(text_server: EngineServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        with connect(f"ws://127.0.0.1:{text_server.port}/v1/chat"):
            pass
    assert refused.value.response.status_code == 404
    paths = {
        "/realtime?model=gpt-realtime-mini": "gpt-realtime-mini",
        "/v1/realtime/": "gpt-realtime",
        "/v1/realtime?deployment=my-deployment": "my-deployment",  # Azure's spelling
    }
    for path, model in paths.items():
        with open_client(f"ws://127.0.0.1:{text_server.port}{path}") as client:
            assert client.events[0]["session"]["model"] == model


def test_a_wrong_or_missing_key_is_refused_with_401() -> None:
    with EngineServer(engine=Engine.default(), api_key="sk-local") as keyed:
        for headers in ({}, {"Authorization": "Bearer sk-wrong"}, {"api-key": "nope"}):
            with pytest.raises(InvalidStatus) as refused:
                with connect(keyed.realtime_url(), additional_headers=headers):
                    pass
            response = refused.value.response
            assert response.status_code == 401
            body = json.loads(response.body)
            assert body["error"]["code"] in ("invalid_api_key", "missing_api_key")
            assert "API key" in body["error"]["message"]
        for headers in ({"Authorization": "Bearer sk-local"}, {"api-key": "sk-local"}):
            with open_client(keyed.realtime_url(), **headers) as client:
                assert client.events[0]["type"] == "session.created"


# ---- many sessions ----------------------------------------------------------------------
def test_twenty_sessions_at_once_all_complete_a_typed_turn(text_server: EngineServer) -> None:
    async def one(index: int) -> str:
        async with async_connect(text_server.realtime_url()) as ws:
            await ws.send(json.dumps({"type": "session.update", "session": TEXT_ONLY}))
            item = {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": f"Hello number {index}"}],
            }
            await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
            await ws.send(json.dumps({"type": "response.create"}))
            async with asyncio.timeout(TURN):
                async for frame in ws:
                    event = json.loads(frame)
                    if event["type"] == "response.done":
                        return str(event["response"]["status"])
        return "closed"

    async def all_of_them() -> list[str]:
        return list(await asyncio.gather(*(one(i) for i in range(20))))

    assert asyncio.run(all_of_them()) == ["completed"] * 20


def test_the_server_starts_and_stops_from_any_thread() -> None:
    running = EngineServer(engine=Engine.default()).start()
    assert running.url == f"ws://127.0.0.1:{running.port}/v1"
    stopper = threading.Thread(target=running.stop)
    stopper.start()
    stopper.join(QUICK)
    running.stop()  # idempotent
    with pytest.raises(OSError):
        with connect(running.realtime_url(), open_timeout=QUICK):
            pass


def test_the_key_never_reaches_the_server_logs_even_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def connect_with(url: str, key: str) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        quiet = logging.getLogger("tests.local_server.client")  # the test's own client is
        quiet.setLevel(logging.INFO)  # not under test: only the server's logging is
        async with async_connect(url, additional_headers=headers, logger=quiet) as ws:
            await ws.recv()  # session.created

    key = "sk-local-planted-31337"
    with caplog.at_level("DEBUG"), EngineServer(engine=Engine.default(), api_key=key) as keyed:
        asyncio.run(connect_with(keyed.realtime_url(), key))
    assert key not in caplog.text
