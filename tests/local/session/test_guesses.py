"""The guess at a pause (``realtime.local.session.guesses``): its bookkeeping and counts, and
with semantic_vad on Piper speech, a pause after "and" is waited out and its early transcription
dropped and counted; a finished question ends sooner."""

from __future__ import annotations

import time

import pytest

from realtime.local.session.guesses import AheadCounts, Guess, Guesses
from realtime.local.stages.vad.detector import SpeechStopped
from realtime.local.stages.vad.semantic import SemanticVad
from realtime.local.stages.vad.webrtc import WebRtcVad
from realtime.protocol.pcm import bytes_for_ms


def test_bookkeeping() -> None:
    guesses = Guesses()
    first = guesses.pause(0, 1000)
    assert first == Guess(0, 1000) and guesses.pause(0, 1000) is None
    guesses.resumed()  # speech again: the running guess is stale
    assert guesses.done(first, "I want to fly and", 0.3) is None
    assert guesses.wasted_cpu_s == pytest.approx(0.3)
    second = guesses.pause(0, 2500)
    assert second is not None and guesses.done(second, "then to Rome.", 0.4) == "then to Rome."
    assert guesses.take(2500) == second and guesses.used == 1 and guesses.started == 2


def test_counts_also_go_to_the_totals_passed_in() -> None:
    totals = AheadCounts()  # shared by the sessions of a server (a benchmark reads it)
    first, second = Guesses(totals), Guesses(totals)
    first.pause(0, 1000)
    second.pause(0, 500)
    second.resumed()
    assert (totals.started, totals.dropped) == (2, 1)
    assert (first.started, first.dropped, second.started, second.dropped) == (1, 0, 1, 1)


def _listen(vad: WebRtcVad, pcm: bytes, transcribe: object, guesses: Guesses) -> list[int]:
    """Feed 20 ms frames; at each first silent frame transcribe (synchronously, as a worker
    would) and hand the words to the detector; returns the ends of the turns."""
    stops: list[int] = []
    was_silent = False
    for i in range(0, len(pcm), 960):
        for event in vad.process(pcm[i : i + 960]):
            if isinstance(event, SpeechStopped):
                guesses.take(event.speech_end_ms)
                stops.append(event.audio_end_ms)
        start = vad.speech_start_ms
        silent = start is not None and vad.position_ms - vad._voiced_end_ms > 20  # noqa: SLF001
        if start is not None and was_silent and not silent:
            guesses.resumed()
        if silent and not was_silent:
            guess = guesses.pause(start, vad._voiced_end_ms)  # noqa: SLF001
            if guess is not None:
                audio = pcm[bytes_for_ms(guess.start_ms) : bytes_for_ms(guess.end_ms)]
                cpu0 = time.process_time()
                text = transcribe(audio)  # type: ignore[operator]
                words = guesses.done(guess, text, time.process_time() - cpu0)
                if words is not None and isinstance(vad, SemanticVad):
                    vad.hear(words)
        was_silent = silent
    return stops


@pytest.mark.engine
def test_pause_after_and_does_not_end_the_turn_but_a_question_ends_sooner() -> None:
    from realtime.local.stages.asr.whisper import FasterWhisperTranscriber
    from realtime.local.stages.tts.piper import PiperSynthesizer

    asr, tts = FasterWhisperTranscriber(), PiperSynthesizer()

    def transcribe(pcm: bytes) -> str:
        return asr.transcribe(pcm).text

    first = tts.synthesize("I want to fly to Paris and")
    second = tts.synthesize("then on to Rome.")
    hesitant = first + bytes(bytes_for_ms(800)) + second + bytes(bytes_for_ms(2500))
    assert len(_listen(WebRtcVad(), hesitant, transcribe, Guesses())) == 2  # server_vad
    guesses = Guesses()
    stops = _listen(SemanticVad("auto"), hesitant, transcribe, guesses)
    assert len(stops) == 1 and stops[0] > (len(first) + len(second)) // 48
    assert guesses.started >= 1 and guesses.dropped >= 1  # the guess after "and" was thrown away

    question = tts.synthesize("What time is it in Tokyo?") + bytes(bytes_for_ms(1500))
    server_end = _listen(WebRtcVad(), question, transcribe, Guesses())
    guesses = Guesses()
    semantic_end = _listen(SemanticVad("auto"), question, transcribe, guesses)
    assert len(server_end) == len(semantic_end) == 1
    assert semantic_end[0] < server_end[0]  # the finished question ends sooner
    assert guesses.used == 1  # and its transcript was already there at speech_stopped
