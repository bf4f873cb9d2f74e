"""Browser audio (48 kHz stereo PCM16) to the internal PCM16 24 kHz mono, and back, in numpy.

The rate is exactly two to one, so neither direction needs a general resampler: one symmetric
windowed-sinc low-pass (the same for both) applied to whole 20 ms frames, polyphase, into
buffers allocated once per stream. A :class:`Downmix` belongs to one stream and to the thread
that feeds it (the media callback on aiortc's loop); :class:`Upmix` to the thread that pulls
playback frames (also aiortc's loop). Like ``StreamResampler`` each holds a little history, so
a stream converted frame by frame equals the whole signal converted at once, and both hold back
half the filter (0.7 ms) until :meth:`flush`. Output sample ``n`` is input sample ``2n`` (down)
or ``n / 2`` (up): aligned with libswresample's, which the tests compare against.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["HALF_TAPS", "Downmix", "Upmix", "lowpass_taps"]

HALF_TAPS = 32  # the filter has 2 * HALF_TAPS + 1 taps at 48 kHz; even, so outputs stay aligned
_Floats = npt.NDArray[np.float32]


def lowpass_taps(half: int = HALF_TAPS, cutoff: float = 0.94, beta: float = 8.0) -> _Floats:
    """A Kaiser-windowed sinc at ``cutoff`` x 12 kHz, unit gain at DC, ``2 * half + 1`` taps."""
    n = np.arange(-half, half + 1, dtype=np.float64)
    fc = cutoff * 0.25  # of 48 kHz: the output Nyquist is a quarter of the input rate
    taps = 2 * fc * np.sinc(2 * fc * n) * np.kaiser(2 * half + 1, beta)
    out: _Floats = (taps / taps.sum()).astype(np.float32)
    return out


class Downmix:
    """48 kHz interleaved stereo (or mono) PCM16, any frame size, to 24 kHz mono PCM16 bytes."""

    def __init__(
        self, channels: int = 2, *, frame_samples: int = 960, frame_aligned: bool = False
    ) -> None:
        """``frame_aligned``: keep the outputs centred before time zero (the filter's half, 16
        samples computed over the silent history) instead of dropping them, so each 20 ms input
        frame completes exactly 20 ms of output and the output's 20 ms frames end where the
        input's do, 0.67 ms later. A server that decides on 20 ms frames of the stream (turn
        detection) then gets each of them whole with the message that carries the frame;
        unaligned, every one of them waited for the next message (19 ms at 20 ms messages)."""
        if channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, not {channels}")
        self.channels = channels
        self._lead = 0 if frame_aligned else HALF_TAPS // 2
        # Averaging the channels is folded into the taps: one multiply per tap, none per sample.
        self._taps = lowpass_taps() / np.float32(channels)
        self._fill = 2 * HALF_TAPS  # buffered input samples; starts as silence before time 0
        self._skip = self._lead  # outputs centred before time zero, dropped once per stream
        self._buf: _Floats = np.zeros(0, dtype=np.float32)
        self._resize(max(frame_samples, HALF_TAPS))

    def _resize(self, samples: int) -> None:
        # Whole-frame buffers, allocated again only when a bigger frame comes (never, from a
        # browser: 960 samples every 20 ms).
        old = self._buf[: self._fill].copy() if self._buf.size else None
        self._size = samples
        self._buf = np.zeros(2 * HALF_TAPS + samples + 1, dtype=np.float32)
        if old is not None:
            self._buf[: old.size] = old
        self._windows = sliding_window_view(self._buf, self._taps.size)[::2]
        self._out: _Floats = np.empty(len(self._windows), dtype=np.float32)
        self._pcm = np.empty(len(self._windows), dtype="<i2")

    def push(self, pcm: bytes | bytearray | memoryview | npt.NDArray[np.int16]) -> bytes:
        """The next input samples (interleaved); returns the 24 kHz mono PCM16 they complete."""
        x = pcm if isinstance(pcm, np.ndarray) else np.frombuffer(pcm, dtype="<i2")
        if x.size % self.channels:
            raise ValueError("PCM ends in the middle of a sample frame")
        n = x.size // self.channels
        if n > self._size:
            self._resize(n)
        dest = self._buf[self._fill : self._fill + n]
        if self.channels == 2:
            np.add(x[0::2], x[1::2], out=dest, casting="unsafe")
        else:
            dest[:] = x
        return self._filter(self._fill + n)

    def output_bytes(self, samples: int) -> int:
        """How many bytes a push of ``samples`` more input sample frames would return now."""
        outs = max(0, (self._fill + samples - self._taps.size) // 2 + 1)
        return 2 * (outs - min(self._skip, outs))

    def flush(self) -> bytes:
        """The held-back tail (the filter's half after the last sample); the stream ends."""
        self._buf[self._fill : self._fill + HALF_TAPS] = 0
        tail = self._filter(self._fill + HALF_TAPS)
        self._buf[: 2 * HALF_TAPS] = 0
        self._fill, self._skip = 2 * HALF_TAPS, self._lead
        return tail

    def _filter(self, filled: int) -> bytes:
        # Window m covers buffer samples 2m .. 2m + 2 * HALF_TAPS, centred on 2m + HALF_TAPS.
        outs = max(0, (filled - self._taps.size) // 2 + 1)
        out = self._out[:outs]
        np.dot(self._windows[:outs], self._taps, out=out)
        consumed = 2 * outs
        self._fill = filled - consumed
        self._buf[: self._fill] = self._buf[consumed:filled]
        skip = min(self._skip, outs)
        self._skip -= skip
        pcm = self._pcm[skip:outs]
        _to_pcm16(out[skip:], pcm)
        return pcm.tobytes()


class Upmix:
    """24 kHz mono PCM16 to 48 kHz PCM16, duplicated over ``channels`` (interleaved)."""

    def __init__(self, channels: int = 2, *, frame_samples: int = 480) -> None:
        taps = lowpass_taps() * np.float32(2)  # zero-stuffing halves the gain
        # Polyphase: even outputs use the even taps, odd outputs the odd ones.
        self._phases = (taps[0::2].copy(), taps[1::2].copy())
        self.channels = channels
        self._history = HALF_TAPS
        self._size = frame_samples
        self._buf: _Floats = np.zeros(self._history + frame_samples, dtype=np.float32)
        self._started = False
        self._alloc(frame_samples)

    def _alloc(self, samples: int) -> None:
        self._size = samples
        old = self._buf[: self._history].copy()
        self._buf = np.zeros(self._history + samples, dtype=np.float32)
        self._buf[: self._history] = old
        self._even = sliding_window_view(self._buf, self._phases[0].size)
        self._odd = sliding_window_view(self._buf[1:], self._phases[1].size)
        self._mix: _Floats = np.empty((samples, 2), dtype=np.float32)
        self._pcm = np.empty((samples * 2, self.channels), dtype="<i2")

    def push(self, pcm: bytes | memoryview) -> bytes:
        x = np.frombuffer(pcm, dtype="<i2")
        n = x.size
        if n > self._size:
            self._alloc(n)
        h = self._history
        self._buf[h : h + n] = x
        # Output 2k is centred on input k - HALF_TAPS / 2 (the held-back half filter).
        np.matmul(self._even[:n], self._phases[0], out=self._mix[:n, 0])
        np.matmul(self._odd[:n], self._phases[1], out=self._mix[:n, 1])
        self._buf[:h] = self._buf[n : n + h]
        mono = self._mix[:n].reshape(-1)
        skip = 0 if self._started else HALF_TAPS
        self._started = True
        out = self._pcm[: 2 * n]
        _to_pcm16(mono, out[:, 0])
        if self.channels == 2:
            out[:, 1] = out[:, 0]
        return out[skip:].tobytes()

    def flush(self) -> bytes:
        tail = self.push(bytes(HALF_TAPS))  # the filter's second half, past the last sample
        self._buf[:] = 0
        self._started = False
        return tail


def _to_pcm16(y: _Floats, out: npt.NDArray[np.int16]) -> None:
    """Round and saturate into ``out`` in place (no temporary arrays)."""
    np.rint(y, out=y)
    np.clip(y, -32768, 32767, out=y)
    np.copyto(out, y, casting="unsafe")
