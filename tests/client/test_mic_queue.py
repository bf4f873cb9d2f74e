"""MicQueue: 40 ms chunks from any push sizes, bounded with the oldest dropped and counted."""

from __future__ import annotations

import av
import numpy as np

from realtime.client.mic_queue import MicQueue

MS = 48  # bytes per ms of PCM16 mono 24 kHz


def test_chunks_have_the_target_duration_whatever_the_push_sizes() -> None:
    queue = MicQueue(chunk_ms=40)
    assert queue.push(bytes(30 * MS)) is False
    assert queue.push(bytes(70 * MS)) is True  # 100 ms in: two chunks, 20 ms pending
    assert [len(c) for c in iter(queue.pop, None)] == [40 * MS, 40 * MS]
    assert queue.drain() == [bytes(20 * MS)]


def test_full_queue_drops_the_oldest_and_counts() -> None:
    queue = MicQueue(chunk_ms=40, max_queued_ms=120)  # room for 3 chunks
    for n in range(5):
        queue.push(bytes([n]) * (40 * MS))
    assert queue.dropped == 2
    assert [c[0] for c in iter(queue.pop, None)] == [2, 3, 4]


def test_browser_frames_are_resampled_to_24k_mono() -> None:
    queue = MicQueue(chunk_ms=40)
    ready = 0
    for i in range(10):  # 200 ms of 48 kHz stereo
        samples = np.zeros((1, 960 * 2), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, i * 960
        ready += queue.push(queue.resample(frame))
    chunks = [c for c in iter(queue.pop, None)] + queue.drain()
    assert abs(sum(len(c) for c in chunks) - 200 * MS) <= 2 * 24  # within the resampler delay


def test_clear_and_reset_empty_the_queue() -> None:
    queue = MicQueue(chunk_ms=40)
    queue.push(bytes(100 * MS))
    queue.clear()
    assert queue.pop() is None and queue.drain() == []
    queue.push(bytes(50 * MS))
    queue.reset()
    assert queue.drain() == []


def test_browser_frames_take_the_numpy_path_and_match_pyav() -> None:
    from realtime.protocol.resample import StreamResampler

    queue, reference = MicQueue(chunk_ms=40), StreamResampler()
    t = np.arange(960 * 10) / 48000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    ours, theirs = b"", b""
    for i in range(10):
        samples = np.repeat(tone[i * 960 : (i + 1) * 960], 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, i * 960
        ours += queue.resample(frame)
        theirs += reference.resample(frame)
    a, b = np.frombuffer(ours, "<i2"), np.frombuffer(theirs, "<i2")
    n = min(a.size, b.size) - 50
    assert abs(a.size - b.size) <= 24  # both hold back under a millisecond
    assert np.max(np.abs(a[50:n].astype(int) - b[50:n])) < 200  # of 8000: the same signal
