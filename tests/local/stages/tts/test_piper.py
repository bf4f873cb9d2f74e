"""PiperSynthesizer (``realtime.local.stages.tts.piper``) with the bundled voice: voices and
their resolution (pure), synthesis (engine)."""

from __future__ import annotations

import statistics
import threading

import numpy as np
import pytest

from realtime.local.stages.tts import piper
from realtime.local.stages.tts.clip_cache import ClipCache
from realtime.local.stages.tts.piper import PiperSynthesizer, resolve_voice, voices
from realtime.protocol.errors import ConfigError
from realtime.protocol.pcm import duration_ms, rms_dbfs


def test_voices_and_resolution() -> None:
    assert "joe" in [v.name for v in voices()]
    assert resolve_voice(None).name == "joe"
    assert resolve_voice("alloy").name == "joe"  # hosted voice names use the bundled voice
    assert resolve_voice("voice_1234").name == "joe"  # so do custom voice ids
    joe = resolve_voice("joe")
    assert joe.model_path.is_file() and joe.config_path.is_file()
    assert resolve_voice(str(joe.model_path)).model_path == joe.model_path
    with pytest.raises(ConfigError, match="voice"):
        resolve_voice("nobody")
    with pytest.raises(ConfigError, match="speed"):
        PiperSynthesizer(speed=3.0)


@pytest.fixture(scope="module")
def synth() -> PiperSynthesizer:
    return PiperSynthesizer()


@pytest.mark.engine
def test_a_sentence_gives_audible_24khz_pcm(synth: PiperSynthesizer) -> None:
    assert synth.native_rate == 22050
    pcm = synth.synthesize("What time is it in Tokyo?")
    assert len(pcm) % 2 == 0
    assert 900 <= duration_ms(len(pcm)) <= 3500  # about 1.6 s at 24 kHz
    assert rms_dbfs(pcm) > -30
    assert synth.synthesize("") == b""


@pytest.mark.engine
def test_stream_yields_sentences_in_order_lazily(
    synth: PiperSynthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    synthesize = synth.synthesize

    def counting(text: str) -> bytes:
        calls.append(text)
        return synthesize(text)

    monkeypatch.setattr(synth, "synthesize", counting)
    text = "Your flight leaves at nine. It lands in Tokyo at noon. Enjoy the trip!"
    stream = synth.stream(text)
    first = next(stream)
    assert first[0] == "Your flight leaves at nine." and rms_dbfs(first[1]) > -30
    assert calls == ["Your flight leaves at nine."]  # nothing synthesised ahead: cancel is cheap
    rest = list(stream)
    assert [s for s, _ in rest] == ["It lands in Tokyo at noon.", "Enjoy the trip!"]
    assert all(duration_ms(len(pcm)) > 300 for _, pcm in rest)
    assert list(synth.stream(" ... ")) == []  # nothing to say, nothing yielded


@pytest.mark.engine
def test_speed_changes_duration(synth: PiperSynthesizer) -> None:
    text = "The museum opens at ten in the morning."
    normal_speed, faster = PiperSynthesizer(clips=None), PiperSynthesizer(speed=1.5, clips=None)
    # Piper varies each phoneme's length at random (a fresh run once made 1.5x only 0.81 as
    # long): the median of five clips each, each synthesised (no clip kept).
    normal = statistics.median(duration_ms(len(normal_speed.synthesize(text))) for _ in range(5))
    fast = statistics.median(duration_ms(len(faster.synthesize(text))) for _ in range(5))
    assert fast < normal * 0.8


@pytest.mark.engine
def test_voice_is_loaded_once_and_shared_across_threads(synth: PiperSynthesizer) -> None:
    synth.load()
    assert len([p for p in piper._loaded if p == synth.voice.model_path]) == 1  # noqa: SLF001 (the voice cache)
    results: list[bytes] = []

    def run() -> None:
        results.append(PiperSynthesizer().synthesize("Good morning."))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3
    assert all(np.abs(np.frombuffer(pcm, "<i2")).max() > 3000 for pcm in results)
    assert list(piper._loaded) == [synth.voice.model_path]  # noqa: SLF001 (the voice cache)


def test_a_long_sentence_goes_to_piper_in_pieces_of_bounded_length() -> None:
    text = (
        "The local time in Tokyo is nine forty one in the evening, and the weather is fine; "
        "see you soon my friend."
    )
    parts = piper.pieces(text)
    assert all(len(p) <= piper.MAX_PIECE_CHARS for p in parts)
    assert " ".join(parts) == text and parts[-1] == "see you soon my friend."
    assert piper.pieces("x" * 100) == ["x" * 48, "x" * 48, "x" * 4]  # one endless word
    assert piper.pieces("Hello there.") == ["Hello there."] and piper.pieces("  ") == []


@pytest.mark.engine
def test_piper_runs_without_its_memory_arena(synth: PiperSynthesizer) -> None:
    synth.load()
    session = piper._loaded[synth.voice.model_path].session  # noqa: SLF001 - the loaded voice
    assert session.get_session_options().enable_cpu_mem_arena is False


@pytest.mark.engine
def test_a_short_sentence_said_before_comes_from_the_clip_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clips = ClipCache(1024 * 1024, max_chars=40)
    voice = PiperSynthesizer(clips=clips)
    slow = PiperSynthesizer(speed=0.8, clips=clips)
    said: list[str] = []
    synthesize = PiperSynthesizer._synthesize  # noqa: SLF001 - Piper itself, counted

    def counting(self: PiperSynthesizer, text: str) -> bytes:
        said.append(text)
        return synthesize(self, text)

    monkeypatch.setattr(PiperSynthesizer, "_synthesize", counting)
    first = voice.synthesize("Let me check the time there.")
    assert voice.synthesize("Let me check the time there.") == first
    assert said == ["Let me check the time there."]
    # Another speed is another clip; a long sentence is synthesised every time.
    assert len(slow.synthesize("Let me check the time there.")) > len(first)
    long = "The museum opens at ten in the morning, and closes at six."
    voice.synthesize(long)
    voice.synthesize(long)
    assert said == ["Let me check the time there."] * 2 + [long] * 2
    assert clips.hits == 1 and len(clips) == 2
