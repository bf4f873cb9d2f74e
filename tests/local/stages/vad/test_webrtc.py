"""WebRtcVad (``realtime.local.stages.vad.webrtc``) on real speech (a Piper recording) framed
by digital silence."""

from __future__ import annotations

import random

import numpy as np
import pytest

from realtime.local.stages.vad.detector import SpeechStarted, SpeechStopped, VadEvent
from realtime.local.stages.vad.webrtc import WebRtcVad
from realtime.protocol.errors import ConfigError
from realtime.protocol.pcm import bytes_for_ms
from realtime.protocol.wav import read_wav
from tests.fixtures.loader import FIXTURES

AUDIO = FIXTURES / "audio"
FRAME_MS = 20  # the detector's resolution
# Where speech sits in what_time_tokyo.wav (first and last |sample| > 500), in ms.
ONSET_MS, OFFSET_MS = 57, 1419


@pytest.fixture(scope="module")
def speech() -> bytes:
    return read_wav(AUDIO / "what_time_tokyo.wav").pcm


def silence(ms: int) -> bytes:
    return bytes(bytes_for_ms(ms))


def scaled(pcm: bytes, gain: float) -> bytes:
    samples = np.frombuffer(pcm, "<i2").astype(np.float64) * gain
    return samples.round().astype("<i2").tobytes()


def noise(ms: int, level: float, seed: int = 0) -> bytes:
    samples = np.random.default_rng(seed).normal(0, level, bytes_for_ms(ms) // 2)
    return samples.clip(-32768, 32767).astype("<i2").tobytes()


def feed(vad: WebRtcVad, pcm: bytes, chunk: int | None = None) -> list[VadEvent]:
    if chunk is None:
        return vad.process(pcm)
    return [e for i in range(0, len(pcm), chunk) for e in vad.process(pcm[i : i + chunk])]


def test_silence_gives_no_events() -> None:
    vad = WebRtcVad()
    assert feed(vad, silence(5000), chunk=bytes_for_ms(100)) == []
    assert vad.position_ms == 5000
    assert vad.speech_start_ms is None


def test_speech_in_silence_starts_and_stops_at_the_known_positions(speech: bytes) -> None:
    vad = WebRtcVad(prefix_padding_ms=300, silence_duration_ms=500)
    events = feed(vad, silence(1000) + speech + silence(1500))
    assert len(events) == 2
    started, stopped = events
    assert isinstance(started, SpeechStarted) and isinstance(stopped, SpeechStopped)
    assert abs(started.onset_ms - (1000 + ONSET_MS)) <= 2 * FRAME_MS
    assert started.audio_start_ms == started.onset_ms - 300
    # webrtcvad holds on 60-140 ms after the last sound; that fading tail does not count, so the
    # silence is measured from the voice's real end.
    assert 1000 + OFFSET_MS - 2 * FRAME_MS <= stopped.speech_end_ms <= 1000 + OFFSET_MS + FRAME_MS
    assert stopped.audio_end_ms - stopped.speech_end_ms == pytest.approx(500, abs=FRAME_MS)


def test_speech_start_lets_the_caller_slice_the_turn(speech: bytes) -> None:
    vad = WebRtcVad(prefix_padding_ms=300)
    stream = silence(1000) + speech + silence(1000)
    (started,) = vad.process(stream[: bytes_for_ms(1400)])
    assert isinstance(started, SpeechStarted)
    assert vad.speech_start_ms == started.audio_start_ms
    (stopped,) = vad.process(stream[bytes_for_ms(1400) :])
    assert isinstance(stopped, SpeechStopped) and vad.speech_start_ms is None
    turn = stream[bytes_for_ms(started.audio_start_ms) : bytes_for_ms(stopped.audio_end_ms)]
    assert speech[: bytes_for_ms(OFFSET_MS)] in turn


@pytest.mark.parametrize(("padding", "expected_start"), [(0, None), (300, None), (5000, 0)])
def test_prefix_padding_is_applied_and_clamped_at_zero(
    speech: bytes, padding: int, expected_start: int | None
) -> None:
    started = WebRtcVad(prefix_padding_ms=padding).process(silence(600) + speech)[0]
    assert isinstance(started, SpeechStarted)
    if expected_start is None:
        expected_start = started.onset_ms - padding
    assert started.audio_start_ms == expected_start


def test_stop_waits_for_silence_duration(speech: bytes) -> None:
    vad = WebRtcVad(silence_duration_ms=800)
    events = vad.process(silence(500) + speech + silence(400))  # the file ends ~200 ms quiet
    assert [type(e) for e in events] == [SpeechStarted]
    (stopped,) = vad.process(silence(600))
    assert isinstance(stopped, SpeechStopped)
    assert stopped.audio_end_ms - stopped.speech_end_ms == 800


def test_a_softer_word_still_counts_as_voice(speech: bytes) -> None:
    # The same question again 20 dB softer, after a short pause: one turn, ending after it.
    stream = speech + silence(100) + scaled(speech, 0.1) + silence(1500)
    events = WebRtcVad().process(stream)
    assert [type(e) for e in events] == [SpeechStarted, SpeechStopped]
    soft_start = len(speech) // 2 // 24 + 100
    assert events[1].speech_end_ms > soft_start + 1000


@pytest.mark.parametrize(("silence_ms", "turns"), [(200, 2), (1000, 1)])
def test_a_pause_shorter_than_silence_duration_keeps_one_turn(
    speech: bytes, silence_ms: int, turns: int
) -> None:
    stream = silence(500) + speech + silence(500) + speech + silence(1500)
    events = WebRtcVad(silence_duration_ms=silence_ms).process(stream)
    assert sum(isinstance(e, SpeechStarted) for e in events) == turns
    assert sum(isinstance(e, SpeechStopped) for e in events) == turns


@pytest.mark.parametrize(
    ("gain", "heard_at", "missed_at"),
    [(0.003, 0.0, 0.5), (0.01, 0.5, 1.0)],  # speech peaking at -50 and -40 dBFS
)
def test_higher_threshold_needs_louder_speech(
    speech: bytes, gain: float, heard_at: float, missed_at: float
) -> None:
    quiet = silence(500) + scaled(speech, gain) + silence(1000)
    assert len(WebRtcVad(threshold=heard_at).process(quiet)) == 2
    assert WebRtcVad(threshold=missed_at).process(quiet) == []


@pytest.mark.parametrize(
    ("click_ms", "threshold"), [(20, 0.0), (20, 0.5), (20, 1.0), (40, 0.5), (40, 1.0)]
)
def test_a_click_does_not_start_a_turn(click_ms: int, threshold: float) -> None:
    click = noise(click_ms, level=8000, seed=1)
    assert WebRtcVad(threshold=threshold).process(silence(500) + click + silence(1000)) == []


def test_chunking_does_not_change_the_events(speech: bytes) -> None:
    stream = silence(700) + speech + silence(300) + speech + silence(1200)
    whole = WebRtcVad(silence_duration_ms=200).process(stream)
    assert len(whole) == 4
    sizes = random.Random(7)
    vad = WebRtcVad(silence_duration_ms=200)
    events: list[VadEvent] = []
    position = 0
    while position < len(stream):
        size = sizes.randint(1, 3001)  # odd sizes split samples too
        events += vad.process(stream[position : position + size])
        position += size
    assert events == whole
    assert feed(WebRtcVad(silence_duration_ms=200), stream, chunk=bytes_for_ms(10)) == whole


def test_reset_forgets_speech_but_keeps_the_clock(speech: bytes) -> None:
    vad = WebRtcVad()
    assert [type(e) for e in vad.process(silence(500) + speech[: bytes_for_ms(800)])] == [
        SpeechStarted
    ]
    vad.reset()
    assert vad.speech_start_ms is None
    assert vad.process(silence(2000)) == []
    started = vad.process(speech)[0]
    assert isinstance(started, SpeechStarted)
    assert started.onset_ms >= 500 + 800 + 2000
    assert started.audio_start_ms == started.onset_ms - 300


def test_padding_stops_at_a_reset(speech: bytes) -> None:
    vad = WebRtcVad(prefix_padding_ms=300)
    vad.process(silence(1000) + b"\0")  # a clear may fall between the bytes of a sample
    vad.reset()
    started = vad.process(b"\0" + silence(100) + speech)[0]
    assert isinstance(started, SpeechStarted)
    assert started.audio_start_ms == 1000
    assert abs(started.onset_ms - (1100 + ONSET_MS)) <= 2 * FRAME_MS


def test_settings_from_server_vad() -> None:
    vad = WebRtcVad.from_turn_detection(
        {"type": "server_vad", "threshold": 0.9, "prefix_padding_ms": 100, "idle_timeout_ms": None}
    )
    assert (vad.aggressiveness, vad.prefix_padding_ms, vad.silence_duration_ms) == (3, 100, 500)
    assert WebRtcVad.from_turn_detection({}).aggressiveness == 2
    with pytest.raises(ConfigError, match="threshold"):
        WebRtcVad(threshold=1.5)
    with pytest.raises(ConfigError, match="silence_duration_ms"):
        WebRtcVad(silence_duration_ms=-1)
