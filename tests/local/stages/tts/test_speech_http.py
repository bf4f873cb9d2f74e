"""ASR and TTS delegated over HTTP (``realtime.local.stages.speech_http``), against a fake
OpenAI-compatible speech service on loopback (``tests.support.speech_service``).

No model loads here: the rules answer and the fake service transcribes and speaks.
"""

from __future__ import annotations

import io
import json
import socket
import wave
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from websockets.sync.client import connect

from realtime.local.engine import Engine, http_synthesizer
from realtime.local.server import EngineServer
from realtime.local.stages.asr import transcription_http
from realtime.local.stages.asr.transcription_http import (
    HttpTranscriber,
    multipart_body,
    transcript_from_json,
)
from realtime.local.stages.responders.rules import RuleBasedResponder
from realtime.local.stages.tts import speech_http
from realtime.local.stages.tts.speech_http import HttpSynthesizer, audio_from_body
from realtime.protocol.errors import ConfigError, EngineError
from realtime.protocol.pcm import decode_pcm16_base64
from realtime.protocol.wav import write_wav
from tests.support.bridge import S
from tests.support.speech_service import Reply, SpeechService, parse_multipart

SECRET = b"SECRET-BODY-TEXT from the peer"
TRANSCRIBE = "/v1/audio/transcriptions"
SPEECH = "/v1/audio/speech"


@pytest.fixture
def service() -> Iterator[SpeechService]:
    with SpeechService() as running:
        yield running


def tone(samples: int, value: int = 1000) -> bytes:
    return np.full(samples, value, "<i2").tobytes()


def wav_file(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    write_wav(out, pcm, rate)
    return out.getvalue()


# ---- pure helpers -----------------------------------------------------------------------
def test_multipart_body_parses_back_to_its_fields_and_file() -> None:
    body, content_type = multipart_body(
        {"model": "whisper-1", "prompt": 'say "hi"\nplease'},
        {"file": ("turn.wav", "audio/wav", b"\x00RIFF\r\n--x")},
    )
    fields, files = parse_multipart(content_type, body)
    assert fields == {"model": "whisper-1", "prompt": 'say "hi"\nplease'}
    assert files == {"file": ("turn.wav", "audio/wav", b"\x00RIFF\r\n--x")}


def test_body_checks() -> None:
    assert transcript_from_json(b'{"text": " hi ", "language": "fr"}', "u", 5.0).text == "hi"
    with pytest.raises(EngineError, match="without a text"):
        transcript_from_json(b'{"txt": 1}', "u", 0)
    assert audio_from_body(b"\x01\x02", "u") == b"\x01\x02"
    with pytest.raises(EngineError, match="whole 16-bit samples"):
        audio_from_body(b"\x01\x02\x03", "u")
    with pytest.raises(EngineError, match="unreadable WAV"):
        audio_from_body(b"RIFF nonsense", "u")


def test_speed_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError):
        HttpSynthesizer("http://127.0.0.1:9/v1", speed=9.0)


# ---- round trips ------------------------------------------------------------------------
def test_transcription_round_trip(service: SpeechService) -> None:
    service.replies[TRANSCRIBE] = Reply(body=b'{"text": " What time is it? ", "language": "en"}')
    pcm = tone(2400)
    heard = HttpTranscriber(service.url, model="small").transcribe(
        pcm, language="en", prompt="Tokyo"
    )
    assert (heard.text, heard.language, heard.duration_ms) == ("What time is it?", "en", 100.0)
    (request,) = service.requests
    assert request.path == TRANSCRIBE
    assert request.fields == {
        "model": "small",
        "response_format": "json",
        "language": "en",
        "prompt": "Tokyo",
    }
    filename, content_type, data = request.files["file"]
    assert (filename, content_type) == ("turn.wav", "audio/wav")
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        assert wav.readframes(wav.getnframes()) == pcm
    assert "authorization" not in request.headers


def test_transcription_without_language_or_prompt_sends_neither(service: SpeechService) -> None:
    assert HttpTranscriber(service.url).transcribe(tone(480)).text == "hello"
    assert set(service.requests[0].fields) == {"model", "response_format"}
    assert HttpTranscriber(service.url).transcribe(b"").text == ""  # nothing to send
    assert len(service.requests) == 1


def test_speech_round_trip_in_pcm(service: SpeechService) -> None:
    voice = HttpSynthesizer(service.url, voice="marin", speed=1.25, model="gpt-4o-mini-tts")
    stream = voice.stream("Hello there. How are you?")  # lazy: one request per next()
    service.replies[SPEECH] = Reply(content_type="audio/pcm", body=tone(2400, 100))
    assert next(stream) == ("Hello there.", tone(2400, 100))
    service.replies[SPEECH] = Reply(content_type="audio/pcm", body=tone(4800, 200))
    assert list(stream) == [("How are you?", tone(4800, 200))]
    assert [r.json for r in service.requests] == [
        {
            "model": "gpt-4o-mini-tts",
            "input": text,
            "voice": "marin",
            "speed": 1.25,
            "response_format": "pcm",
        }
        for text in ("Hello there.", "How are you?")
    ]


def test_speech_as_wav_at_another_rate_is_resampled(service: SpeechService) -> None:
    native = (np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000) * 8000).astype("<i2")
    body = wav_file(native.tobytes(), 16000)
    service.replies[SPEECH] = Reply(content_type="audio/wav", body=body)
    pcm = HttpSynthesizer(service.url).synthesize("One second of tone.")
    assert len(pcm) % 2 == 0
    assert abs(len(pcm) // 2 - 24000) < 100  # 1 s at 24 kHz
    assert int(np.abs(np.frombuffer(pcm, "<i2")).max()) > 6000


def test_bearer_header_only_with_a_key(service: SpeechService) -> None:
    HttpSynthesizer(service.url, api_key="sk-test").synthesize("Hi.")
    HttpSynthesizer(service.url).synthesize("Hi.")
    HttpTranscriber(service.url, api_key="sk-asr").transcribe(tone(480))
    with_key, without, asr = service.requests
    assert with_key.headers["authorization"] == "Bearer sk-test"
    assert "authorization" not in without.headers
    assert asr.headers["authorization"] == "Bearer sk-asr"


def test_full_endpoint_url_is_taken_as_is(service: SpeechService) -> None:
    HttpSynthesizer(service.url + "/audio/speech/").synthesize("Hi.")
    assert service.requests[0].path == SPEECH


# ---- failures ---------------------------------------------------------------------------
def _fails(call: Any, match: str) -> str:
    with pytest.raises(EngineError, match=match) as caught:
        call()
    message = str(caught.value)
    assert SECRET.decode() not in message and "SECRET" not in message
    return message


def test_server_error_names_the_url_and_status_not_the_body(service: SpeechService) -> None:
    service.replies[SPEECH] = Reply(500, "text/plain", SECRET)
    service.replies[TRANSCRIBE] = Reply(401, "application/json", SECRET)
    message = _fails(lambda: HttpSynthesizer(service.url).synthesize("Hi."), "HTTP 500")
    assert f"{service.url}/audio/speech" in message
    message = _fails(lambda: HttpTranscriber(service.url).transcribe(tone(480)), "HTTP 401")
    assert "API key" in message


def test_garbage_json_is_refused(service: SpeechService) -> None:
    service.replies[TRANSCRIBE] = Reply(body=b"<html>" + SECRET)
    _fails(lambda: HttpTranscriber(service.url).transcribe(tone(480)), "did not answer JSON")
    service.replies[TRANSCRIBE] = Reply(body=json.dumps({"error": SECRET.decode()}).encode())
    _fails(lambda: HttpTranscriber(service.url).transcribe(tone(480)), "without a text")


@pytest.mark.parametrize("declared", [True, False])
def test_oversized_body_is_refused(
    service: SpeechService, monkeypatch: pytest.MonkeyPatch, declared: bool
) -> None:
    monkeypatch.setattr(speech_http, "MAX_AUDIO_BYTES", 1000)
    monkeypatch.setattr(transcription_http, "MAX_JSON_BYTES", 100)
    service.replies[SPEECH] = Reply(content_type="audio/pcm", body=SECRET * 100, length=declared)
    _fails(lambda: HttpSynthesizer(service.url).synthesize("Hi."), "more than the 1000")
    text = json.dumps({"text": SECRET.decode() * 10}).encode()
    service.replies[TRANSCRIBE] = Reply(body=text, length=declared)
    _fails(lambda: HttpTranscriber(service.url).transcribe(tone(480)), "more than the 100 ")


def test_odd_length_pcm_is_refused(service: SpeechService) -> None:
    service.replies[SPEECH] = Reply(content_type="audio/pcm", body=SECRET + b"x")
    assert len(SECRET + b"x") % 2
    _fails(lambda: HttpSynthesizer(service.url).synthesize("Hi."), "whole 16-bit samples")


def test_connection_refused() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, and nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    _fails(lambda: HttpSynthesizer(url).synthesize("Hi."), "Cannot reach the speech service")
    _fails(lambda: HttpTranscriber(url).transcribe(tone(480)), "Cannot reach the transcription")


def test_timeout(service: SpeechService) -> None:
    service.replies[SPEECH] = Reply(content_type="audio/pcm", body=SECRET, hold=True)
    _fails(
        lambda: HttpSynthesizer(service.url, timeout=0.2 * S).synthesize("Hi."),
        "speech service .* (did not answer within|timed out)",
    )


def test_warm_up_against_a_failing_service_is_a_clear_error(service: SpeechService) -> None:
    service.replies[SPEECH] = Reply(503, "text/plain", SECRET)
    engine = Engine.default(responder="rules", asr_url=service.url, tts_url=service.url)
    message = _fails(engine.warm, "Warming up failed")
    assert "HTTP 503" in message and service.url in message


def test_warm_up_against_a_working_service(service: SpeechService) -> None:
    engine = Engine.default(responder="rules", asr_url=service.url, tts_url=service.url)
    engine.warm()
    assert [r.path for r in service.requests] == [SPEECH, TRANSCRIBE]
    assert service.requests[0].json["voice"] == "alloy"
    assert engine.voices == ()


# ---- end to end -------------------------------------------------------------------------
def test_typed_turn_is_spoken_by_the_speech_service(service: SpeechService) -> None:
    spoken = tone(2400, 1234)
    service.replies[SPEECH] = Reply(content_type="audio/pcm", body=spoken)
    engine = Engine(
        transcriber=HttpTranscriber(service.url),
        responder=RuleBasedResponder(),
        synthesizer=http_synthesizer(service.url),
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
    said = [r for r in service.requests if r.path == SPEECH]
    assert said and audio == spoken * len(said)
    voice = created["session"]["audio"]["output"]["voice"]
    assert {r.json["voice"] for r in said} == {voice}
    transcript = "".join(
        e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta"
    )
    assert " ".join(r.json["input"] for r in said) == transcript.strip()


def test_cli_passes_the_urls_and_the_keys_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from realtime.local import __main__ as cli

    seen: dict[str, Any] = {}

    def default(**options: Any) -> Engine:
        seen.update(options)
        raise EngineError("stop here")

    monkeypatch.setattr(cli.Engine, "default", default)
    monkeypatch.setenv("REALTIME_ASR_API_KEY", "sk-asr")
    monkeypatch.delenv("REALTIME_TTS_API_KEY", raising=False)
    argv = ["--asr-url", "http://127.0.0.1:1/v1", "--tts-url", "http://127.0.0.1:2/v1"]
    assert cli.main(argv) == 2
    assert "stop here" in capsys.readouterr().err
    assert seen["asr_url"] == "http://127.0.0.1:1/v1"
    assert seen["tts_url"] == "http://127.0.0.1:2/v1"
    assert (seen["asr_api_key"], seen["tts_api_key"]) == ("sk-asr", None)
