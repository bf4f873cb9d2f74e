"""Answers prepared at the turn's first pause, over a real socket with real speech.

The engine on port 0 hears Piper speech (``tests.support.speech``); the test sends the speech
and the first 100 ms of the silence after it, waits for the transcript delta that says the
guess at the pause is back (the answer is prepared from it in the same step), then sends the
rest of the silence that ends the turn. A responder that counts its runs shows that the answer
was not asked for twice; nothing is timed.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.session.prepared import AnswerCounts
from realtime.local.stages.responders.responder import Reply, Responder, ResponseRequest
from realtime.protocol.pcm import bytes_for_ms, chunk_pcm16
from realtime.tools import default_registry
from tests.support.engine_client import TURN, Client, of_type, open_client

# Whisper base hears "Hello, who are you?" in the Piper voice as "who are" or "who were", by
# the run (CTranslate2's threads): the flow is under test here, not its ear.
HEARD = re.compile(r"who (are|were) you", re.IGNORECASE)

pytestmark = pytest.mark.engine

DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
SETTINGS = {"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}}


class CountingResponder:
    """The engine's responder, counting the requests it answers (on worker threads)."""

    def __init__(self, inner: Responder) -> None:
        self.inner = inner
        self.requests: list[ResponseRequest] = []
        self._lock = threading.Lock()

    def respond(self, request: ResponseRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        return self.inner.respond(request)


@dataclasses.dataclass
class Running:
    server: EngineServer
    responder: CountingResponder
    counts: AnswerCounts


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine.default()
    engine.warm()
    return engine


@pytest.fixture
def running(engine: Engine) -> Iterator[Running]:
    responder, counts = CountingResponder(engine.responder), AnswerCounts()
    # No partial transcripts: the only transcript delta is then the guess at the pause.
    counted = dataclasses.replace(engine, responder=responder, answer_counts=counts, partials=False)
    with EngineServer(engine=counted) as server:
        yield Running(server, responder, counts)


def send(client: Client, pcm: bytes) -> None:
    for chunk in chunk_pcm16(pcm, 20):
        client.send("input_audio_buffer.append", audio=base64.b64encode(chunk).decode())


def speak_until_the_pause_is_heard(client: Client, text: str) -> list[dict[str, Any]]:
    """The speech and 100 ms of silence; the events up to the guess's words."""
    from tests.support.speech import steady_speech

    send(client, bytes(bytes_for_ms(200)) + steady_speech(text) + bytes(bytes_for_ms(100)))
    return client.until(DELTA, TURN)


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def test_a_prepared_answer_is_used_and_sent_only_after_the_turn_ends(running: Running) -> None:
    with open_client(running.server.realtime_url()) as client:
        client.update(**SETTINGS)
        before = speak_until_the_pause_is_heard(client, "Hello, who are you?")
        assert not any(t.startswith("response.") for t in types(before))
        send(client, bytes(bytes_for_ms(900)))
        after = client.until("response.done", TURN)
    seen = types(after)
    stopped = seen.index("input_audio_buffer.speech_stopped")
    assert seen[stopped : stopped + 5] == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    assert not any(t.startswith("response.") for t in seen[:stopped])
    assert seen.index(COMPLETED) < seen.index("response.output_item.added")
    assert HEARD.search(of_type(after, COMPLETED)[0]["transcript"])
    done = after[-1]["response"]
    assert done["status"] == "completed" and done["output"][0]["content"][0]["transcript"]
    assert of_type(after, "response.output_audio.delta")
    assert running.counts == AnswerCounts(started=1, used=1, dropped=0)
    assert len(running.responder.requests) == 1  # the prepared run was the answer


def test_speaking_on_after_the_pause_drops_the_prepared_answer(running: Running) -> None:
    from tests.support.speech import steady_speech

    with open_client(running.server.realtime_url()) as client:
        client.update(**SETTINGS, tools=default_registry.definitions())
        speak_until_the_pause_is_heard(client, "What time is it")
        assert running.counts.started == 1
        send(client, steady_speech("in Tokyo?") + bytes(bytes_for_ms(1000)))
        after = client.until("response.done", TURN)
    assert running.counts.dropped == 1  # the answer to "What time is it"
    seen = types(after)
    assert not any(t.startswith("response.") for t in seen[: seen.index("response.created")])
    call = of_type(after, "response.function_call_arguments.done")[0]
    assert "Tokyo" in call["arguments"]
    assert running.counts.used + running.counts.dropped == running.counts.started


def test_a_prepared_function_call_and_the_answer_after_its_output(running: Running) -> None:
    with open_client(running.server.realtime_url()) as client:
        client.update(**SETTINGS, tools=default_registry.definitions())
        speak_until_the_pause_is_heard(client, "What time is it in Tokyo?")
        send(client, bytes(bytes_for_ms(900)))
        turn = client.until("response.done", TURN)
        seen = types(turn)
        created = seen.index("response.created")
        assert seen[created + 1 : created + 3] == [COMPLETED, "response.output_item.added"]
        call = of_type(turn, "response.function_call_arguments.done")[0]
        assert call["name"] == "get_local_time" and "Tokyo" in call["arguments"]
        assert running.counts == AnswerCounts(started=1, used=1, dropped=0)
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
    assert "14:05" in transcript
    assert running.counts == AnswerCounts(started=2, used=2, dropped=0)
    assert len(running.responder.requests) == 2  # one run per response, each prepared
