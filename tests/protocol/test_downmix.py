"""Downmix / Upmix: the numpy 2:1 converters match libswresample and stream without seams."""

from __future__ import annotations

import numpy as np
import pytest

from realtime.protocol.downmix import Downmix, Upmix
from realtime.protocol.resample import convert_pcm16


def _signal(seconds: float = 1.0, rate: int = 48000) -> np.ndarray:
    """A speech-like test signal: a gliding voiced tone with harmonics and a little noise."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = 2 * np.pi * (120 * t + 40 * t * t)  # 120 Hz rising: a spoken question
    voiced = sum(np.sin(k * pitch) / k for k in range(1, 30))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2  # syllables
    noise = np.random.default_rng(7).normal(0, 0.02, t.size)
    return 0.25 * 32767 * (voiced * envelope / 2 + noise)


def _stereo(mono: np.ndarray) -> bytes:
    left, right = mono, 0.8 * mono
    return np.stack([left, right], axis=1).astype("<i2").tobytes()


def _snr_db(reference: np.ndarray, actual: np.ndarray) -> float:
    n = min(reference.size, actual.size)
    ref, err = reference[:n].astype(float), reference[:n] - actual[:n].astype(float)
    return float(10 * np.log10(np.mean(ref**2) / np.mean(err**2)))


def test_downmix_matches_the_pyav_resampler() -> None:
    pcm = _stereo(_signal())
    reference = np.frombuffer(convert_pcm16(pcm, 48000, channels=2), "<i2")
    mix = Downmix()
    ours = np.frombuffer(mix.push(pcm) + mix.flush(), "<i2")
    assert ours.size == reference.size
    assert _snr_db(reference, ours) > 45  # measured 56 dB: the filters differ only near 12 kHz
    # Aligned sample for sample (no delay between the two), away from the stream's edges.
    inner = slice(100, -100)
    assert np.max(np.abs(reference[inner].astype(int) - ours[inner])) < 0.02 * 32767


@pytest.mark.parametrize("frame", [960, 961, 17, 4000])
def test_streamed_downmix_equals_one_shot_at_any_frame_boundary(frame: int) -> None:
    pcm = _stereo(_signal(0.5))
    whole = Downmix()
    expected = whole.push(pcm) + whole.flush()
    streamed = Downmix()
    step = frame * 4  # stereo PCM16 bytes per frame
    parts = [streamed.push(pcm[i : i + step]) for i in range(0, len(pcm), step)]
    assert b"".join(parts) + streamed.flush() == expected


def test_downmix_of_mono_and_a_new_stream_after_flush() -> None:
    mono = _signal(0.2).astype("<i2").tobytes()
    mix = Downmix(1)
    first = mix.push(mono) + mix.flush()
    assert mix.push(mono) + mix.flush() == first  # flush ends the stream; the next starts anew
    reference = np.frombuffer(convert_pcm16(mono, 48000), "<i2")
    assert _snr_db(reference, np.frombuffer(first, "<i2")) > 45


def test_upmix_matches_the_pyav_resampler_and_streams_without_seams() -> None:
    mono = np.frombuffer(convert_pcm16(_stereo(_signal()), 48000, channels=2), "<i2")
    pcm = mono.tobytes()
    reference = np.frombuffer(convert_pcm16(pcm, 24000, to_rate=48000, to_layout="stereo"), "<i2")
    whole = Upmix()
    expected = whole.push(pcm) + whole.flush()
    ours = np.frombuffer(expected, "<i2")
    assert ours.size == reference.size
    assert _snr_db(reference, ours) > 45
    streamed = Upmix()
    parts = [streamed.push(pcm[i : i + 960]) for i in range(0, len(pcm), 960)]
    assert b"".join(parts) + streamed.flush() == expected


def test_downmix_rejects_half_a_sample_frame() -> None:
    with pytest.raises(ValueError):
        Downmix().push(bytes(6))
    with pytest.raises(ValueError):
        Downmix(3)


def test_output_bytes_says_what_the_next_push_returns() -> None:
    mix = Downmix()
    rng = np.random.default_rng(3)
    for samples in (1, 7, 31, 32, 33, 960, 480, 2, 1920):
        pcm = rng.integers(-3000, 3000, 2 * samples, dtype=np.int16).tobytes()
        expected = mix.output_bytes(samples)
        assert len(mix.push(pcm)) == expected, samples


def test_a_frame_aligned_downmix_makes_20_ms_of_output_for_each_20_ms_frame() -> None:
    # A server deciding on 20 ms frames of the stream (turn detection) gets each one whole with
    # the message that carries it only if the stream's frames end where the browser's do.
    pcm = _stereo(_signal(0.5))
    aligned = Downmix(frame_aligned=True)
    step = 960 * 4
    sizes = [len(aligned.push(pcm[i : i + step])) for i in range(0, len(pcm), step)]
    assert set(sizes) == {480 * 2}  # unaligned, the first frame makes 464 samples
    # The same audio, 16 samples (0.67 ms) later: the lead-in is the filter over the silence
    # before time zero.
    again = Downmix(frame_aligned=True)
    shifted = np.frombuffer(again.push(pcm) + again.flush(), "<i2")
    reference = Downmix()
    expected = np.frombuffer(reference.push(pcm) + reference.flush(), "<i2")
    assert shifted.size == expected.size + 16
    assert np.array_equal(shifted[16:], expected)
    assert np.max(np.abs(shifted[:16].astype(int))) < 0.05 * 32767
