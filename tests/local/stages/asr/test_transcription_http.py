"""Transcription delegated over HTTP (``realtime.local.stages.asr.transcription_http``), against
a fake OpenAI-compatible speech service on loopback (``tests.support.speech_service``)."""

from __future__ import annotations

import io
import json
import wave

import pytest

from realtime.local.stages.asr.transcription_http import (
    HttpTranscriber,
    multipart_body,
    transcript_from_json,
)
from realtime.protocol.errors import EngineError
from tests.support.speech_service import (
    SECRET,
    TRANSCRIBE,
    Reply,
    SpeechService,
    fails,
    flat_pcm,
    parse_multipart,
)


def test_multipart_body_parses_back_to_its_fields_and_file() -> None:
    body, content_type = multipart_body(
        {"model": "whisper-1", "prompt": 'say "hi"\nplease'},
        {"file": ("turn.wav", "audio/wav", b"\x00RIFF\r\n--x")},
    )
    fields, files = parse_multipart(content_type, body)
    assert fields == {"model": "whisper-1", "prompt": 'say "hi"\nplease'}
    assert files == {"file": ("turn.wav", "audio/wav", b"\x00RIFF\r\n--x")}


def test_transcription_round_trip(speech_service: SpeechService) -> None:
    speech_service.replies[TRANSCRIBE] = Reply(
        body=b'{"text": " What time is it? ", "language": "en"}'
    )
    pcm = flat_pcm(2400)
    heard = HttpTranscriber(speech_service.url, model="small").transcribe(
        pcm, language="en", prompt="Tokyo"
    )
    assert (heard.text, heard.language, heard.duration_ms) == ("What time is it?", "en", 100.0)
    (request,) = speech_service.requests
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


def test_transcription_without_language_or_prompt_sends_neither(
    speech_service: SpeechService,
) -> None:
    assert HttpTranscriber(speech_service.url).transcribe(flat_pcm(480)).text == "hello"
    assert set(speech_service.requests[0].fields) == {"model", "response_format"}
    assert HttpTranscriber(speech_service.url).transcribe(b"").text == ""  # nothing to send
    assert len(speech_service.requests) == 1


def test_garbage_json_is_refused(speech_service: SpeechService) -> None:
    speech_service.replies[TRANSCRIBE] = Reply(body=b"<html>" + SECRET)
    fails(
        lambda: HttpTranscriber(speech_service.url).transcribe(flat_pcm(480)), "did not answer JSON"
    )
    speech_service.replies[TRANSCRIBE] = Reply(body=json.dumps({"error": SECRET.decode()}).encode())
    fails(lambda: HttpTranscriber(speech_service.url).transcribe(flat_pcm(480)), "without a text")


def test_transcript_body_checks() -> None:
    assert transcript_from_json(b'{"text": " hi ", "language": "fr"}', "u", 5.0).text == "hi"
    with pytest.raises(EngineError, match="without a text"):
        transcript_from_json(b'{"txt": 1}', "u", 0)


def test_a_services_logprobs_are_read_and_bad_ones_refused() -> None:
    body = {"text": "hi", "logprobs": [{"token": "hi", "logprob": -0.2, "bytes": [104, 105]}]}
    transcript = transcript_from_json(json.dumps(body).encode(), "u", 5.0)
    assert [(t.token, t.logprob) for t in transcript.logprobs] == [("hi", -0.2)]
    bad = json.dumps({"text": "hi", "logprobs": [{"token": "hi", "logprob": 3}]}).encode()
    with pytest.raises(EngineError, match="bad logprobs"):
        transcript_from_json(bad, "u", 5.0)
