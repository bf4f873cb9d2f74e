"""Microphone audio on its way from the media thread to the bridge loop.

The media thread (aiortc's loop, in the sink callback) ``push``es PCM16 24 kHz mono, or
``push_frame``s browser frames of any rate and layout (resampled here, statefully); the audio
is cut into fixed-duration chunks (one ``input_audio_buffer.append`` each) and queued. The
bridge thread ``pop``s them. The queue is bounded: when it is full the oldest chunk is dropped
and counted, so a stalled socket costs stale audio, never memory. A small lock guards it all.
"""

from __future__ import annotations

import collections
import threading

import av

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
        self._resampler: StreamResampler | None = None
        self.dropped = 0  # chunks dropped because the queue was full
        self.level_dbfs = -96.0  # of the last audio pushed, for a level meter

    def resample(self, frame: av.AudioFrame) -> bytes:
        """A browser frame as PCM16 24 kHz mono (one resampler per stream; see ``reset``)."""
        if self._resampler is None:
            self._resampler = StreamResampler()
        return self._resampler.resample(frame)

    def push(self, pcm: bytes) -> bool:
        """Queue microphone PCM; True when at least one chunk is ready to send."""
        with self._lock:
            self.level_dbfs = rms_dbfs(pcm)
            ready = self._chunker.push(pcm)
            for chunk in ready:
                if len(self._chunks) == self._chunks.maxlen:
                    self.dropped += 1
                self._chunks.append(chunk)
        return bool(ready)

    def pop(self) -> bytes | None:
        with self._lock:
            return self._chunks.popleft() if self._chunks else None

    def drain(self) -> list[bytes]:
        """Everything queued plus the partial chunk (push-to-talk release: send it all)."""
        with self._lock:
            chunks = list(self._chunks)
            self._chunks.clear()
            tail = self._chunker.flush()
        return [*chunks, tail] if tail else chunks

    def clear(self) -> None:
        """Drop queued and partial audio (a discarded push-to-talk turn, a reconnect)."""
        with self._lock:
            self._chunks.clear()
            self._chunker.clear()

    def reset(self) -> None:
        """A new media stream starts: a fresh resampler and an empty queue."""
        self.clear()
        self._resampler = None
