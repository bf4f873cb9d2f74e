"""A speaker that plays at real time: it pulls 20 ms frames from a playback buffer on a thread
of its own, as the WebRTC track does, so a test can talk over an answer while it is heard."""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["RealTimeSpeaker"]

FRAME = 960  # bytes: 20 ms of PCM16 24 kHz mono, as the track reads it
FRAME_S = 0.02


class Pullable(Protocol):
    """What the speaker pulls from (``realtime.client``'s ``Playback``)."""

    def read(self, nbytes: int, /) -> bytes: ...


class RealTimeSpeaker:
    """Pulls 20 ms frames from ``playback`` at real time until :meth:`stop`."""

    def __init__(self, playback: Pullable) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(playback,), daemon=True)
        self._thread.start()

    def _run(self, playback: Pullable) -> None:
        start = time.monotonic()
        n = 0
        while not self._stop.is_set():
            playback.read(FRAME)
            n += 1
            time.sleep(max(0.0, start + n * FRAME_S - time.monotonic()))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1)
