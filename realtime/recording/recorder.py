"""Both sides of the conversation's audio on one timeline, bounded, rendered as one WAV.

Threads: the media thread pushes the microphone's PCM (``push_user``, after resampling) and the
assistant's PCM as it is played (``push_assistant``, what ``Playback.read`` handed the track, so
a barge-in's unheard tail is not recorded); the Streamlit script thread renders the WAV. A small
lock guards the chunk lists; rendering copies them and mixes outside the lock.

Everything is PCM16 24 kHz mono. Position comes from bytes: a chunk follows its side's previous
chunk unless its ``at`` (the clock time of its first sample, on the same clock for both sides)
is more than ``snap_s`` later, which leaves a silent gap. Only the last ``max_minutes`` of the
timeline are kept (older chunks are dropped): state that cap in the UI.
"""

from __future__ import annotations

import collections
import io
import threading
from dataclasses import dataclass, field

import numpy as np

from realtime.protocol.facts import SAMPLE_RATE, SAMPLE_WIDTH
from realtime.protocol.wav import write_wav

__all__ = ["DEFAULT_MAX_MINUTES", "ConversationRecorder"]

DEFAULT_MAX_MINUTES = 10.0


@dataclass
class _Track:
    chunks: collections.deque[tuple[int, bytes]] = field(default_factory=collections.deque)
    end: int = 0  # sample just after the last chunk
    dropped: int = 0  # samples dropped past the cap


class ConversationRecorder:
    """User (left) and assistant (right) audio on one timeline; see the module docstring."""

    def __init__(
        self,
        *,
        max_minutes: float = DEFAULT_MAX_MINUTES,
        rate: int = SAMPLE_RATE,
        snap_s: float = 0.25,
    ) -> None:
        if max_minutes <= 0:
            raise ValueError(f"max_minutes must be positive, not {max_minutes}")
        self.max_minutes = max_minutes
        self.rate = rate
        self._max_samples = round(max_minutes * 60 * rate)
        self._snap = round(snap_s * rate)
        self._lock = threading.Lock()
        self._user = _Track()
        self._assistant = _Track()
        self.origin: float | None = None  # clock time of the timeline's sample 0

    # ---- producers (media threads) ----------------------------------------------------------
    def push_user(self, pcm: bytes, at: float | None = None) -> None:
        """Microphone PCM16 24 kHz mono; ``at``: when its first sample was captured."""
        self._push(self._user, pcm, at)

    def push_assistant(self, pcm: bytes, at: float | None = None) -> None:
        """Assistant PCM16 24 kHz mono as played; ``at``: when its first sample was played."""
        self._push(self._assistant, pcm, at)

    def clear(self) -> None:
        with self._lock:
            self._user, self._assistant = _Track(), _Track()
            self.origin = None

    # ---- readers (any thread) ---------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        """Length of the WAV :meth:`to_wav` would write now."""
        start, end, _ = self._window()
        return (end - start) / self.rate

    @property
    def dropped_s(self) -> float:
        """Seconds of audio (both sides) dropped because of the cap."""
        with self._lock:
            return (self._user.dropped + self._assistant.dropped) / self.rate

    def render(self, *, stereo: bool = True) -> bytes:
        """PCM16: interleaved left = user, right = assistant, or both mixed to mono."""
        start, end, tracks = self._window()
        samples = np.zeros((end - start, 2), dtype=np.int16)
        for channel, chunks in enumerate(tracks):
            for at, pcm in chunks:
                data = np.frombuffer(pcm, dtype="<i2")
                lo, hi = max(at, start), min(at + len(data), end)
                if lo < hi:
                    samples[lo - start : hi - start, channel] = data[lo - at : hi - at]
        if stereo:
            return samples.astype("<i2").tobytes()
        mixed = samples.astype(np.int32).sum(axis=1)
        return bytes(np.clip(mixed, -32768, 32767).astype("<i2").tobytes())

    def to_wav(self, *, stereo: bool = True) -> bytes:
        """The WAV file's bytes (24 kHz, 16-bit, two channels or one)."""
        buffer = io.BytesIO()
        write_wav(buffer, self.render(stereo=stereo), self.rate, 2 if stereo else 1)
        return buffer.getvalue()

    # ---- internals ----------------------------------------------------------------------
    def _push(self, track: _Track, pcm: bytes, at: float | None) -> None:
        count = len(pcm) // SAMPLE_WIDTH
        if count == 0:
            return
        pcm = bytes(pcm[: count * SAMPLE_WIDTH])
        with self._lock:
            if at is not None and self.origin is None:
                self.origin = at
            start = track.end
            if at is not None and self.origin is not None:
                wanted = round((at - self.origin) * self.rate)
                if not track.chunks or wanted > track.end + self._snap:
                    start = max(wanted, 0 if not track.chunks else track.end)
            track.chunks.append((start, pcm))
            track.end = start + count
            cutoff = max(self._user.end, self._assistant.end) - self._max_samples
            for side in (self._user, self._assistant):
                while side.chunks and side.chunks[0][0] + len(side.chunks[0][1]) // 2 <= cutoff:
                    side.dropped += len(side.chunks.popleft()[1]) // SAMPLE_WIDTH

    def _window(self) -> tuple[int, int, tuple[list[tuple[int, bytes]], ...]]:
        """(first sample, end sample, chunks per side) of what a render covers now."""
        with self._lock:
            tracks = (list(self._user.chunks), list(self._assistant.chunks))
            end = max(self._user.end, self._assistant.end)
        firsts = [chunks[0][0] for chunks in tracks if chunks]
        if not firsts:
            return 0, 0, tracks
        return max(min(firsts), end - self._max_samples), end, tracks
