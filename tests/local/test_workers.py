"""The worker-thread side of the jobs (``realtime.local.workers``): a ``Speak`` job's pieces, and
over a real socket, a streamed answer spoken sentence by sentence while the model
(``tests.support.responders.FakeModel``) still generates."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.stages.responders.hybrid import HybridResponder
from realtime.local.workers import DONE, Mailbox, speak
from tests.support.engine_client import TEXT_ONLY, TURN, of_type, open_client
from tests.support.responders import FakeModel

SLOW = "The first sentence is short. Then a second one follows. And a third one ends it."


class Echo:
    """A synthesiser that says each piece it is given as one sentence."""

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        yield text, b"\x00\x00"


def test_a_long_first_sentence_is_split_only_when_it_opens_the_answer() -> None:
    """``Speak.lead``: the rest of an answer prepared ahead is spoken after its first sentence,
    so its own first sentence is not split as an opening one is."""
    text = "When you land in Tokyo tomorrow morning, the local time will be nine. Enjoy it."
    pieces = {}
    for lead in (True, False):
        loop = asyncio.new_event_loop()
        box = Mailbox(loop)
        speak(Echo(), text, threading.Event(), box, lead=lead)
        loop.run_until_complete(asyncio.sleep(0))
        posted = [box.queue.get_nowait() for _ in range(box.queue.qsize())]
        loop.close()
        assert posted[-1] is DONE
        pieces[lead] = [sentence for sentence, _ in posted[:-1]]
    assert pieces[True] == [
        "When you land in Tokyo tomorrow morning,",
        "the local time will be nine.",
        "Enjoy it.",
    ]
    assert pieces[False] == [
        "When you land in Tokyo tomorrow morning, the local time will be nine.",
        "Enjoy it.",
    ]


@pytest.mark.engine
def test_first_audio_of_a_streamed_answer_comes_before_generation_ends() -> None:
    model = FakeModel(SLOW, pause=0.15)  # about 2.4 s of generation
    engine = replace(Engine.default(responder="rules"), responder=HybridResponder(model))
    with EngineServer(engine=engine) as server, open_client(server.realtime_url()) as client:
        client.say("Tell me something long")
        first_audio = None
        while (event := client.recv(TURN))["type"] != "response.done":
            if event["type"] == "response.output_audio.delta" and first_audio is None:
                first_audio = time.monotonic()
        events = client.events
    assert first_audio is not None and model.finished_at is not None
    assert first_audio < model.finished_at - 0.5  # the model had more than a second to go
    assert events[-1]["response"]["status"] == "completed"
    transcript = events[-1]["response"]["output"][0]["content"][0]["transcript"]
    assert transcript == SLOW


@pytest.mark.engine
def test_a_streamed_text_answer_arrives_sentence_by_sentence() -> None:
    model = FakeModel(SLOW)
    engine = replace(Engine.default(responder="rules"), responder=HybridResponder(model))
    with EngineServer(engine=engine) as server, open_client(server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        client.say("Tell me something long")
        events = client.until("response.done", TURN)
    deltas = [e["delta"] for e in of_type(events, "response.output_text.delta")]
    assert deltas == [
        "The first sentence is short.",
        " Then a second one follows.",
        " And a third one ends it.",
    ]
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == SLOW
