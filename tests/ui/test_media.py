"""The WebRTC glue's tuning of aiortc: received microphone audio is handed on without
aiortc's 80 ms of playout look-ahead (``media.prompt_audio_receive``)."""

from __future__ import annotations

from aiortc import rtcrtpreceiver
from aiortc.rtp import RtpPacket

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
