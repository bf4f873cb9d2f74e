"""The input buffer's chunk list (``realtime.local.session.input_audio.PcmChunks``): reads across
chunks, drops from the front, and holds views of a large append rather than copies."""

from __future__ import annotations

from realtime.local.session.input_audio import InputAudio, PcmChunks


def test_chunks_read_across_boundaries_and_drop_from_the_front() -> None:
    chunks = PcmChunks()
    for piece in (b"abcd", memoryview(b"efghij")[1:], b"", b"klm"):
        chunks.append(piece)
    assert len(chunks) == 12 and chunks.read(0, 12) == b"abcdfghijklm"
    assert chunks.read(3, 9) == b"dfghij" and chunks.read(-5, 99) == b"abcdfghijklm"
    chunks.drop(6)
    assert len(chunks) == 6 and chunks.read(0, 6) == b"hijklm"
    chunks.drop(100)
    assert len(chunks) == 0 and chunks.read(0, 10) == b""


def test_a_large_append_fed_in_views_is_held_once_and_read_back_whole() -> None:
    audio = InputAudio(lambda settings: None)  # type: ignore[arg-type, return-value]
    audio.configure(None)
    pcm = bytes(range(256)) * 375  # 2 s
    view = memoryview(pcm)
    for start in range(0, len(pcm), 960):
        audio.append(view[start : start + 960])
    assert audio.buffered_ms == 2000
    assert audio.peek(500, 1000) == pcm[24000:48000]
    assert audio.take() == pcm and audio.buffered_ms == 0
