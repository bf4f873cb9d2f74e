"""Transcription sessions of the local engine over a real socket, with spoken audio and Whisper.

Piper's steady voice (``tests.support.speech``) speaks, at the pace of a microphone, into a
session opened with ``?intent=transcription`` (GA) or set up by ``transcription_session.update``
(beta): partial transcripts while the speech goes on, the completed one after it, and no
response at all.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.protocol.pcm import bytes_for_ms, chunk_pcm16
from tests.support.engine_client import TURN, Client, of_type, open_client
from tests.support.speech import steady_speech

pytestmark = pytest.mark.engine

DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
SAID = "What time is it in Tokyo right now? I would like to call my sister there tonight."


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    engine = Engine.default(responder="rules")  # nothing answers: no language model to load
    engine.warm()
    with EngineServer(engine=engine) as running:
        yield running


def stream_live(client: Client, pcm: bytes) -> None:
    """Append ``pcm`` at the pace a microphone would: partials are made while speech goes on,
    so audio sent faster than real time would end the turn before the first one is back."""
    start = time.monotonic()
    audio = bytes(bytes_for_ms(200)) + pcm + bytes(bytes_for_ms(1200))
    for index, chunk in enumerate(chunk_pcm16(audio, 20)):
        client.send("input_audio_buffer.append", audio=base64.b64encode(chunk).decode())
        time.sleep(max(0.0, start + (index + 1) * 0.02 - time.monotonic()))  # audio time


def transcribe(client: Client) -> list[dict[str, Any]]:
    stream_live(client, steady_speech(SAID))
    events = client.until(COMPLETED, TURN)
    client.send("input_audio_buffer.clear")  # whatever the turn made comes before its answer
    return events + client.until("input_audio_buffer.cleared", TURN)


def check(events: list[dict[str, Any]]) -> None:
    assert not [e for e in events if e["type"].startswith("response.") or e["type"] == "error"]
    started = of_type(events, "input_audio_buffer.speech_started")[0]
    stopped = of_type(events, "input_audio_buffer.speech_stopped")[0]
    assert 0 <= started["audio_start_ms"] < stopped["audio_end_ms"]
    (completed,) = of_type(events, COMPLETED)
    assert completed["item_id"] == started["item_id"]
    assert "tokyo" in completed["transcript"].lower()
    deltas = [e for e in of_type(events, DELTA) if e["item_id"] == started["item_id"]]
    assert deltas, "no partial transcript came while the user spoke"
    assert events.index(deltas[0]) < events.index(stopped)  # partial: before the speech ended
    partial = "".join(e["delta"] for e in deltas).lower()
    assert partial.split()[0] in completed["transcript"].lower()


def test_a_ga_transcription_session_gives_partials_and_completed_and_no_answer(
    server: EngineServer,
) -> None:
    with open_client(f"{server.url}/realtime?intent=transcription") as client:
        created = client.events[0]["session"]
        assert created["type"] == "transcription"
        check(transcribe(client))


def test_a_beta_transcription_session_update_works_the_same(server: EngineServer) -> None:
    with open_client(server.realtime_url(), **{"OpenAI-Beta": "realtime=v1"}) as client:
        client.send(
            "transcription_session.update",
            session={"input_audio_transcription": {"model": "whisper-1", "language": "en"}},
        )
        updated = client.until("transcription_session.updated")[-1]["session"]
        assert updated["object"] == "realtime.transcription_session"
        check(transcribe(client))
