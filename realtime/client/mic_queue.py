"""Microphone audio on its way from the media thread to the bridge loop.

The media thread (aiortc's loop, in the sink callback) ``push``es PCM16 24 kHz mono, or
``resample``s browser frames of any rate and layout first (statefully: 48 kHz PCM16, what
browsers send, by a numpy ``Downmix``, anything else by a PyAV ``StreamResampler``). The numpy
path holds a frame's samples back until converting them completes a chunk, then converts them
all in one call (two 20 ms frames per 40 ms chunk: half the calls, and a chunk leaves no later
than before). The audio is cut into fixed-duration chunks (one ``input_audio_buffer.append``
each) and queued. The bridge thread ``pop``s them. The queue is bounded: when it is full the
oldest chunk is dropped and counted, so a stalled socket costs stale audio, never memory. A
small lock guards it all.
"""

from __future__ import annotations

import collections
import threading

import av

from realtime.protocol.downmix import Downmix
from realtime.protocol.pcm import Pcm16Chunker, rms_dbfs
from realtime.protocol.resample import StreamResampler

__all__ = ["MicQueue"]


class MicQueue:
    """A bounded, drop-oldest queue of ``chunk_ms`` PCM16 chunks; see the module docstring."""

    def __init__(self, *, chunk_ms: int = 40, max_queued_ms: int = 2000) -> None:
        self._lock = threading.Lock()
        self._chunker = Pcm16Chunker(chunk_ms)
        self._chunks: collections.deque[bytes] = collections.deque(
            maxlen=max(1, max_queued_ms // chunk_ms)
        )
        self._resampler: StreamResampler | Downmix | None = None
        self._source: tuple[str, str, int] | None = None
        self._held = bytearray()  # numpy-path input not yet converted (see ``resample``)
        self.dropped = 0  # chunks dropped because the queue was full
        self._last = b""  # the last audio pushed; its level is computed only when read

    def resample(self, frame: av.AudioFrame) -> bytes:
        """A browser frame as PCM16 24 kHz mono (one resampler per stream; see ``reset``); the
        numpy path may return ``b""`` and hand its samples out with a later frame."""
        layout = frame.layout.name
        source = (frame.format.name, layout, frame.sample_rate)
        head = b""
        if source != self._source:
            head = self._flush_resampler()
            fast = source[0] == "s16" and source[2] == 48000 and layout in ("mono", "stereo")
            self._resampler = Downmix(2 if layout == "stereo" else 1) if fast else StreamResampler()
            self._source = source
        resampler = self._resampler
        if isinstance(resampler, StreamResampler) or resampler is None:
            return head + (resampler or StreamResampler()).resample(frame)
        # The packed plane (it may be padded past the last sample), held until it completes a
        # chunk: converting less would only make the loop wait for the next frame anyway.
        count = frame.samples * resampler.channels * 2
        with self._lock:
            self._held += memoryview(frame.planes[0])[:count]
            held = len(self._held) // (2 * resampler.channels)
            needed = self._chunker.chunk_bytes - self._chunker.pending_bytes
            if resampler.output_bytes(held) < needed:
                return head
            pcm = resampler.push(self._held)
            self._held.clear()
        return head + pcm

    def _flush_resampler(self) -> bytes:
        """What the current resampler holds (the numpy path's held frames too); it ends."""
        resampler = self._resampler
        if resampler is None:
            return b""
        with self._lock:
            held, self._held = bytes(self._held), bytearray()
        if isinstance(resampler, Downmix):
            return (resampler.push(held) if held else b"") + resampler.flush()
        return resampler.flush()

    def push(self, pcm: bytes) -> bool:
        """Queue microphone PCM; True when at least one chunk is ready to send."""
        with self._lock:
            self._last = pcm
            ready = self._chunker.push(pcm)
            for chunk in ready:
                if len(self._chunks) == self._chunks.maxlen:
                    self.dropped += 1
                self._chunks.append(chunk)
        return bool(ready)

    @property
    def level_dbfs(self) -> float:
        """Of the last audio pushed, for a level meter (read per snapshot, not per frame)."""
        last = self._last
        return rms_dbfs(last) if last else -96.0

    def pop(self) -> bytes | None:
        with self._lock:
            return self._chunks.popleft() if self._chunks else None

    def drain(self) -> list[bytes]:
        """Everything queued plus the partial chunk (push-to-talk release: send it all),
        including frames the numpy path still holds."""
        with self._lock:
            resampler = self._resampler
            if self._held and isinstance(resampler, Downmix):
                self._chunks.extend(self._chunker.push(resampler.push(self._held)))
                self._held.clear()
            chunks = list(self._chunks)
            self._chunks.clear()
            tail = self._chunker.flush()
        return [*chunks, tail] if tail else chunks

    def clear(self) -> None:
        """Drop queued and partial audio (a discarded push-to-talk turn, a reconnect)."""
        with self._lock:
            self._chunks.clear()
            self._chunker.clear()
            self._held.clear()

    def reset(self) -> None:
        """A new media stream starts: a fresh resampler and an empty queue."""
        self.clear()
        self._resampler = None
        self._source = None
