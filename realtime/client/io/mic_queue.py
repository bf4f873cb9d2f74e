"""Microphone audio on its way from the media thread to the bridge loop.

The media thread (aiortc's loop, in the sink callback, shared by every session) ``push_frame``s
browser frames of any rate and layout (resampled here, statefully: 48 kHz PCM16, what browsers
send, by a numpy ``Downmix``, anything else by a PyAV ``StreamResampler``) or ``push``es PCM16
24 kHz mono. The audio is cut into chunks (one ``input_audio_buffer.append`` each) whose
duration a :class:`ChunkPace` picks from the microphone's level: short at the edges of speech,
where the server is deciding something, long in between, where each message only costs CPU.
The numpy path holds a frame's samples back until converting them completes a chunk (or an
edge of speech comes), then converts them in one call: a chunk leaves no later than it would
frame by frame. The ``on_pcm`` hook sees the converted audio.

The bridge thread ``pop``s the chunks. The queue is bounded by duration: when it is full the
oldest chunk is dropped and counted, so a stalled socket costs stale audio, never memory. A
small lock guards it all, the stream's format and its resampler included: a ``reset`` (the
script thread) or a push-to-talk ``drain`` (the bridge thread) lands wholly before or after
a frame's format check, so no frame is converted as another format. Only PyAV's resampler, which
the media thread alone uses, runs outside the lock; ``dropped`` and ``level_dbfs`` are single
values read without it (a figure one frame old at worst).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

import av
import numpy as np

from realtime.client.core.chunk_pace import ChunkPace
from realtime.protocol.downmix import Downmix
from realtime.protocol.pcm import Pcm16Chunker, bytes_for_ms, duration_ms, samples_dbfs
from realtime.protocol.resample import StreamResampler

__all__ = ["MicQueue"]


class MicQueue:
    """A bounded, drop-oldest queue of paced PCM16 chunks; see the module docstring."""

    def __init__(
        self,
        *,
        chunk_ms: int = 20,
        steady_chunk_ms: int = 100,
        max_queued_ms: int = 2000,
        on_pcm: Callable[[bytes], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._pace = ChunkPace(agile_ms=chunk_ms, steady_ms=steady_chunk_ms)
        self._chunk_ms = self._pace.chunk_ms
        self._chunker = Pcm16Chunker(self._chunk_ms)
        self._chunks: collections.deque[bytes] = collections.deque()
        self._queued_bytes = 0
        self._max_bytes = bytes_for_ms(max(max_queued_ms, steady_chunk_ms))
        self._resampler: StreamResampler | Downmix | None = None
        self._source: tuple[str, str, int] | None = None
        self._held = bytearray()  # numpy-path input not yet converted (see ``push_frame``)
        self.on_pcm = on_pcm
        self.dropped = 0  # chunks dropped because the queue was full
        self.level_dbfs = -96.0  # of the last frame pushed, for a level meter

    # ---- the media thread -------------------------------------------------------------------
    def push_frame(self, frame: av.AudioFrame) -> bool:
        """Queue a browser frame (one resampler per stream; see ``reset``); True when at
        least one chunk is ready to send."""
        layout = frame.layout.name
        source = (frame.format.name, layout, frame.sample_rate)
        fast = source[0] == "s16" and source[2] == 48000 and layout in ("mono", "stereo")
        if not fast:
            with self._lock:
                head = self._switch(source, fast)
                resampler = self._resampler
            # PyAV's resampler is the media thread's alone: it runs outside the lock.
            assert isinstance(resampler, StreamResampler)
            return self.push(head + resampler.resample(frame))
        channels = 2 if layout == "stereo" else 1
        # The packed plane (it may be padded past the last sample), held until it completes a
        # chunk: converting less would only make the loop wait for the next frame anyway.
        samples = np.frombuffer(
            memoryview(frame.planes[0]), dtype="<i2", count=frame.samples * channels
        )
        level = samples_dbfs(samples)
        with self._lock:  # the format check, the held samples and their resampler as one
            head = self._switch(source, fast)
            resampler = self._resampler
            assert isinstance(resampler, Downmix)
            self._held += samples.data
            edge = self._pace.step(level, frame.samples / 48)
            held = len(self._held) // (2 * channels)
            needed = self._chunker.chunk_bytes - self._chunker.pending_bytes
            pcm = b""
            if edge or resampler.output_bytes(held) >= needed:
                pcm = resampler.push(self._held)
                self._held.clear()
            return self._queue(head + pcm, level, edge)

    def push(self, pcm: bytes) -> bool:
        """Queue PCM16 24 kHz mono; True when at least one chunk is ready to send."""
        if not pcm:
            return False
        level = samples_dbfs(np.frombuffer(pcm, dtype="<i2", count=len(pcm) // 2))
        with self._lock:
            edge = self._pace.step(level, duration_ms(len(pcm)))
            return self._queue(pcm, level, edge)

    def _queue(self, pcm: bytes, level: float, edge: bool) -> bool:
        # Under the lock. At an edge of speech, what is held goes now, whatever its length.
        self.level_dbfs = level
        if pcm and self.on_pcm is not None:
            self.on_pcm(pcm)
        ready = self._chunker.push(pcm) if pcm else []
        if edge and (tail := self._chunker.flush()):
            ready.append(tail)
        if (ms := self._pace.chunk_ms) != self._chunk_ms:
            self._chunk_ms, self._chunker.chunk_bytes = ms, bytes_for_ms(ms)
        for chunk in ready:
            self._chunks.append(chunk)
            self._queued_bytes += len(chunk)
        while self._queued_bytes > self._max_bytes and len(self._chunks) > 1:
            self._queued_bytes -= len(self._chunks.popleft())
            self.dropped += 1
        return bool(ready)

    def _switch(self, source: tuple[str, str, int], fast: bool) -> bytes:
        """Under the lock: a frame of a new format ends the resampler in use (what it and the
        held frames still hold is returned) and starts the one for ``source``."""
        if source == self._source:
            return b""
        resampler, held = self._resampler, bytes(self._held)
        self._held.clear()
        head = b""
        if isinstance(resampler, Downmix):
            head = (resampler.push(held) if held else b"") + resampler.flush()
        elif resampler is not None:
            head = resampler.flush()
        channels = 2 if source[1] == "stereo" else 1
        self._resampler = Downmix(channels, frame_aligned=True) if fast else StreamResampler()
        self._source = source
        return head

    # ---- the bridge thread ------------------------------------------------------------------
    def pop(self) -> bytes | None:
        with self._lock:
            if not self._chunks:
                return None
            chunk = self._chunks.popleft()
            self._queued_bytes -= len(chunk)
            return chunk

    def drain(self) -> list[bytes]:
        """Everything queued plus the partial chunk (push-to-talk release: send it all),
        including frames the numpy path still holds."""
        with self._lock:
            resampler = self._resampler
            if self._held and isinstance(resampler, Downmix):
                pcm = resampler.push(self._held)
                self._held.clear()
                if self.on_pcm is not None:
                    self.on_pcm(pcm)
                self._chunks.extend(self._chunker.push(pcm))
            chunks = list(self._chunks)
            self._chunks.clear()
            self._queued_bytes = 0
            tail = self._chunker.flush()
        return [*chunks, tail] if tail else chunks

    def clear(self) -> None:
        """Drop queued and partial audio (a discarded push-to-talk turn, a reconnect)."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        # Under the lock.
        self._chunks.clear()
        self._queued_bytes = 0
        self._chunker.clear()
        self._held.clear()

    def reset(self) -> None:
        """A new media stream starts: a fresh resampler and pace, and an empty queue."""
        with self._lock:  # all at once: a frame pushed meanwhile lands before or after it
            self._clear()
            self._pace = ChunkPace(agile_ms=self._pace.agile_ms, steady_ms=self._pace.steady_ms)
            self._chunk_ms = self._pace.chunk_ms
            self._chunker.chunk_bytes = bytes_for_ms(self._chunk_ms)
            self._resampler = None
            self._source = None
