"""Assistant audio waiting to be heard, and how much of each item was actually heard.

Two threads meet here: the bridge thread ``push``es PCM16 24 kHz mono bytes as audio deltas
arrive; the media thread (aiortc's loop, through streamlit-webrtc's ``AudioSourceTrack``) pulls
one 20 ms frame per tick with ``frame``. Playback position therefore comes from bytes really
handed to the track, not from a clock: that is what a barge-in truncation must report
(``audio_end_ms`` = audio the user heard). A small lock guards the buffer; memory is bounded by
``max_seconds`` of pending audio (oldest dropped and counted past that).
"""

from __future__ import annotations

import collections
import fractions
import threading
from collections.abc import Callable

import av

from realtime.protocol.facts import BYTES_PER_MS, SAMPLE_RATE
from realtime.protocol.pcm import duration_ms, rms_dbfs

__all__ = ["Playback"]

_KEEP_ITEMS = 64


class Playback:
    """A byte-accurate playout queue of PCM16 24 kHz mono, tagged by conversation item."""

    def __init__(self, *, max_seconds: float = 300.0, frame_ms: int = 20) -> None:
        self._lock = threading.Lock()
        self._segments: collections.deque[tuple[str, bytearray]] = collections.deque()
        self._pending = 0
        self._max_pending = int(max_seconds * 1000) * BYTES_PER_MS
        self._played: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._frame_bytes = frame_ms * BYTES_PER_MS
        self.dropped_bytes = 0
        self._last = b""  # the last audio handed to the track; its level is computed when read
        self.on_played: Callable[[bytes], None] | None = None  # audio really handed out

    # ---- producer (bridge thread) ----
    def push(self, pcm: bytes, item_id: str) -> None:
        if not pcm:
            return
        with self._lock:
            if self._segments and self._segments[-1][0] == item_id:
                self._segments[-1][1].extend(pcm)
            else:
                self._segments.append((item_id, bytearray(pcm)))
            self._pending += len(pcm)
            while self._pending > self._max_pending and self._segments:
                _, dropped = self._segments.popleft()
                self._pending -= len(dropped)
                self.dropped_bytes += len(dropped)

    def clear(self) -> int:
        """Drop everything not yet played (barge-in); returns the bytes dropped."""
        with self._lock:
            dropped = self._pending
            self._segments.clear()
            self._pending = 0
            return dropped

    # ---- consumer (media thread) ----
    def read(self, nbytes: int) -> bytes:
        """Exactly ``nbytes`` of audio, padded with silence on underrun."""
        out = bytearray()
        with self._lock:
            while len(out) < nbytes and self._segments:
                item_id, data = self._segments[0]
                take = data[: nbytes - len(out)]
                del data[: len(take)]
                out.extend(take)
                self._pending -= len(take)
                self._played[item_id] = self._played.get(item_id, 0) + len(take)
                self._played.move_to_end(item_id)
                if not data:
                    self._segments.popleft()
            while len(self._played) > _KEEP_ITEMS:
                self._played.popitem(last=False)
        played = bytes(out)
        self._last = played
        if played and self.on_played is not None:
            self.on_played(played)
        if len(played) == nbytes:
            return played
        return played + bytes(nbytes - len(played))

    def frame(self, pts: int, time_base: fractions.Fraction) -> av.AudioFrame:
        """The ``AudioSourceTrack`` callback: the next 20 ms as an s16 mono frame."""
        pcm = self.read(self._frame_bytes)
        # Filled in place (unpadded: align=1): a third of ``from_ndarray``'s cost, on the loop
        # every session shares.
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(pcm) // 2, align=1)
        frame.planes[0].update(pcm)
        frame.sample_rate = SAMPLE_RATE
        frame.pts = pts
        frame.time_base = time_base
        return frame

    # ---- readers (any thread) ----
    @property
    def level_dbfs(self) -> float:
        """Of the last frame handed to the track, for a level meter (read per snapshot, not
        computed per frame)."""
        last = self._last
        return rms_dbfs(last) if last else -96.0

    def played_ms(self, item_id: str) -> float:
        with self._lock:
            return duration_ms(self._played.get(item_id, 0))

    @property
    def pending_ms(self) -> float:
        with self._lock:
            return duration_ms(self._pending)

    def pending_ms_of(self, item_id: str) -> float:
        """The audio of one item still waiting to be played."""
        with self._lock:
            return duration_ms(sum(len(data) for item, data in self._segments if item == item_id))
