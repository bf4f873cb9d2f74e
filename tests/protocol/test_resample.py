"""Pure tests of realtime.protocol.resample: streamed resampling, frames."""

from __future__ import annotations

import gc
from fractions import Fraction

import av
import numpy as np
import pytest

from realtime.protocol.errors import ConfigError, ProtocolError
from realtime.protocol.facts import SAMPLE_RATE
from realtime.protocol.pcm import (
    chunk_pcm16,
    duration_ms,
    rms_dbfs,
)
from realtime.protocol.resample import StreamResampler, convert_pcm16, pcm16_frame
from tests.support.signals import (
    BROWSER_FRAME,
    BROWSER_RATE,
    MAX_LAG,
    aligned,
    boundary_step,
    browser_frames,
    max_step,
    samples,
    stream,
    tone,
)

# --- Streamed vs one-shot resampling (the acceptance line) ---------------------------------


@pytest.mark.parametrize("kind", ["tone", "silence"])
def test_streamed_resampling_matches_one_shot(kind: str) -> None:
    seconds = 10
    signal = tone(seconds, BROWSER_RATE) if kind == "tone" else np.zeros(480000, np.int16)

    streamed = stream(StreamResampler(), browser_frames(signal))
    one_shot = stream(StreamResampler(), browser_frames(signal, frame=len(signal)))

    expected = seconds * SAMPLE_RATE
    assert abs(len(streamed) - len(one_shot)) <= MAX_LAG
    assert abs(len(streamed) - expected) <= MAX_LAG

    if kind == "silence":
        # s16 in, s16 out, no dither: nothing may appear out of nothing.
        assert int(np.abs(streamed).max()) <= 1
        assert int(np.abs(one_shot).max()) <= 1
        return

    lag, s, o = aligned(streamed, one_shot)
    assert abs(lag) <= 2
    assert np.corrcoef(s, o)[0, 1] > 0.9999
    assert int(np.abs(s - o).max()) <= 2

    # No discontinuity where the 20 ms input frames meet: the sample-to-sample step there is no
    # bigger than anywhere inside the one-shot signal.
    assert boundary_step(streamed) <= max_step(one_shot) + 2
    assert max_step(streamed) <= max_step(one_shot) + 2

    # And it is still the same 440 Hz tone at half scale (-9 dBFS RMS).
    spectrum = np.abs(np.fft.rfft(streamed[:SAMPLE_RATE]))
    assert int(np.argmax(spectrum)) == 440  # one bin per Hz for a one-second window
    assert rms_dbfs(streamed.tobytes()) == pytest.approx(-9.03, abs=0.05)


def test_boundary_check_catches_a_resampler_that_forgets_state() -> None:
    # The check above is meaningful: a fresh resampler per frame clicks at every boundary.
    signal = tone(1, BROWSER_RATE)
    one_shot = stream(StreamResampler(), browser_frames(signal, frame=len(signal)))
    naive = np.concatenate([stream(StreamResampler(), [f]) for f in browser_frames(signal)])
    assert boundary_step(naive) > max_step(one_shot) + 50


def test_raw_pcm16_stream_matches_one_shot_conversion() -> None:
    signal = np.repeat(tone(2, BROWSER_RATE, freq=1000), 2).tobytes()  # 48 kHz stereo
    resampler = StreamResampler()
    pieces = [
        resampler.resample_pcm16(c, BROWSER_RATE, 2)
        for c in chunk_pcm16(signal, 20, rate=BROWSER_RATE, channels=2)
    ]
    streamed = samples(b"".join(pieces) + resampler.flush())
    one_shot = samples(convert_pcm16(signal, BROWSER_RATE, channels=2))
    assert len(streamed) == len(one_shot) == 2 * SAMPLE_RATE
    assert int(np.abs(streamed.astype(np.int64) - one_shot).max()) <= 2


@pytest.mark.parametrize(("rate", "channels"), [(22050, 1), (BROWSER_RATE, 2), (16000, 1)])
def test_a_long_clip_converts_a_second_at_a_time_like_one_frame(rate: int, channels: int) -> None:
    # One frame of a whole 30 s clip held ~70 MB more in PyAV 19 than in 18 at its peak: the
    # clip goes in one-second frames, and its samples are those of the one frame.
    clip = np.repeat(tone(7.3, rate, freq=440), channels).tobytes()
    whole = StreamResampler()
    one_frame = samples(whole.resample_pcm16(clip, rate, channels) + whole.flush())
    converted = samples(convert_pcm16(clip, rate, channels=channels))
    assert len(converted) == len(one_frame) == round(7.3 * SAMPLE_RATE)
    assert int(np.abs(converted.astype(np.int64) - one_frame).max()) <= 2
    assert convert_pcm16(b"", rate, channels=channels) == b""
    with pytest.raises(ConfigError):
        convert_pcm16(clip, 0)


def _filter_graphs() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, av.filter.Graph))


def test_a_conversion_leaves_no_filter_graph_behind() -> None:
    # PyAV 19 holds a resampler's filter graph (and FFmpeg's buffers) in a reference cycle: an
    # engine converting turn after turn kept every graph until a full collection (+30 MB after
    # 60 clips of 30 s on Python 3.13). Nothing of a finished conversion may stay.
    gc.collect()
    before = _filter_graphs()
    for rate in (16000, 22050, BROWSER_RATE):
        convert_pcm16(tone(1.0, rate, freq=440).tobytes(), rate)
    stream = StreamResampler()
    stream.resample_pcm16(tone(0.2, 16000, freq=440).tobytes(), 16000)
    stream.resample_pcm16(tone(0.2, 22050, freq=440).tobytes(), 22050)  # a new format: flushed
    stream.flush()
    assert _filter_graphs() == before


class RecordingResampler(StreamResampler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int | None, Fraction | None]] = []

    def resample(self, frame: av.AudioFrame) -> bytes:
        self.seen.append((frame.pts, frame.time_base))
        return super().resample(frame)


def test_raw_pcm16_frames_get_continuous_pts() -> None:
    resampler = RecordingResampler()
    for size in (1920, 3840, 1920):  # 10, 20, 10 ms at 48 kHz stereo
        resampler.resample_pcm16(bytes(size), BROWSER_RATE, 2)
    resampler.resample_pcm16(bytes(640), 16000)  # a new source starts a new timeline
    resampler.resample_pcm16(bytes(640), 16000)
    assert [pts for pts, _ in resampler.seen] == [0, 480, 1440, 0, 320]
    assert [tb for _, tb in resampler.seen] == [Fraction(1, BROWSER_RATE)] * 3 + [
        Fraction(1, 16000)
    ] * 2


def test_resampler_passes_through_the_internal_format() -> None:
    pcm = tone(0.1, SAMPLE_RATE).tobytes()
    resampler = StreamResampler()
    assert resampler.resample_pcm16(pcm, SAMPLE_RATE) + resampler.flush() == pcm


@pytest.mark.parametrize("fmt", ["fltp", "s16p", "flt", "s32p"])
def test_planar_and_float_frames_resample_like_packed_s16(fmt: str) -> None:
    mono = tone(1, BROWSER_RATE)
    reference = stream(StreamResampler(), browser_frames(mono))
    dtype = {"fltp": np.float32, "flt": np.float32, "s16p": np.int16, "s32p": np.int32}[fmt]
    scale = {"fltp": 1 / 32768, "flt": 1 / 32768, "s16p": 1, "s32p": 65536}[fmt]
    values = (mono.astype(np.float64) * scale).astype(dtype)
    resampler = StreamResampler()
    out = b""
    for start in range(0, len(mono), BROWSER_FRAME):
        chunk = values[start : start + BROWSER_FRAME]
        array = np.stack([chunk, chunk]) if fmt.endswith("p") else np.repeat(chunk, 2)[None]
        frame = av.AudioFrame.from_ndarray(array, format=fmt, layout="stereo")
        frame.sample_rate = BROWSER_RATE
        out += resampler.resample(frame)
    result = samples(out + resampler.flush())
    assert len(result) == len(reference)
    assert int(np.abs(result.astype(np.int64) - reference).max()) <= 2


def test_format_change_mid_stream_starts_a_new_stream() -> None:
    resampler = StreamResampler()
    first = b"".join(resampler.resample(f) for f in browser_frames(tone(0.2, BROWSER_RATE)))
    second = resampler.resample_pcm16(tone(0.2, 16000).tobytes(), 16000) + resampler.flush()
    assert duration_ms(len(first + second)) == pytest.approx(400, abs=2)


def test_resampler_rejects_bad_settings_and_frames() -> None:
    with pytest.raises(ConfigError, match="layout"):
        StreamResampler(layout="5.1")
    with pytest.raises(ConfigError, match="rate"):
        StreamResampler(rate=0)
    with pytest.raises(ConfigError, match="channels"):
        StreamResampler().resample_pcm16(b"\0" * 12, 48000, channels=3)
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 20), np.int16), format="s16", layout="mono")
    with pytest.raises(ProtocolError, match="sample rate"):
        StreamResampler().resample(frame)


def test_pcm16_frame_carries_rate_and_pts() -> None:
    frame = pcm16_frame(bytes(3840), 48000, "stereo", pts=1920)
    assert (frame.samples, frame.sample_rate, frame.pts) == (960, 48000, 1920)
    assert frame.time_base == Fraction(1, 48000)
    with pytest.raises(ProtocolError):
        pcm16_frame(bytes(6), 48000, "stereo")
