"""The WebRTC glue's tunings for latency: received microphone audio is handed on without
aiortc's 80 ms of playout look-ahead (``media.prompt_audio_receive``), and the speaker track
reads the ``Playback`` when a frame is due (``media.prompt_speaker``)."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import pytest
from aiortc import rtcrtpreceiver
from aiortc.rtp import RtpPacket

from realtime.client.io.playback import Playback
from realtime.protocol.facts import SAMPLE_RATE
from realtime.ui import media
from realtime.ui.media import prompt_audio_receive


def _packet(sequence: int) -> RtpPacket:
    packet = RtpPacket(payload_type=111, sequence_number=sequence, timestamp=960 * sequence)
    packet._data = b"opus"  # noqa: SLF001 - the receiver sets the depacketized payload so
    return packet


def _released(buffer: rtcrtpreceiver.JitterBuffer, sequences: list[int]) -> list[int | None]:
    out: list[int | None] = []
    for sequence in sequences:
        _, frame = buffer.add(_packet(sequence))
        out.append(None if frame is None else frame.timestamp // 960)
    return out


def test_audio_packets_are_released_one_packet_later_not_four() -> None:
    prompt_audio_receive()
    prompt_audio_receive()  # idempotent
    audio = rtcrtpreceiver.JitterBuffer(capacity=16, prefetch=4)  # as RTCRtpReceiver makes it
    assert _released(audio, [1, 2, 3, 4]) == [None, 1, 2, 3]


def test_a_late_packet_is_still_waited_for_and_video_is_untouched() -> None:
    prompt_audio_receive()
    audio = rtcrtpreceiver.JitterBuffer(capacity=16, prefetch=4)
    assert _released(audio, [1, 3, 4, 2]) == [None, None, None, 1]  # 2 came late: kept in order
    video = rtcrtpreceiver.JitterBuffer(capacity=512, is_video=True)
    assert video._prefetch == 0  # noqa: SLF001 - unchanged


class FakeClock:
    """The speaker's clock and sleep: time moves only when the track sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_speaker_reads_the_playback_when_each_frame_is_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streamlit_webrtc.source import AudioSourceTrack

    fake = FakeClock()
    monkeypatch.setattr(media, "_clock", fake.clock)
    monkeypatch.setattr(media, "_sleep", fake.sleep)
    read_at: list[tuple[float, int]] = []
    playback = Playback()

    def frame(pts: int, time_base: Fraction) -> av.AudioFrame:
        read_at.append((fake.now, pts))
        return playback.frame(pts, time_base)

    track = AudioSourceTrack(frame, sample_rate=SAMPLE_RATE, ptime=0.02)
    assert media.prompt_speaker(track) and media.prompt_speaker(track)  # idempotent
    playback.push(bytes(range(256)) * 30, "item_a")

    async def pull(n: int) -> list[av.AudioFrame]:
        return [await track.recv() for _ in range(n)]

    frames = asyncio.run(pull(5))
    # Each frame's audio is read at the frame's own time (the library read it 20 ms earlier,
    # right after the previous frame left, and then slept): the pacing is unchanged.
    assert read_at == [(pytest.approx(100.0 + 0.02 * k), 480 * k) for k in range(5)]
    assert fake.sleeps == [pytest.approx(0.02)] * 4
    assert [f.pts for f in frames] == [480 * k for k in range(5)]
    assert all(f.time_base == Fraction(1, SAMPLE_RATE) and f.samples == 480 for f in frames)
    assert playback.played_ms("item_a") == 100.0


def test_a_track_the_speaker_does_not_know_keeps_its_timing() -> None:
    from aiortc.mediastreams import AudioStreamTrack

    other = AudioStreamTrack()
    assert not media.prompt_speaker(other)
    assert type(other) is AudioStreamTrack
