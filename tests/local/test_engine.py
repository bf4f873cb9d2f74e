"""The engine's stages (``realtime.local.engine``) delegated to a speech service: warming up
against it, and a typed turn spoken by it over a real socket. No model loads here: the rules
answer and the fake service (``tests.support.speech_service``) transcribes and speaks; but the
warm-up of the bundled models, marked ``engine``."""

from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from realtime.local.engine import Engine, http_synthesizer
from realtime.local.server import EngineServer
from realtime.local.stages.asr.transcription_http import (
    HttpTranscriber,
)
from realtime.local.stages.responders.rules import PREAMBLES, RuleBasedResponder
from realtime.local.stages.text.sentences import opening
from realtime.local.stages.tts.piper import CLIPS, resolve_voice
from realtime.protocol.pcm import decode_pcm16_base64
from tests.support.bridge import S
from tests.support.speech_service import (
    SECRET,
    SPEECH,
    TRANSCRIBE,
    Reply,
    SpeechService,
    fails,
    flat_pcm,
)


def test_warm_up_against_a_failing_service_is_a_clear_error(speech_service: SpeechService) -> None:
    speech_service.replies[SPEECH] = Reply(503, "text/plain", SECRET)
    engine = Engine.default(
        responder="rules", asr_url=speech_service.url, tts_url=speech_service.url
    )
    message = fails(engine.warm, "Warming up failed")
    assert "HTTP 503" in message and speech_service.url in message


def test_warm_up_against_a_working_service(speech_service: SpeechService) -> None:
    engine = Engine.default(
        responder="rules", asr_url=speech_service.url, tts_url=speech_service.url
    )
    engine.warm()
    assert [r.path for r in speech_service.requests] == [SPEECH, TRANSCRIBE]
    assert speech_service.requests[0].json["voice"] == "alloy"
    assert engine.voices == ()


@pytest.mark.engine
def test_warm_up_keeps_the_openings_of_the_stock_answers_as_clips() -> None:
    # A tool's preamble, a greeting: their first audio need not wait for Piper.
    Engine.default(responder="rules").warm()
    stock = RuleBasedResponder.stock_answers()
    assert set(PREAMBLES.values()) <= set(stock) and len(stock) >= 8
    model = resolve_voice("alloy").model_path
    for answer in stock:
        assert CLIPS.get((model, 1.0, opening(answer))) is not None, answer


def test_typed_turn_is_spoken_by_the_speech_service(speech_service: SpeechService) -> None:
    spoken = flat_pcm(2400, 1234)
    speech_service.replies[SPEECH] = Reply(content_type="audio/pcm", body=spoken)
    engine = Engine(
        transcriber=HttpTranscriber(speech_service.url),
        responder=RuleBasedResponder(),
        synthesizer=http_synthesizer(speech_service.url),
    )
    with EngineServer(engine=engine) as server, connect(server.realtime_url()) as ws:
        created = json.loads(ws.recv(timeout=5 * S))
        assert created["type"] == "session.created"
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Hello, who are you?"}],
        }
        ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        ws.send(json.dumps({"type": "response.create"}))
        events = []
        while not events or events[-1]["type"] != "response.done":
            events.append(json.loads(ws.recv(timeout=10 * S)))
    assert events[-1]["response"]["status"] == "completed"
    deltas = [e for e in events if e["type"] == "response.output_audio.delta"]
    audio = b"".join(decode_pcm16_base64(e["delta"]) for e in deltas)
    said = [r for r in speech_service.requests if r.path == SPEECH]
    assert said and audio == spoken * len(said)
    voice = created["session"]["audio"]["output"]["voice"]
    assert {r.json["voice"] for r in said} == {voice}
    transcript = "".join(
        e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta"
    )
    assert " ".join(r.json["input"] for r in said) == transcript.strip()
