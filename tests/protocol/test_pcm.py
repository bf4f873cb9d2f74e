"""Pure tests of realtime.protocol.pcm: base64, timing, chunks, samples, levels."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from realtime.protocol.errors import ConfigError, ProtocolError
from realtime.protocol.facts import SAMPLE_RATE
from realtime.protocol.pcm import (
    MIN_DBFS,
    Pcm16Chunker,
    bytes_for_ms,
    chunk_pcm16,
    decode_pcm16_base64,
    duration_ms,
    encode_pcm16_base64,
    float_to_pcm16,
    pcm16_to_float,
    rms_dbfs,
)
from tests.support.signals import samples, tone

# --- PCM16 helpers --------------------------------------------------------------------------


def test_base64_round_trip() -> None:
    pcm = tone(0.05, SAMPLE_RATE).tobytes()
    text = encode_pcm16_base64(pcm)
    assert text == base64.b64encode(pcm).decode()
    assert decode_pcm16_base64(text) == pcm
    assert decode_pcm16_base64(encode_pcm16_base64(b"")) == b""


@pytest.mark.parametrize(
    "text",
    ["not base64!", "AAA", "AAE=" + "x", "AAAA AAAA", "AAÉA", base64.b64encode(b"abc").decode()],
    ids=["symbols", "padding", "trailing", "space", "non-ascii", "odd-bytes"],
)
def test_invalid_base64_raises_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        decode_pcm16_base64(text)


def test_encode_rejects_half_samples() -> None:
    with pytest.raises(ProtocolError, match="whole number"):
        encode_pcm16_base64(b"\0\0\0")


def test_duration_maths() -> None:
    assert duration_ms(48000) == 1000
    assert duration_ms(960) == 20
    assert duration_ms(3840, rate=48000, channels=2) == 20
    assert bytes_for_ms(20) == 960
    assert bytes_for_ms(20, 48000, 2) == 3840
    assert bytes_for_ms(0.07 * 1000) == 3360  # float error must not lose a sample
    for size in (0, 2, 960, 4802, 48000):
        assert bytes_for_ms(duration_ms(size)) == size


def test_chunking_has_exact_sizes_and_never_splits_a_sample() -> None:
    data = tone(1, SAMPLE_RATE).tobytes()
    chunks = list(chunk_pcm16(data, 70))
    assert [len(c) for c in chunks] == [3360] * 14 + [960]
    assert b"".join(chunks) == data
    assert [len(c) for c in chunk_pcm16(data, 40)] == [1920] * 25

    stereo = bytes(4 * 1000)
    assert all(len(c) % 4 == 0 for c in chunk_pcm16(stereo, 7, rate=SAMPLE_RATE, channels=2))
    assert list(chunk_pcm16(b"", 40)) == []
    with pytest.raises(ProtocolError):
        chunk_pcm16(b"\0\0\0", 40)
    with pytest.raises(ConfigError, match="chunk_ms"):
        chunk_pcm16(data, 0.001)


def test_chunker_yields_full_chunks_from_any_split() -> None:
    data = tone(0.5, SAMPLE_RATE).tobytes()  # 24000 bytes
    chunker = Pcm16Chunker(40)
    chunks: list[bytes] = []
    position = 0
    for size in (1, 333, 4097, 7, 1920, 10000, 5000):
        chunks += chunker.push(data[position : position + size])
        position += size
    chunks += chunker.push(data[position:])
    assert all(len(c) == 1920 for c in chunks) and len(chunks) == 12
    assert chunker.pending_bytes == 24000 - 12 * 1920
    assert b"".join(chunks) + chunker.flush() == data
    assert chunker.pending_bytes == 0

    chunker.push(b"\1\0\2")
    assert chunker.flush() == b"\1\0"  # the dangling half sample is dropped
    with pytest.raises(ConfigError):
        Pcm16Chunker(0)


def test_float_conversion_round_trips_and_clips() -> None:
    pcm = np.array([-32768, -1, 0, 1, 12345, 32767], np.int16).tobytes()
    floats = pcm16_to_float(pcm)
    assert floats.dtype == np.float32
    assert floats.min() == -1.0 and floats.max() < 1.0
    assert float_to_pcm16(floats) == pcm
    assert samples(float_to_pcm16([1.5, 1.0, -2.0, 0.0])).tolist() == [32767, 32767, -32768, 0]


def test_rms_dbfs_levels() -> None:
    full = tone(1, SAMPLE_RATE, amp=1.0).tobytes()
    assert rms_dbfs(full) == pytest.approx(-3.01, abs=0.02)
    assert rms_dbfs(tone(1, SAMPLE_RATE, amp=0.1).tobytes()) == pytest.approx(-23.01, abs=0.02)
    assert rms_dbfs(bytes(960)) == MIN_DBFS
    assert rms_dbfs(b"") == MIN_DBFS
