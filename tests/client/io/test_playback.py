"""Playback: a byte-accurate playout queue; 'played' means pulled by the media track."""

from __future__ import annotations

import fractions

from realtime.client.io.playback import Playback

MS = 48  # bytes per ms of PCM16 mono 24 kHz


def test_played_counts_only_bytes_pulled_per_item() -> None:
    playback = Playback()
    playback.push(b"\1\0" * 24 * 300, "a")  # 300 ms
    playback.push(b"\2\0" * 24 * 100, "b")  # 100 ms
    assert playback.pending_ms == 400 and playback.pending_ms_of("a") == 300
    assert playback.read(250 * MS)[:2] == b"\1\0"
    assert playback.played_ms("a") == 250 and playback.played_ms("b") == 0
    out = playback.read(100 * MS)
    assert out[: 50 * MS] == b"\1\0" * 24 * 50 and out[50 * MS :] == b"\2\0" * 24 * 50
    assert playback.played_ms("a") == 300 and playback.played_ms("b") == 50
    assert playback.pending_ms_of("a") == 0 and playback.pending_ms_of("b") == 50


def test_underrun_pads_with_silence_and_clear_drops_pending() -> None:
    playback = Playback()
    playback.push(b"\1\0" * 240, "a")  # 10 ms
    out = playback.read(20 * MS)
    assert out[: 10 * MS] == b"\1\0" * 240 and out[10 * MS :] == bytes(10 * MS)
    playback.push(b"\1\0" * 2400, "a")
    assert playback.clear() == 100 * MS
    assert playback.pending_ms == 0 and playback.read(MS) == bytes(MS)
    assert playback.played_ms("a") == 10


def test_frame_is_a_20ms_s16_mono_frame_at_24k() -> None:
    playback = Playback()
    playback.push(b"\3\0" * 480, "a")
    frame = playback.frame(960, fractions.Fraction(1, 24000))
    assert (frame.samples, frame.sample_rate, frame.format.name, frame.layout.name) == (
        480,
        24000,
        "s16",
        "mono",
    )
    assert frame.pts == 960
    assert frame.to_ndarray().tobytes() == b"\3\0" * 480  # the audio itself, in order
    assert playback.level_dbfs > -96


def test_pending_audio_is_bounded() -> None:
    playback = Playback(max_seconds=1)
    for n in range(5):
        playback.push(b"\0\0" * 24 * 400, f"i{n}")  # 400 ms each
    assert playback.pending_ms <= 1000
    assert playback.dropped_bytes == 3 * 400 * MS
