"""Pure tests of realtime.audio: resampling, PCM16 helpers, WAV files, playback frames."""

from __future__ import annotations

import base64
import io
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from realtime.audio import (
    MIN_DBFS,
    SAMPLE_RATE,
    Pcm16Chunker,
    PlaybackFramer,
    StreamResampler,
    bytes_for_ms,
    chunk_pcm16,
    convert_pcm16,
    decode_pcm16_base64,
    duration_ms,
    encode_pcm16_base64,
    float_to_pcm16,
    pcm16_frame,
    pcm16_to_float,
    read_wav,
    rms_dbfs,
    write_wav,
)
from realtime.errors import ConfigError, ProtocolError

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


# --- Playback frames ------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["stereo", "mono"])
def test_playback_frames_are_fixed_size_with_continuous_pts(layout: str) -> None:
    channels = 2 if layout == "stereo" else 1
    pcm = tone(1, SAMPLE_RATE).tobytes()
    framer = PlaybackFramer(layout=layout)
    frames = []
    for size in (4800, 1234, 9600, 2, 30000):  # model deltas come in any size
        frames += framer.push(pcm[:size])
        pcm = pcm[size:]
    frames += framer.push(pcm) + framer.flush()

    assert len(frames) == 50  # 1 s of 20 ms frames, the tail padded to a full frame
    for index, frame in enumerate(frames):
        assert frame.samples == 960
        assert frame.sample_rate == 48000
        assert frame.time_base == Fraction(1, 48000)
        assert frame.pts == index * 960
        assert frame.format.name == "s16"
        assert frame.layout.name == layout
    audio = np.concatenate([f.to_ndarray().reshape(-1, channels) for f in frames])
    assert np.array_equal(audio[:, 0], audio[:, -1])
    assert rms_dbfs(audio[:, 0].tobytes()) == pytest.approx(-9.03, abs=0.05)
    assert int(np.argmax(np.abs(np.fft.rfft(audio[:48000, 0])))) == 440

    silent = framer.silence()
    assert silent.pts == 50 * 960 and silent.samples == 960
    assert not silent.to_ndarray().any()


def test_playback_clear_drops_pending_audio_and_keeps_the_clock() -> None:
    framer = PlaybackFramer()
    assert len(framer.push(bytes(bytes_for_ms(30)))) == 1
    framer.clear()
    assert framer.flush() == []
    frames = framer.push(bytes(bytes_for_ms(20))) + framer.flush()
    assert [f.pts for f in frames] == [960]  # 20 ms more, at the next slot


def test_pcm16_frame_carries_rate_and_pts() -> None:
    frame = pcm16_frame(bytes(3840), 48000, "stereo", pts=1920)
    assert (frame.samples, frame.sample_rate, frame.pts) == (960, 48000, 1920)
    assert frame.time_base == Fraction(1, 48000)
    with pytest.raises(ProtocolError):
        pcm16_frame(bytes(6), 48000, "stereo")


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
