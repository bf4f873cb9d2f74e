"""Speech delegated over HTTP (``realtime.local.stages.tts.speech_http``), against a fake
OpenAI-compatible speech service on loopback (``tests.support.speech_service``)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from realtime.local.stages.tts.speech_http import HttpSynthesizer, audio_from_body
from realtime.protocol.errors import ConfigError, EngineError
from realtime.protocol.wav import write_wav
from tests.support.speech_service import (
    SECRET,
    SPEECH,
    Reply,
    SpeechService,
    fails,
    flat_pcm,
)


def wav_file(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    write_wav(out, pcm, rate)
    return out.getvalue()


def test_speed_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError):
        HttpSynthesizer("http://127.0.0.1:9/v1", speed=9.0)


def test_speech_round_trip_in_pcm(speech_service: SpeechService) -> None:
    voice = HttpSynthesizer(speech_service.url, voice="marin", speed=1.25, model="gpt-4o-mini-tts")
    stream = voice.stream("Hello there. How are you?")  # lazy: one request per next()
    speech_service.replies[SPEECH] = Reply(content_type="audio/pcm", body=flat_pcm(2400, 100))
    assert next(stream) == ("Hello there.", flat_pcm(2400, 100))
    speech_service.replies[SPEECH] = Reply(content_type="audio/pcm", body=flat_pcm(4800, 200))
    assert list(stream) == [("How are you?", flat_pcm(4800, 200))]
    assert [r.json for r in speech_service.requests] == [
        {
            "model": "gpt-4o-mini-tts",
            "input": text,
            "voice": "marin",
            "speed": 1.25,
            "response_format": "pcm",
        }
        for text in ("Hello there.", "How are you?")
    ]


def test_speech_as_wav_at_another_rate_is_resampled(speech_service: SpeechService) -> None:
    native = (np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000) * 8000).astype("<i2")
    body = wav_file(native.tobytes(), 16000)
    speech_service.replies[SPEECH] = Reply(content_type="audio/wav", body=body)
    pcm = HttpSynthesizer(speech_service.url).synthesize("One second of tone.")
    assert len(pcm) % 2 == 0
    assert abs(len(pcm) // 2 - 24000) < 100  # 1 s at 24 kHz
    assert int(np.abs(np.frombuffer(pcm, "<i2")).max()) > 6000


def test_full_endpoint_url_is_taken_as_is(speech_service: SpeechService) -> None:
    HttpSynthesizer(speech_service.url + "/audio/speech/").synthesize("Hi.")
    assert speech_service.requests[0].path == SPEECH


def test_odd_length_pcm_is_refused(speech_service: SpeechService) -> None:
    speech_service.replies[SPEECH] = Reply(content_type="audio/pcm", body=SECRET + b"x")
    assert len(SECRET + b"x") % 2
    fails(lambda: HttpSynthesizer(speech_service.url).synthesize("Hi."), "whole 16-bit samples")


def test_audio_body_checks() -> None:
    assert audio_from_body(b"\x01\x02", "u") == b"\x01\x02"
    with pytest.raises(EngineError, match="whole 16-bit samples"):
        audio_from_body(b"\x01\x02\x03", "u")
    with pytest.raises(EngineError, match="unreadable WAV"):
        audio_from_body(b"RIFF nonsense", "u")
