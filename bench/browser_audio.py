"""What browsers send the media callback, for the benchmarks: 48 kHz stereo s16 20 ms frames."""

from __future__ import annotations

import av
import numpy as np

FRAME_MS = 20
RATE = 48000


def browser_frame(index: int) -> av.AudioFrame:
    """Frame ``index`` of a continuous 220 Hz tone, pts in samples."""
    n = RATE * FRAME_MS // 1000
    t = (np.arange(n) + index * n) / RATE
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(
        np.repeat(tone, 2).reshape(1, -1), format="s16", layout="stereo"
    )
    frame.sample_rate = RATE
    frame.pts = index * n
    return frame
