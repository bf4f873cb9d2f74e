"""WAV files: any integer PCM WAV in as 24 kHz mono PCM16, PCM16 out (test speech, exports)."""

from __future__ import annotations

import os
import wave
from typing import IO, NamedTuple

import numpy as np
import numpy.typing as npt

from realtime.protocol.errors import ProtocolError
from realtime.protocol.facts import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH
from realtime.protocol.pcm import check_channels, check_whole_samples
from realtime.protocol.resample import convert_pcm16

__all__ = ["WavAudio", "read_wav", "write_wav"]


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
    check_channels(channels)
    check_whole_samples(pcm, channels)
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
