"""PCM16 audio, the one internal format: base64 for the wire, timing, chunks, samples, levels.

Inside the package audio is PCM16 little-endian mono 24 kHz ``bytes`` (``realtime.protocol.facts``),
the format of ``input_audio_buffer.append`` and ``response.output_audio.delta`` payloads. Timing
comes from byte counts (``duration_ms``), never from a clock. Pure functions, safe on any thread;
a :class:`Pcm16Chunker` belongs to one stream and the one thread that feeds it.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from realtime.protocol.errors import ConfigError, ProtocolError
from realtime.protocol.facts import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH

__all__ = [
    "MIN_DBFS",
    "Pcm16Chunker",
    "bytes_for_ms",
    "check_channels",
    "check_layout",
    "check_rate",
    "check_whole_samples",
    "chunk_pcm16",
    "decode_pcm16_base64",
    "duration_ms",
    "encode_pcm16_base64",
    "float_to_pcm16",
    "pcm16_to_float",
    "rms_dbfs",
    "samples_dbfs",
]

MIN_DBFS = -96.0  # the floor of 16-bit audio; silence reads as this, never -inf
_FULL_SCALE_DB = 20 * math.log10(32768)  # samples are read as fractions of 32768

_LAYOUTS = {1: "mono", 2: "stereo"}
_RATES = range(8000, 192001)


def check_rate(rate: int, field: str = "rate") -> int:
    if rate not in _RATES:
        raise ConfigError(field, f"{rate} Hz is not a usable sample rate", allowed="8000-192000")
    return rate


def check_channels(channels: int, field: str = "channels") -> str:
    if channels not in _LAYOUTS:
        raise ConfigError(field, f"{channels} channels are not supported", allowed="1, 2")
    return _LAYOUTS[channels]


def check_layout(layout: str) -> int:
    for channels, name in _LAYOUTS.items():
        if layout == name:
            return channels
    raise ConfigError("layout", f"unknown layout {layout!r}", allowed="mono, stereo")


def check_whole_samples(data: bytes, channels: int) -> None:
    if len(data) % (SAMPLE_WIDTH * channels):
        raise ProtocolError(
            f"PCM16 audio of {len(data)} bytes is not a whole number of {channels}-channel samples"
        )


# --- Wire and timing ------------------------------------------------------------------------


def encode_pcm16_base64(pcm: bytes) -> str:
    """The ``audio`` field of ``input_audio_buffer.append``."""
    check_whole_samples(pcm, 1)
    return base64.b64encode(pcm).decode("ascii")


def decode_pcm16_base64(text: str) -> bytes:
    """The ``delta`` of ``response.output_audio.delta``; a bad payload raises ProtocolError."""
    try:
        # What b64decode(validate=True) runs, without its ASCII copy of the text first.
        pcm = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII characters
        raise ProtocolError(f"audio payload is not valid base64: {exc}") from exc
    check_whole_samples(pcm, 1)
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
    check_whole_samples(data, channels)
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
    check_whole_samples(pcm, 1)
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / np.float32(32768)


def float_to_pcm16(samples: npt.ArrayLike) -> bytes:
    """The inverse of :func:`pcm16_to_float` (exact on its output); clips outside [-1, 1]."""
    scaled = np.rint(np.asarray(samples, dtype=np.float64) * 32768)
    return np.clip(scaled, -32768, 32767).astype("<i2").tobytes()


def rms_dbfs(pcm: bytes) -> float:
    """Level for a meter: RMS relative to full scale (a full-scale sine reads -3 dBFS)."""
    check_whole_samples(pcm, 1)
    return samples_dbfs(np.frombuffer(pcm, dtype="<i2"))


def samples_dbfs(samples: npt.NDArray[np.int16]) -> float:
    """:func:`rms_dbfs` of PCM16 samples already in an array (two numpy calls: cheap enough to
    run on every microphone frame)."""
    if samples.size == 0:
        return MIN_DBFS
    x = samples.astype(np.float64)
    energy = float(np.dot(x, x)) / samples.size
    if energy <= 0:
        return MIN_DBFS
    return max(MIN_DBFS, 10 * math.log10(energy) - _FULL_SCALE_DB)
