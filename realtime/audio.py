"""PCM16 audio: the one internal format and the conversions at its edges.

Inside the package audio is PCM16 little-endian mono 24 kHz ``bytes``, the format of the Realtime
``input_audio_buffer.append`` and ``response.output_audio.delta`` payloads. This module converts
at the edges only: browser frames (48 kHz, often stereo, any sample format) to PCM16 on the way
in, PCM16 to fixed-size 48 kHz frames on the way out, base64 for the wire, WAV for test files.

Nothing here owns a thread or a lock. Each stateful object (:class:`StreamResampler`,
:class:`PlaybackFramer`, :class:`Pcm16Chunker`) belongs to one stream and to the one thread that
feeds it: the media callback on aiortc's loop for microphone frames, the bridge thread for model
audio. Make a fresh one per session; the functions are pure and safe anywhere.
"""

from __future__ import annotations

import base64
import binascii
import os
import wave
from collections.abc import Iterator
from fractions import Fraction
from typing import IO, NamedTuple

import av
import numpy as np
import numpy.typing as npt

from realtime.errors import ConfigError, ProtocolError

__all__ = [
    "CHANNELS",
    "FRAME_MS",
    "PLAYBACK_RATE",
    "SAMPLE_RATE",
    "SAMPLE_WIDTH",
    "Pcm16Chunker",
    "PlaybackFramer",
    "StreamResampler",
    "WavAudio",
    "bytes_for_ms",
    "chunk_pcm16",
    "convert_pcm16",
    "decode_pcm16_base64",
    "duration_ms",
    "encode_pcm16_base64",
    "float_to_pcm16",
    "pcm16_frame",
    "pcm16_to_float",
    "read_wav",
    "rms_dbfs",
    "write_wav",
]

SAMPLE_RATE = 24000
SAMPLE_WIDTH = 2
CHANNELS = 1
PLAYBACK_RATE = 48000  # what WebRTC's Opus track runs at
FRAME_MS = 20  # one WebRTC audio packet: 960 samples at 48 kHz
MIN_DBFS = -96.0  # the floor of 16-bit audio; silence reads as this, never -inf

_LAYOUTS = {1: "mono", 2: "stereo"}
_RATES = range(8000, 192001)


def _check_rate(rate: int, field: str = "rate") -> int:
    if rate not in _RATES:
        raise ConfigError(field, f"{rate} Hz is not a usable sample rate", allowed="8000-192000")
    return rate


def _check_channels(channels: int, field: str = "channels") -> str:
    if channels not in _LAYOUTS:
        raise ConfigError(field, f"{channels} channels are not supported", allowed="1, 2")
    return _LAYOUTS[channels]


def _check_layout(layout: str) -> int:
    for channels, name in _LAYOUTS.items():
        if layout == name:
            return channels
    raise ConfigError("layout", f"unknown layout {layout!r}", allowed="mono, stereo")


def _check_whole_samples(data: bytes, channels: int) -> None:
    if len(data) % (SAMPLE_WIDTH * channels):
        raise ProtocolError(
            f"PCM16 audio of {len(data)} bytes is not a whole number of {channels}-channel samples"
        )


# --- Wire and timing ------------------------------------------------------------------------


def encode_pcm16_base64(pcm: bytes) -> str:
    """The ``audio`` field of ``input_audio_buffer.append``."""
    _check_whole_samples(pcm, 1)
    return base64.b64encode(pcm).decode("ascii")


def decode_pcm16_base64(text: str) -> bytes:
    """The ``delta`` of ``response.output_audio.delta``; a bad payload raises ProtocolError."""
    try:
        pcm = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII characters
        raise ProtocolError(f"audio payload is not valid base64: {exc}") from exc
    _check_whole_samples(pcm, 1)
    return pcm


def duration_ms(num_bytes: int, rate: int = SAMPLE_RATE, channels: int = CHANNELS) -> float:
    """How long ``num_bytes`` of PCM16 play; ``audio_end_ms`` is computed from this."""
    return num_bytes * 1000 / (rate * channels * SAMPLE_WIDTH)


def bytes_for_ms(ms: float, rate: int = SAMPLE_RATE, channels: int = CHANNELS) -> int:
    """The byte count of ``ms`` of PCM16, rounded to the nearest whole sample."""
    return round(ms * rate / 1000) * channels * SAMPLE_WIDTH


def chunk_pcm16(
    data: bytes, chunk_ms: float, *, rate: int = SAMPLE_RATE, channels: int = CHANNELS
) -> Iterator[bytes]:
    """Split ``data`` into chunks of ``chunk_ms``; the last may be shorter, no sample is split."""
    _check_whole_samples(data, channels)
    size = bytes_for_ms(chunk_ms, rate, channels)
    if size <= 0:
        raise ConfigError("chunk_ms", f"{chunk_ms} ms is shorter than one sample")
    return (data[i : i + size] for i in range(0, len(data), size))


class Pcm16Chunker:
    """Accumulate streamed PCM16 and hand out chunks of exactly ``chunk_ms``.

    The client sends ``input_audio_buffer.append`` every 40-100 ms rather than per 20 ms frame;
    pushes may split anywhere, full chunks never split a sample.
    """

    def __init__(
        self, chunk_ms: float = 50, *, rate: int = SAMPLE_RATE, channels: int = CHANNELS
    ) -> None:
        self.chunk_bytes = bytes_for_ms(chunk_ms, rate, channels)
        if self.chunk_bytes <= 0:
            raise ConfigError("chunk_ms", f"{chunk_ms} ms is shorter than one sample")
        self._frame_bytes = SAMPLE_WIDTH * channels
        self._buffer = bytearray()

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

    def push(self, data: bytes) -> list[bytes]:
        """Add ``data``; return every full chunk now available, oldest first."""
        self._buffer += data
        count = len(self._buffer) // self.chunk_bytes
        end = count * self.chunk_bytes
        chunks = [
            bytes(self._buffer[i : i + self.chunk_bytes]) for i in range(0, end, self.chunk_bytes)
        ]
        del self._buffer[:end]
        return chunks

    def flush(self) -> bytes:
        """The shorter tail, in whole samples (a dangling half sample cannot be played)."""
        tail = len(self._buffer) - len(self._buffer) % self._frame_bytes
        data = bytes(self._buffer[:tail])
        self._buffer.clear()
        return data

    def clear(self) -> None:
        self._buffer.clear()


# --- Samples --------------------------------------------------------------------------------


def pcm16_to_float(pcm: bytes) -> npt.NDArray[np.float32]:
    """Samples in [-1, 1) as float32, interleaved if there is more than one channel."""
    _check_whole_samples(pcm, 1)
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(32768)


def float_to_pcm16(samples: npt.ArrayLike) -> bytes:
    """The inverse of :func:`pcm16_to_float` (exact on its output); clips outside [-1, 1]."""
    scaled = np.rint(np.asarray(samples, dtype=np.float64) * 32768)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def rms_dbfs(pcm: bytes) -> float:
    """Level for a meter: RMS relative to full scale (a full-scale sine reads -3 dBFS)."""
    samples = pcm16_to_float(pcm).astype(np.float64)
    if samples.size == 0:
        return MIN_DBFS
    rms = float(np.sqrt(np.mean(samples * samples)))
    if rms <= 0:
        return MIN_DBFS
    return max(MIN_DBFS, 20 * float(np.log10(rms)))


def pcm16_frame(
    pcm: bytes, rate: int, layout: str = "mono", pts: int | None = None
) -> av.AudioFrame:
    """One packed ``s16`` frame holding ``pcm``, timed in samples (``time_base = 1/rate``)."""
    channels = _check_layout(layout)
    _check_whole_samples(pcm, channels)
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
        self.rate = _check_rate(rate)
        self.layout = layout
        self.channels = _check_layout(layout)
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
        layout = _check_channels(channels)
        _check_rate(rate, "source rate")
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
        self._resampler = None
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
    """One-shot conversion of a whole PCM16 clip (a WAV, a TTS sentence)."""
    resampler = StreamResampler(to_rate, to_layout)
    return resampler.resample_pcm16(pcm, rate, channels) + resampler.flush()


class PlaybackFramer:
    """Model audio (24 kHz mono PCM16) in, fixed-size frames for the WebRTC track out.

    Every frame holds ``frame_ms`` of audio at ``rate``, with ``pts`` counting samples from the
    first frame and ``time_base = 1/rate``, so pts stay continuous across responses, silence and
    barge-in. Call :meth:`flush` when a response ends so its last few milliseconds come out.
    """

    def __init__(
        self,
        rate: int = PLAYBACK_RATE,
        layout: str = "stereo",
        frame_ms: float = FRAME_MS,
        *,
        source_rate: int = SAMPLE_RATE,
    ) -> None:
        self.rate = _check_rate(rate)
        self.layout = layout
        self.source_rate = _check_rate(source_rate, "source_rate")
        self._resampler = StreamResampler(rate, layout)
        channels = self._resampler.channels
        self._chunker = Pcm16Chunker(frame_ms, rate=rate, channels=channels)
        self.samples_per_frame = self._chunker.chunk_bytes // (SAMPLE_WIDTH * channels)
        self.pts = 0  # of the next frame

    def push(self, pcm: bytes) -> list[av.AudioFrame]:
        converted = self._resampler.resample_pcm16(pcm, self.source_rate)
        return [self._frame(chunk) for chunk in self._chunker.push(converted)]

    def flush(self) -> list[av.AudioFrame]:
        """The remaining audio, the last frame padded with silence to full size."""
        frames = [self._frame(c) for c in self._chunker.push(self._resampler.flush())]
        tail = self._chunker.flush()
        if tail:
            frames.append(self._frame(tail.ljust(self._chunker.chunk_bytes, b"\0")))
        return frames

    def clear(self) -> None:
        """Drop everything not yet framed (barge-in); pts keep counting."""
        self._resampler.flush()
        self._chunker.clear()

    def silence(self) -> av.AudioFrame:
        """A silent frame for when nothing is queued, so the track's clock keeps running."""
        return self._frame(bytes(self._chunker.chunk_bytes))

    def _frame(self, chunk: bytes) -> av.AudioFrame:
        frame = pcm16_frame(chunk, self.rate, self.layout, pts=self.pts)
        self.pts += frame.samples
        return frame


# --- WAV files ------------------------------------------------------------------------------


class WavAudio(NamedTuple):
    pcm: bytes  # PCM16 mono at SAMPLE_RATE
    source_rate: int
    source_channels: int


def write_wav(
    target: str | os.PathLike[str] | IO[bytes],
    pcm: bytes,
    rate: int = SAMPLE_RATE,
    channels: int = CHANNELS,
) -> None:
    _check_channels(channels)
    _check_whole_samples(pcm, channels)
    file = os.fspath(target) if isinstance(target, os.PathLike) else target
    with wave.open(file, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def read_wav(source: str | os.PathLike[str] | IO[bytes]) -> WavAudio:
    """Any integer PCM WAV (8/16/24/32-bit, any channels and rate) as 24 kHz mono PCM16."""
    file = os.fspath(source) if isinstance(source, os.PathLike) else source
    try:
        with wave.open(file, "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ProtocolError(f"{source} is not a readable PCM WAV file: {exc}") from exc
    samples = _to_int16(raw, width)
    if samples is None:
        raise ProtocolError(f"{source}: {8 * width}-bit samples are not supported")
    if channels > 1:  # downmix by averaging, as the resampler does for stereo
        samples = samples.reshape(-1, channels).mean(axis=1).round().astype(np.int16)
    return WavAudio(convert_pcm16(samples.astype("<i2").tobytes(), rate), rate, channels)


def _to_int16(raw: bytes, width: int) -> npt.NDArray[np.int16] | None:
    if width == 1:  # unsigned 8-bit
        return ((np.frombuffer(raw, np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if width == 2:
        return np.frombuffer(raw, "<i2").astype(np.int16)
    if width == 3:  # keep the top two of three little-endian bytes
        triples = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        return np.ascontiguousarray(triples[:, 1:]).view("<i2").ravel().astype(np.int16)
    if width == 4:
        return (np.frombuffer(raw, "<i4") >> 16).astype(np.int16)
    return None
