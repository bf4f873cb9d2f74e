"""Pure tests of realtime.protocol.wav: reading and writing WAV files."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from realtime.protocol.errors import ProtocolError
from realtime.protocol.facts import SAMPLE_RATE
from realtime.protocol.pcm import (
    duration_ms,
    rms_dbfs,
)
from realtime.protocol.wav import read_wav, write_wav
from tests.support.signals import samples, tone

# --- WAV files ------------------------------------------------------------------------------


def test_wav_round_trip_in_the_internal_format(tmp_path: Path) -> None:
    pcm = tone(0.5, SAMPLE_RATE).tobytes()
    write_wav(tmp_path / "a.wav", pcm)
    with wave.open(str(tmp_path / "a.wav"), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
    audio = read_wav(tmp_path / "a.wav")
    assert audio == (pcm, 24000, 1)


def test_read_wav_converts_rate_and_channels() -> None:
    buffer = io.BytesIO()
    write_wav(buffer, np.repeat(tone(1.5, 44100), 2).tobytes(), rate=44100, channels=2)
    buffer.seek(0)
    pcm, rate, channels = read_wav(buffer)
    assert (rate, channels) == (44100, 2)
    assert duration_ms(len(pcm)) == pytest.approx(1500, abs=1)
    assert rms_dbfs(pcm) == pytest.approx(-9.03, abs=0.05)


@pytest.mark.parametrize("width", [1, 3, 4])
def test_read_wav_accepts_other_sample_widths(tmp_path: Path, width: int) -> None:
    reference = tone(0.2, SAMPLE_RATE)
    wide = reference.astype(np.int32) << 16  # as 32-bit, then keep the top `width` bytes
    raw = wide.astype("<i4").view(np.uint8).reshape(-1, 4)[:, 4 - width :].copy()
    if width == 1:
        raw = (raw.astype(np.int16) + 128).astype(np.uint8)  # 8-bit WAV is unsigned
    with wave.open(str(tmp_path / "w.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(width)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(raw.tobytes())
    result = samples(read_wav(tmp_path / "w.wav").pcm)
    tolerance = 256 if width == 1 else 0
    assert int(np.abs(result.astype(np.int64) - reference).max()) <= tolerance


def test_read_wav_rejects_other_files(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_bytes(b"not a wav file at all")
    with pytest.raises(ProtocolError, match="WAV"):
        read_wav(tmp_path / "x.wav")
    with pytest.raises(ProtocolError):
        write_wav(io.BytesIO(), b"\0\0\0")
