"""FasterWhisperTranscriber (``realtime.local.stages.asr.whisper``) on speech made by Piper."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from realtime.local.stages.asr.transcriber import Transcript
from realtime.local.stages.asr.whisper import FasterWhisperTranscriber, resolve_model
from realtime.local.stages.models import BUNDLED_WHISPER, cache_root, whisper_base_dir
from realtime.protocol.errors import EngineError
from realtime.protocol.resample import convert_pcm16
from realtime.protocol.wav import read_wav
from tests.fixtures.loader import FIXTURES
from tests.support.speech import steady_speech

AUDIO = FIXTURES / "audio"

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def transcriber() -> FasterWhisperTranscriber:
    return FasterWhisperTranscriber()


def words(transcript: Transcript) -> str:
    return transcript.text.lower()


def test_recorded_speech_transcribes(transcriber: FasterWhisperTranscriber) -> None:
    result = transcriber.transcribe(read_wav(AUDIO / "what_time_tokyo.wav").pcm)
    assert "time" in words(result) and "tokyo" in words(result)
    assert result.language == "en"
    assert result.duration_ms == pytest.approx(1625, abs=1)


def test_piper_speech_round_trips(transcriber: FasterWhisperTranscriber) -> None:
    from realtime.local.stages.tts.piper import PiperSynthesizer

    pcm = PiperSynthesizer().synthesize("Please book a flight to Paris for Monday.")
    text = words(transcriber.transcribe(pcm, prompt="Travel booking."))
    assert "paris" in text and "monday" in text


def test_silence_gives_empty_text(transcriber: FasterWhisperTranscriber) -> None:
    assert transcriber.transcribe(bytes(48_000 * 2)).text == ""
    assert transcriber.transcribe(b"").text == ""


def test_concurrent_calls_share_one_model(transcriber: FasterWhisperTranscriber) -> None:
    pcm = read_wav(AUDIO / "what_time_tokyo.wav").pcm
    other = FasterWhisperTranscriber(BUNDLED_WHISPER)
    # The shared model cache is internal on purpose: no caller should hold the model.
    assert other._model() is transcriber._model()  # noqa: SLF001
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda t=t: results.append(words(t.transcribe(pcm))))
        for t in (transcriber, other)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and all("tokyo" in r for r in results)


def test_model_setting() -> None:
    bundled = whisper_base_dir()
    assert bundled == cache_root() / BUNDLED_WHISPER
    for name in (None, "whisper-1", "base", BUNDLED_WHISPER):
        assert resolve_model(name) == bundled
    assert resolve_model(bundled) == bundled  # a model folder
    with pytest.raises(EngineError, match="download"):
        resolve_model("large-v3")
    with pytest.raises(EngineError, match="model.bin"):
        resolve_model(Path(__file__).parent)


SENTENCES = (
    "What time is it in Tokyo?",
    "How long is a flight from London to New York?",
    "Can you find the airport with the code LHR?",
    "I would like to know the weather in Paris and, um, also in Berlin tomorrow morning.",
    "Hello.",
)


@pytest.fixture(scope="module")
def spoken() -> dict[str, bytes]:
    return {sentence: steady_speech(sentence) for sentence in SENTENCES}


def test_a_window_sized_to_the_turn_hears_as_well_as_the_30_s_window(
    transcriber: FasterWhisperTranscriber, spoken: dict[str, bytes]
) -> None:
    # Either window now and then mishears a word ("the code LHR" as "a code LHR"), so the test
    # compares how far each is from what was said, in characters, over all the sentences.
    full = FasterWhisperTranscriber(short_window=False)
    short_errors = full_errors = said = 0
    for sentence, pcm in spoken.items():
        samples = transcriber_samples(pcm)
        # Which window decoded is internal; the test checks the short one is taken.
        assert transcriber._short_window(samples, "en", None, False) is not None, sentence  # noqa: SLF001
        short, standard = transcriber.transcribe(pcm), full.transcribe(pcm)
        assert short.language == standard.language == "en"
        reference = _letters(sentence.replace(", um,", ""))
        short_errors += _distance(_letters(short.text), reference)
        full_errors += _distance(_letters(standard.text), reference)
        said += len(reference)
    print(f"characters misheard: short window {short_errors}, 30 s window {full_errors}, of {said}")
    assert short_errors <= full_errors + said // 20, (short_errors, full_errors, said)


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _distance(a: str, b: str) -> int:
    """Levenshtein distance: the characters to change, add or drop to turn ``a`` into ``b``."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def test_the_short_window_detects_the_language_when_none_is_set(
    spoken: dict[str, bytes],
) -> None:
    detecting = FasterWhisperTranscriber(language=None)
    result = detecting.transcribe(spoken["What time is it in Tokyo?"])
    assert result.language == "en" and "tokyo" in words(result)


def test_a_turn_too_long_for_a_short_window_takes_the_30_s_path(
    transcriber: FasterWhisperTranscriber, spoken: dict[str, bytes]
) -> None:
    pause = bytes(2 * 24_000 // 2)  # 0.5 s
    pcm = pause.join(list(spoken.values()) * 2)  # about 21 s
    assert transcriber._short_window(transcriber_samples(pcm), "en", None, False) is None  # noqa: SLF001 (the window chosen)
    text = words(transcriber.transcribe(pcm))
    assert "tokyo" in text and "berlin" in text


def test_a_decode_that_ran_away_is_done_again_the_standard_way(
    transcriber: FasterWhisperTranscriber,
    spoken: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from realtime.local.stages.asr import whisper_window

    monkeypatch.setattr(whisper_window, "looks_looped", lambda text: True)
    pcm = spoken["What time is it in Tokyo?"]
    assert transcriber._short_window(transcriber_samples(pcm), "en", None, False) is None  # noqa: SLF001 (the window chosen)
    assert "tokyo" in words(transcriber.transcribe(pcm))


def transcriber_samples(pcm: bytes) -> object:
    from realtime.protocol.pcm import pcm16_to_float

    return pcm16_to_float(convert_pcm16(pcm, 24_000, to_rate=16_000))


@pytest.mark.parametrize("short_window", [True, False])
def test_logprobs_spell_the_transcript_only_when_asked(short_window: bool) -> None:
    from realtime.protocol.logprobs import words as logprob_words

    transcriber = FasterWhisperTranscriber(short_window=short_window)
    pcm = read_wav(AUDIO / "what_time_tokyo.wav").pcm
    assert transcriber.transcribe(pcm).logprobs == ()
    result = transcriber.transcribe(pcm, logprobs=True)
    assert result.logprobs and all(t.logprob <= 0.0 for t in result.logprobs)
    assert all(bytes(t.bytes).decode(errors="replace") == t.token for t in result.logprobs)
    heard = [w.text for w in logprob_words(result.logprobs)]
    assert heard == result.text.split()
    # The spoken words are sure ones; what the 30 s window invents past them ("video. you"
    # on this machine) is not: what the marks in the transcript are for.
    found = logprob_words(result.logprobs)
    assert [w.text for w in found[:6]] == "What time is it in Tokyo?".split()
    assert not any(w.unsure for w in found[:6]) and all(w.unsure for w in found[6:])
