"""Test signals: tones, browser-shaped frames, and alignment maths for resampler tests."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

from realtime.protocol.resample import StreamResampler

BROWSER_RATE = 48000
BROWSER_FRAME = 960  # 20 ms at 48 kHz, what aiortc hands the media callback
MAX_LAG = 16  # the resampler's delay at 24 kHz is well under this many samples

Samples = npt.NDArray[np.int16]


def tone(seconds: float, rate: int, *, freq: float = 440, amp: float = 0.5) -> Samples:
    t = np.arange(round(seconds * rate)) / rate
    return np.rint(amp * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def samples(pcm: bytes) -> Samples:
    return np.frombuffer(pcm, dtype="<i2").astype(np.int16)


def browser_frames(mono: Samples, *, frame: int = BROWSER_FRAME) -> list[av.AudioFrame]:
    """The signal as aiortc delivers it: packed s16 stereo, pts in samples at 48 kHz."""
    stereo = np.repeat(mono, 2)  # interleaved L R L R
    frames = []
    for start in range(0, len(mono), frame):
        chunk = stereo[2 * start : 2 * (start + frame)].reshape(1, -1)
        f = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
        f.sample_rate = BROWSER_RATE
        f.time_base = Fraction(1, BROWSER_RATE)
        f.pts = start
        frames.append(f)
    return frames


def stream(resampler: StreamResampler, frames: list[av.AudioFrame]) -> Samples:
    pcm = b"".join(resampler.resample(f) for f in frames) + resampler.flush()
    return samples(pcm)


def aligned(a: Samples, b: Samples) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The lag within MAX_LAG that best lines ``a`` up with ``b``, and the overlapping parts."""
    x, y = a.astype(np.int64), b.astype(np.int64)
    n = min(len(x), len(y)) - 2 * MAX_LAG

    def overlap(lag: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return x[MAX_LAG + lag : MAX_LAG + lag + n], y[MAX_LAG : MAX_LAG + n]

    lag = max(range(-MAX_LAG, MAX_LAG + 1), key=lambda k: (int(np.dot(*overlap(k))), -abs(k)))
    return (lag, *overlap(lag))


def max_step(x: Samples) -> int:
    """The largest sample-to-sample jump, away from the start-up and flush edges."""
    return int(np.abs(np.diff(x[MAX_LAG:-MAX_LAG].astype(np.int64))).max())


def boundary_step(x: Samples) -> int:
    """The largest jump within two samples of a 20 ms frame boundary (every 480 at 24 kHz)."""
    steps = np.abs(np.diff(x.astype(np.int64)))
    boundaries = np.arange(480, len(steps) - 2, 480)
    return int(steps[np.concatenate([boundaries + k for k in range(-2, 3)])].max())
