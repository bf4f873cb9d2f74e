"""MicQueue: 40 ms chunks from any push sizes, bounded with the oldest dropped and counted."""

from __future__ import annotations

import av
import numpy as np

from realtime.client.io.mic_queue import MicQueue

MS = 48  # bytes per ms of PCM16 mono 24 kHz


def test_chunks_have_the_target_duration_whatever_the_push_sizes() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    assert queue.push(bytes(30 * MS)) is False
    assert queue.push(bytes(70 * MS)) is True  # 100 ms in: two chunks, 20 ms pending
    assert [len(c) for c in iter(queue.pop, None)] == [40 * MS, 40 * MS]
    assert queue.drain() == [bytes(20 * MS)]


def test_full_queue_drops_the_oldest_and_counts() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40, max_queued_ms=120)  # room for 3 chunks
    for n in range(5):
        queue.push(bytes([n]) * (40 * MS))
    assert queue.dropped == 2
    assert [c[0] for c in iter(queue.pop, None)] == [2, 3, 4]


def test_browser_frames_are_resampled_to_24k_mono() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    ready = 0
    for i in range(10):  # 200 ms of 48 kHz stereo
        samples = np.zeros((1, 960 * 2), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, i * 960
        ready += queue.push_frame(frame)
    chunks = [c for c in iter(queue.pop, None)] + queue.drain()
    assert abs(sum(len(c) for c in chunks) - 200 * MS) <= 2 * 24  # within the resampler delay


def test_clear_and_reset_empty_the_queue() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    queue.push(bytes(100 * MS))
    queue.clear()
    assert queue.pop() is None and queue.drain() == []
    queue.push(bytes(50 * MS))
    queue.reset()
    assert queue.drain() == []


def test_browser_frames_take_the_numpy_path_and_match_pyav() -> None:
    from realtime.protocol.resample import StreamResampler

    queue, reference = MicQueue(chunk_ms=40, steady_chunk_ms=40), StreamResampler()
    t = np.arange(960 * 10) / 48000
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    ours, theirs = b"", b""
    for i in range(10):
        samples = np.repeat(tone[i * 960 : (i + 1) * 960], 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, i * 960
        queue.push_frame(frame)
        theirs += reference.resample(frame)
    ours = b"".join(queue.drain())  # the frames the numpy path still held included
    a, b = np.frombuffer(ours, "<i2"), np.frombuffer(theirs, "<i2")
    assert a.size == 480 * 10  # exactly 20 ms for each 20 ms frame (frame-aligned)
    a = a[16:]  # frame-aligned: the same audio 16 samples (0.67 ms) later
    n = min(a.size, b.size) - 50
    assert abs(a.size - b.size) <= 24  # both hold back under a millisecond
    assert np.max(np.abs(a[50:n].astype(int) - b[50:n])) < 200  # of 8000: the same signal


def tone_frame(index: int, rate: int = 48000, layout: str = "stereo") -> av.AudioFrame:
    n = rate // 50  # 20 ms
    channels = 2 if layout == "stereo" else 1
    t = (np.arange(n) + index * n) / rate
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(
        np.repeat(tone, channels).reshape(1, -1), format="s16", layout=layout
    )
    frame.sample_rate, frame.pts = rate, index * n
    return frame


def test_held_frames_make_each_chunk_ready_at_the_same_frame_and_with_the_same_audio() -> None:
    from realtime.protocol.downmix import Downmix
    from realtime.protocol.pcm import Pcm16Chunker

    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    mix, chunker = Downmix(frame_aligned=True), Pcm16Chunker(40)  # the same, frame by frame
    calls = 0
    push = Downmix.push

    def counting(self: Downmix, pcm: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return push(self, pcm)

    ours, theirs = [], []
    Downmix.push = counting  # type: ignore[method-assign,assignment]
    try:
        for i in range(50):
            frame = tone_frame(i)
            ours.append(queue.push_frame(frame))
            reference = chunker.push(mix.push(bytes(frame.planes[0])[: 960 * 4]))
            if i == 0:  # speech starts: what is held goes at once (ChunkPace)
                reference.append(chunker.flush())
            theirs.append(bool(reference))
    finally:
        Downmix.push = push  # type: ignore[method-assign]
    assert ours == theirs  # no chunk leaves a frame later than converting every frame would
    assert calls - 50 <= 26  # ~one conversion per chunk, not per frame (50 were the reference's)
    popped = b"".join(iter(queue.pop, None))
    expected = Downmix(frame_aligned=True)
    whole = b"".join(expected.push(bytes(tone_frame(i).planes[0])[: 960 * 4]) for i in range(50))
    assert whole.startswith(popped) and len(whole) - len(popped) < 40 * MS  # the same audio


def test_push_to_talk_release_sends_the_frames_still_held() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    for i in range(4):  # speech starts (the first frame goes at once), a chunk, one held
        queue.push_frame(tone_frame(i))
    assert [len(c) for c in iter(queue.pop, None)] == [20 * MS, 40 * MS]  # frame-aligned
    assert [len(c) for c in queue.drain()] == [20 * MS]  # the held frame


def test_a_new_rate_mid_stream_hands_out_the_held_frames_first() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    queue.push_frame(tone_frame(0))  # held (20 ms at 48 kHz)
    for i in range(10):  # then 200 ms at 44.1 kHz mono (the PyAV path)
        queue.push_frame(tone_frame(i, 44100, "mono"))
    total = sum(len(c) for c in [*iter(queue.pop, None), *queue.drain()])
    assert abs(total - 220 * MS) <= 2 * MS


def quiet_frame(index: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 960 * 2), np.int16), "s16", "stereo")
    frame.sample_rate, frame.pts = 48000, index * 960
    return frame


def test_messages_are_long_in_the_middle_of_speech_and_short_when_it_ends() -> None:
    queue = MicQueue()  # 20 ms at the edges of speech, 100 ms in between
    sizes: list[list[int]] = []
    for i in range(250):  # 2 s of speech, then 3 s of silence
        queue.push_frame(tone_frame(i) if i < 100 else quiet_frame(i))
        sizes.append([len(c) // MS for c in iter(queue.pop, None)])
    speech, end = sizes[:100], sizes[100:]
    assert {ms for frame in speech[40:] for ms in frame} == {100}
    assert end[2]  # the third quiet frame sends everything held, nothing short before it
    assert all(ms == 100 for frame in end[:2] for ms in frame)
    short = [ms for frame in end[3:80] for ms in frame]
    assert short and set(short) == {20}  # while the server times the silence
    assert {ms for frame in end[100:] for ms in frame} == {100}
    total = sum(ms for frame in sizes for ms in frame)
    assert 5000 - 100 < total <= 5000  # nothing lost: all but the partial chunk went


def test_the_bound_holds_with_long_messages() -> None:
    queue = MicQueue(max_queued_ms=2000)
    for i in range(500):  # 10 s of speech, nobody popping
        queue.push_frame(tone_frame(i))
    queued = sum(len(c) for c in iter(queue.pop, None))
    assert queued <= 2000 * MS and queue.dropped >= 75
