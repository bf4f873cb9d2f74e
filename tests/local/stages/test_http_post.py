"""The POST both delegated audio services make (``realtime.local.stages.http_post``): the key
header, bounded answers, and failures named by URL and status, never by the peer's body; through
the HTTP transcriber and synthesiser, against a fake service on loopback
(``tests.support.speech_service``)."""

from __future__ import annotations

import json
import socket

import pytest

from realtime.local.stages.asr import transcription_http
from realtime.local.stages.asr.transcription_http import (
    HttpTranscriber,
)
from realtime.local.stages.tts import speech_http
from realtime.local.stages.tts.speech_http import HttpSynthesizer
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


def test_bearer_header_only_with_a_key(speech_service: SpeechService) -> None:
    HttpSynthesizer(speech_service.url, api_key="sk-test").synthesize("Hi.")
    HttpSynthesizer(speech_service.url).synthesize("Hi.")
    HttpTranscriber(speech_service.url, api_key="sk-asr").transcribe(flat_pcm(480))
    with_key, without, asr = speech_service.requests
    assert with_key.headers["authorization"] == "Bearer sk-test"
    assert "authorization" not in without.headers
    assert asr.headers["authorization"] == "Bearer sk-asr"


def test_server_error_names_the_url_and_status_not_the_body(speech_service: SpeechService) -> None:
    speech_service.replies[SPEECH] = Reply(500, "text/plain", SECRET)
    speech_service.replies[TRANSCRIBE] = Reply(401, "application/json", SECRET)
    message = fails(lambda: HttpSynthesizer(speech_service.url).synthesize("Hi."), "HTTP 500")
    assert f"{speech_service.url}/audio/speech" in message
    message = fails(
        lambda: HttpTranscriber(speech_service.url).transcribe(flat_pcm(480)), "HTTP 401"
    )
    assert "API key" in message


@pytest.mark.parametrize("declared", [True, False])
def test_oversized_body_is_refused(
    speech_service: SpeechService, monkeypatch: pytest.MonkeyPatch, declared: bool
) -> None:
    monkeypatch.setattr(speech_http, "MAX_AUDIO_BYTES", 1000)
    monkeypatch.setattr(transcription_http, "MAX_JSON_BYTES", 100)
    speech_service.replies[SPEECH] = Reply(
        content_type="audio/pcm", body=SECRET * 100, length=declared
    )
    fails(lambda: HttpSynthesizer(speech_service.url).synthesize("Hi."), "more than the 1000")
    text = json.dumps({"text": SECRET.decode() * 10}).encode()
    speech_service.replies[TRANSCRIBE] = Reply(body=text, length=declared)
    fails(
        lambda: HttpTranscriber(speech_service.url).transcribe(flat_pcm(480)), "more than the 100 "
    )


def test_connection_refused() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, and nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    fails(lambda: HttpSynthesizer(url).synthesize("Hi."), "Cannot reach the speech service")
    fails(lambda: HttpTranscriber(url).transcribe(flat_pcm(480)), "Cannot reach the transcription")


def test_timeout(speech_service: SpeechService) -> None:
    speech_service.replies[SPEECH] = Reply(content_type="audio/pcm", body=SECRET, hold=True)
    fails(
        lambda: HttpSynthesizer(speech_service.url, timeout=0.2 * S).synthesize("Hi."),
        "speech service .* (did not answer within|timed out)",
    )
