"""Resampling at the edges: browser frames (48 kHz, often stereo) to PCM16 24 kHz mono, and back.

Nothing here owns a thread or a lock. A :class:`StreamResampler` belongs to one stream and to the
one thread that feeds it: the media callback on aiortc's loop for microphone frames, the bridge
thread for model audio. Make a fresh one per session; the functions are pure and safe anywhere.
"""

from __future__ import annotations

import gc
from fractions import Fraction

import av
import numpy as np

from realtime.protocol.errors import ProtocolError
from realtime.protocol.facts import SAMPLE_RATE
from realtime.protocol.pcm import check_channels, check_layout, check_rate, check_whole_samples

__all__ = ["FRAME_MS", "PLAYBACK_RATE", "StreamResampler", "convert_pcm16", "pcm16_frame"]

PLAYBACK_RATE = 48000  # what WebRTC's Opus track runs at
FRAME_MS = 20  # one WebRTC audio packet: 960 samples at 48 kHz


def pcm16_frame(
    pcm: bytes, rate: int, layout: str = "mono", pts: int | None = None
) -> av.AudioFrame:
    """One packed ``s16`` frame holding ``pcm``, timed in samples (``time_base = 1/rate``)."""
    channels = check_layout(layout)
    check_whole_samples(pcm, channels)
    array = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(array, format="s16", layout=layout)
    frame.sample_rate = rate
    frame.time_base = Fraction(1, rate)
    frame.pts = pts
    return frame


# --- Resampling -----------------------------------------------------------------------------


class StreamResampler:
    """Frames of any rate, layout and sample format in; PCM16 ``bytes`` at ``rate`` out.

    Stateful: libswresample keeps a few samples of history between calls, which is what makes a
    stream converted 20 ms at a time match the whole signal converted at once. So one instance
    per stream, fed in order. :meth:`flush` returns the held-back tail and ends the stream; the
    next frame starts a new one. A change of input format mid-stream flushes and starts anew
    instead of failing (``av.AudioResampler`` itself rejects it).
    """

    def __init__(self, rate: int = SAMPLE_RATE, layout: str = "mono") -> None:
        self.rate = check_rate(rate)
        self.layout = layout
        self.channels = check_layout(layout)
        self._resampler: av.AudioResampler | None = None
        self._source: tuple[str, str, int] | None = None
        self._upmix = False
        self._next_pts = 0  # in source samples, for frames built by resample_pcm16

    def resample(self, frame: av.AudioFrame) -> bytes:
        if frame.sample_rate <= 0:
            raise ProtocolError("audio frame has no sample rate")
        source = (frame.format.name, frame.layout.name, frame.sample_rate)
        head = b""
        if source != self._source:
            head = self.flush()
            self._source = source
            # libswresample spreads mono over stereo at -3 dB each; duplicate it at full level.
            self._upmix = frame.layout.nb_channels == 1 and self.channels == 2
            layout = "mono" if self._upmix else self.layout
            self._resampler = av.AudioResampler(format="s16", layout=layout, rate=self.rate)
        return head + self._run(frame)

    def resample_pcm16(self, pcm: bytes, rate: int, channels: int = 1) -> bytes:
        """Like :meth:`resample` for raw PCM16 at ``rate``, keeping pts continuous."""
        layout = check_channels(channels)
        check_rate(rate, "source rate")
        if not pcm:
            return b""
        head = b""
        if self._source != ("s16", layout, rate):
            head = self.flush()
            self._next_pts = 0
        frame = pcm16_frame(pcm, rate, layout, pts=self._next_pts)
        pcm_out = head + self.resample(frame)
        self._next_pts += frame.samples
        return pcm_out

    def flush(self) -> bytes:
        tail = self._run(None) if self._resampler is not None else b""
        if self._resampler is not None:
            self._resampler = None
            _free_filter_graph()
        self._source = None
        return tail

    def _run(self, frame: av.AudioFrame | None) -> bytes:
        assert self._resampler is not None
        try:
            frames = self._resampler.resample(frame)
        except (av.FFmpegError, ValueError) as exc:
            raise ProtocolError(f"cannot resample audio frame {frame}: {exc}") from exc
        pcm = b"".join(f.to_ndarray().astype("<i2", copy=False).tobytes() for f in frames)
        return np.repeat(np.frombuffer(pcm, "<i2"), 2).tobytes() if self._upmix else pcm


def convert_pcm16(
    pcm: bytes,
    rate: int,
    *,
    channels: int = 1,
    to_rate: int = SAMPLE_RATE,
    to_layout: str = "mono",
) -> bytes:
    """One-shot conversion of a whole PCM16 clip (a WAV, a TTS sentence, a turn), fed to one
    stream a second at a time: the same samples as in one frame, but libswresample's working
    memory stays that of a second, whatever the clip's length (PyAV 19 held about 70 MB more
    than PyAV 18 at its peak while 30 s items were converted in one frame each)."""
    check_channels(channels)
    step = check_rate(rate, "source rate") * 2 * channels  # a second of whole samples
    resampler = StreamResampler(to_rate, to_layout)
    parts = [
        resampler.resample_pcm16(pcm[i : i + step], rate, channels)
        for i in range(0, len(pcm), step)
    ]
    return b"".join([*parts, resampler.flush()])


def _free_filter_graph() -> None:
    """Free the filter graph of a resampler just let go.

    PyAV 19 (what Python 3.12+ installs) holds each ``av.AudioResampler``'s filter graph and its
    filter contexts in a reference cycle, so the graph, with FFmpeg's buffers, outlives the
    resampler until the garbage collector's next pass over older objects: in an engine that
    converts a turn or a sentence at a time, that was about 0.5 MB per 30 s clip, 30 MB after 60
    (PyAV 18 frees it at once). The graph is young, so a collection of the two youngest
    generations finds it (0.1-0.2 ms)."""
    gc.collect(1)
