"""Hosted session extras in the local engine, over a real socket with instant stages: the
transcription logprobs ``include`` asks for, a custom voice object in a session and in a
``response.create``, the idle timeout's nudge, and truncation (what the responder reads)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.stages.responders.responder import Reply, ResponseRequest
from realtime.protocol.logprobs import from_wire, words
from realtime.protocol.pcm import bytes_for_ms
from tests.support.engine_client import Client, of_type, open_client
from tests.support.engines import FixedTranscriber, SilentSynthesizer, instant_engine

PUSH_TO_TALK = {"turn_detection": None, "transcription": {"model": "whisper-1"}}
INCLUDE = ["item.input_audio_transcription.logprobs"]


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    with EngineServer(engine=instant_engine()) as running:
        yield running


def spoken_turn(client: Client) -> dict[str, object]:
    audio = base64.b64encode(bytes(bytes_for_ms(300))).decode()
    client.send("input_audio_buffer.append", audio=audio)
    client.send("input_audio_buffer.commit")
    return client.until("conversation.item.input_audio_transcription.completed")[-1]


def test_logprobs_come_when_include_asks_and_not_otherwise(server: EngineServer) -> None:
    with open_client(server.realtime_url()) as client:
        client.update(type="realtime", audio={"input": PUSH_TO_TALK})
        plain = spoken_turn(client)
        assert "logprobs" not in plain and plain["transcript"] == "What time is it in Tokyo?"
        echoed = client.update(type="realtime", include=INCLUDE)
        assert echoed["include"] == INCLUDE
        done = spoken_turn(client)
    entries = done["logprobs"]
    assert all(set(e) == {"token", "logprob", "bytes"} for e in entries)
    found = words(from_wire(entries))
    assert " ".join(w.text for w in found) == done["transcript"]
    assert [w.text for w in found if w.unsure] == ["Tokyo?"]


def test_include_in_a_transcription_session_brings_logprobs_too(server: EngineServer) -> None:
    url = server.realtime_url().replace("/realtime", "/realtime?intent=transcription")
    with open_client(url) as client:
        client.update(
            type="transcription",
            audio={"input": {**PUSH_TO_TALK, "transcription": {"model": "whisper-1"}}},
            include=INCLUDE,
        )
        done = spoken_turn(client)
    assert [w.text for w in words(from_wire(done["logprobs"])) if w.unsure] == ["Tokyo?"]


def test_a_custom_voice_object_is_taken_by_session_and_response(server: EngineServer) -> None:
    voice = {"id": "voice_1234"}
    with open_client(server.realtime_url()) as client:
        echoed = client.update(type="realtime", audio={"output": {"voice": voice}})
        assert echoed["audio"]["output"]["voice"] == voice
        client.say("What time is it in Tokyo?")
        first = client.until("response.done")
        assert first[-1]["response"]["status"] == "completed"
        assert of_type(first, "response.output_audio.delta")
        client.send(
            "response.create",
            response={"audio": {"output": {"voice": {"id": "voice_other"}}}},
        )
        second = client.until("response.done")
        assert second[-1]["response"]["status"] == "completed" and not of_type(second, "error")
        client.send(
            "response.create",
            event_id="evt_v",
            response={"audio": {"output": {"voice": {"id": "x"}}}},
        )
        error = client.error()
    assert (error["code"], error["param"]) == ("invalid_value", "response.audio.output.voice.id")


def test_piper_says_in_a_log_line_that_its_default_speaks_for_a_custom_voice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from realtime.local.stages.tts.piper import DEFAULT_VOICE, resolve_voice

    with caplog.at_level(logging.INFO, logger="realtime.local.stages.tts.piper"):
        assert resolve_voice("voice_1234").name == DEFAULT_VOICE
    assert "custom voice voice_1234 is not one the engine has" in caplog.text


# ---- idle_timeout_ms ------------------------------------------------------------------------
def idle_session(client: Client, turn_detection: dict[str, object]) -> None:
    audio_in = {"turn_detection": turn_detection, "transcription": {"model": "whisper-1"}}
    client.update(type="realtime", audio={"input": audio_in})
    client.say("What time is it in Tokyo?")
    client.until("response.done")


def silence(client: Client, ms: int) -> None:
    chunk = base64.b64encode(bytes(bytes_for_ms(100))).decode()
    for _ in range(ms // 100):
        client.send("input_audio_buffer.append", audio=chunk)


def test_silence_after_an_answer_brings_the_nudge(server: EngineServer) -> None:
    from openai.types.realtime import InputAudioBufferTimeoutTriggered

    with open_client(server.realtime_url()) as client:
        idle_session(client, {"type": "server_vad", "idle_timeout_ms": 5000})
        silence(client, 5600)
        events = client.until("response.done")
    (timeout,) = of_type(events, "input_audio_buffer.timeout_triggered")
    InputAudioBufferTimeoutTriggered.model_validate(timeout)
    # The answer's audio (three sentences of 100 ms) plays from the start of the silence.
    assert (timeout["audio_start_ms"], timeout["audio_end_ms"]) == (300, 5300)
    (committed,) = of_type(events, "input_audio_buffer.committed")
    assert committed["item_id"] == timeout["item_id"]
    (heard,) = of_type(events, "conversation.item.input_audio_transcription.completed")
    assert heard["item_id"] == timeout["item_id"] and heard["transcript"] == ""
    said = of_type(events, "response.output_audio_transcript.done")
    assert [e["transcript"] for e in said] == ["Are you still there?"]
    assert events[-1]["response"]["status"] == "completed"
    kinds = [e["type"] for e in events]
    assert kinds.index("input_audio_buffer.timeout_triggered") < kinds.index("response.created")


@pytest.mark.parametrize(
    "turn_detection",
    [{"type": "server_vad"}, {"type": "semantic_vad"}],
    ids=["no idle timeout", "semantic_vad"],
)
def test_no_nudge_without_an_idle_timeout_or_with_semantic_vad(
    server: EngineServer, turn_detection: dict[str, object]
) -> None:
    with open_client(server.realtime_url()) as client:
        idle_session(client, turn_detection)
        silence(client, 6000)
        client.send("input_audio_buffer.clear")
        events = client.until("input_audio_buffer.cleared")
    assert not of_type(events, "input_audio_buffer.timeout_triggered")
    assert not of_type(events, "response.created")


def test_no_nudge_before_any_answer(server: EngineServer) -> None:
    with open_client(server.realtime_url()) as client:
        audio_in = {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}
        client.update(type="realtime", audio={"input": audio_in})
        silence(client, 6000)
        client.send("input_audio_buffer.clear")
        events = client.until("input_audio_buffer.cleared")
    assert not of_type(events, "input_audio_buffer.timeout_triggered")


# ---- truncation -----------------------------------------------------------------------------
class Recorder:
    """A responder that answers every turn with one short sentence and keeps what it read."""

    def __init__(self) -> None:
        self.requests: list[ResponseRequest] = []

    def respond(self, request: ResponseRequest) -> Reply:
        self.requests.append(request)
        return Reply("Noted.")


def test_a_retention_ratio_cuts_what_the_responder_reads_and_what_is_billed() -> None:
    recorder = Recorder()
    engine = Engine(
        transcriber=FixedTranscriber(),
        responder=recorder,
        synthesizer=lambda voice, speed: SilentSynthesizer(),
    )
    turn = "x" * 400  # 100 tokens a turn; each answer ("Noted.") 2 more
    truncation = {
        "type": "retention_ratio",
        "retention_ratio": 0.5,
        "token_limits": {"post_instructions": 1000},
    }
    with EngineServer(engine=engine) as running, open_client(running.realtime_url()) as client:
        echoed = client.update(type="realtime", output_modalities=["text"], truncation=truncation)
        assert echoed["truncation"] == truncation
        billed = []
        for index in range(16):
            client.say(f"{index:02d}{turn}")
            done = client.until("response.done")[-1]["response"]
            billed.append(done["usage"]["input_token_details"]["text_tokens"])
        client.update(type="realtime", truncation="disabled")
        client.say("last")
        whole = client.until("response.done")[-1]["response"]["usage"]
    firsts = [next(m.text[:2] for m in r.messages if m.role == "user") for r in recorder.requests]
    # up to 1,000 tokens the responder reads everything; the 10th turn passes it and the
    # oldest go until half is left, then the cut holds while the conversation fills up again
    assert firsts == ["00"] * 9 + ["06"] * 6 + ["12", "00"]
    instructions = billed[0] - 101
    assert all(b - instructions <= 1000 for b in billed)
    assert billed[9] < billed[8]  # the cut shows in what is billed
    assert len(recorder.requests[-1].messages) == 33  # disabled: every item read again
    assert whole["input_token_details"]["text_tokens"] > max(billed)
