"""What browsers send the media callback, for the benchmarks: 48 kHz stereo s16 20 ms frames."""

from __future__ import annotations

import av
import numpy as np

FRAME_MS = 20
RATE = 48000
TALK_S = LISTEN_S = 3.0  # a conversation: the user talks half the time


def browser_frame(index: int, *, quiet: bool = False) -> av.AudioFrame:
    """Frame ``index`` of a continuous 220 Hz tone (a talking user), or of a quiet microphone
    (noise at about -70 dBFS, what a browser's noise suppression leaves), pts in samples."""
    n = RATE * FRAME_MS // 1000
    if quiet:
        noise = np.random.default_rng(index).normal(0, 10, n)
        samples = np.repeat(noise.astype(np.int16), 2)
    else:
        t = (np.arange(n) + index * n) / RATE
        samples = np.repeat((0.3 * 32767 * np.sin(2 * np.pi * 220 * t)).astype(np.int16), 2)
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="stereo")
    frame.sample_rate = RATE
    frame.pts = index * n
    return frame


def conversation_frame(index: int, phase: int = 0) -> av.AudioFrame:
    """Frame ``index`` of a user who talks ``TALK_S`` then listens ``LISTEN_S``, in turn
    (``phase`` frames into the cycle at index 0)."""
    talk, cycle = int(TALK_S * 1000 / FRAME_MS), int((TALK_S + LISTEN_S) * 1000 / FRAME_MS)
    return browser_frame(index, quiet=(index + phase) % cycle >= talk)
