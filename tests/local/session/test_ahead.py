"""Listening ahead (``realtime.local.session.ahead``): a guess at the pause, partial transcripts,
semantic_vad, driven through a session.

The pure tests drive a ``ServerSession`` with a fake detector that says where voicing ended
and answer its jobs by hand; the engine test speaks Piper speech into a session with the real
detector and runs Whisper on its jobs as they come, at the audio position they were asked at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from realtime.client.core.conversation import Conversation
from realtime.local.session.ahead import GUESS_TAIL_MS
from realtime.local.session.beta import beta_event
from realtime.local.session.guesses import AheadCounts, Guess
from realtime.local.session.jobs import Respond, SessionOutcome, Transcribe
from realtime.local.session.server_session import ServerSession
from realtime.protocol.events import serialize
from realtime.protocol.facts import ApiVersion
from realtime.protocol.pcm import bytes_for_ms
from tests.support.session import TRANSCRIBED, PausingLoudnessVad, silence, tone

DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"


class Session:
    def __init__(self, vad: Any = PausingLoudnessVad, **settings: Any) -> None:
        self.counts = AheadCounts()  # passed in, as a benchmark does: what the session adds up
        self.session = ServerSession(vad_factory=vad, partials=True, ahead_counts=self.counts)
        self.events: list[dict[str, Any]] = []
        self.jobs: list[Any] = []
        self.take(self.session.start())
        if settings:
            self.take(self.session.receive({"type": "session.update", "session": settings}))

    def take(self, outcome: SessionOutcome) -> SessionOutcome:
        self.events += outcome.events
        self.jobs += outcome.jobs
        return outcome

    def append(self, pcm: bytes, chunk_ms: int = 20) -> list[SessionOutcome]:
        step = bytes_for_ms(chunk_ms)
        return [
            self.take(self.session.append_pcm(pcm[i : i + step])) for i in range(0, len(pcm), step)
        ]

    def types(self, outcomes: list[SessionOutcome] | SessionOutcome) -> list[str]:
        outcomes = [outcomes] if isinstance(outcomes, SessionOutcome) else outcomes
        return [e["type"] for o in outcomes for e in o.events]

    def guesses(self) -> list[Transcribe]:
        return [j for j in self.jobs if isinstance(j, Transcribe) and j.guess is not None]


def test_a_guess_at_the_pause_is_the_turns_transcript_and_no_second_one_runs() -> None:
    s = Session(**TRANSCRIBED)
    s.append(silence(400) + tone(600))
    assert not s.guesses()  # partials: the first 1 s after audio_start_ms (padding included)
    *_, pause = s.append(silence(GUESS_TAIL_MS))  # the guess starts with its last frame
    (guess,) = [j for j in pause.jobs if isinstance(j, Transcribe)]
    assert guess.guess == Guess(100, 1000) and len(guess.pcm) == bytes_for_ms(900 + GUESS_TAIL_MS)
    came = s.take(s.session.guessed(guess, "What time is it?", 0.2))
    assert [(e["type"], e["delta"]) for e in came.events] == [(DELTA, "What time is it?")]
    started = next(e for e in s.events if e["type"] == "input_audio_buffer.speech_started")
    assert came.events[0]["item_id"] == started["item_id"]  # the speech's item, not yet added
    stopped = s.append(silence(500 - GUESS_TAIL_MS))
    assert s.types(stopped) == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
        COMPLETED,  # the order of a turn transcribed after speech_stopped
    ]
    jobs = [j for o in stopped for j in o.jobs]
    assert len(jobs) == 1 and isinstance(jobs[0], Respond)  # the answer starts at once
    assert jobs[0].request.messages[-1].text == "What time is it?"


def test_a_guess_still_running_at_speech_stopped_is_waited_for() -> None:
    s = Session(**TRANSCRIBED)
    s.append(silence(400) + tone(600) + silence(520))
    (guess,) = s.guesses()
    assert not any(isinstance(j, Transcribe) and j.guess is None for j in s.jobs)
    assert not any(isinstance(j, Respond) for j in s.jobs)  # waits for the transcript
    came = s.take(s.session.guessed(guess, "Hello.", 0.2))
    assert s.types(came) == [COMPLETED] and isinstance(came.jobs[0], Respond)


def test_a_failed_guess_that_the_turn_waits_for_transcribes_the_item() -> None:
    s = Session(**TRANSCRIBED)
    s.append(silence(400) + tone(600) + silence(520))
    (guess,) = s.guesses()
    came = s.take(s.session.guessed(guess, None, 0.0))
    (job,) = came.jobs
    assert isinstance(job, Transcribe) and job.guess is None
    assert len(job.pcm) == bytes_for_ms(300 + 600 + 500)  # the item: padding to audio_end_ms


def test_speech_resuming_drops_the_guess_and_counts_its_cpu() -> None:
    s = Session()  # transcription off: no deltas, no partials, the guess still runs
    s.append(silence(400) + tone(600) + silence(100))
    (guess,) = s.guesses()
    s.append(tone(400))
    wasted = s.counts.wasted_cpu_s
    assert s.types(s.take(s.session.guessed(guess, "I want to fly and", 0.25))) == []
    assert s.counts.wasted_cpu_s == pytest.approx(wasted + 0.25)
    stopped = s.append(silence(600))
    jobs = [j for o in stopped for j in o.jobs if isinstance(j, Transcribe)]
    second = [j for j in jobs if j.guess is not None]
    assert len(second) == 1 and second[0].guess == Guess(100, 1500)  # the second pause
    assert "input_audio_buffer.speech_stopped" in s.types(stopped)
    assert not any(isinstance(j, Transcribe) and j.guess is None for j in s.jobs)  # handed over


def test_partials_come_while_speaking_and_add_only_new_words() -> None:
    s = Session(**TRANSCRIBED)
    s.append(silence(400) + tone(600))
    assert not s.guesses()  # 0.6 s of voice, 0.9 s with the padding: not yet
    s.append(tone(400))
    (partial,) = s.guesses()
    assert partial.guess is not None and partial.guess.partial
    came = s.take(s.session.guessed(partial, "I want to fl", 0.3))
    assert [e["delta"] for e in came.events] == ["I want to"]  # the cut word waits
    s.append(tone(1000))
    second = s.guesses()[-1]
    assert second is not partial and second.guess is not None and second.guess.partial
    came = s.take(s.session.guessed(second, "I want to fly to Paris", 0.3))
    assert [e["delta"] for e in came.events] == [" fly to"]
    assert s.counts.partial_cpu_s >= 0.6


def test_a_client_shows_the_partial_words_before_the_final_transcript() -> None:
    s = Session(**TRANSCRIBED)
    s.append(silence(400) + tone(1000))
    (partial,) = s.guesses()
    s.take(s.session.guessed(partial, "I want to fly", 0.1))
    for version in (ApiVersion.GA, ApiVersion.BETA):  # the beta name is the same
        conversation = Conversation()
        for event in s.events:
            wire = beta_event(event) if version is ApiVersion.BETA else event
            if wire is not None:
                conversation.receive_frame(serialize(wire))
        (item,) = conversation.items.values()
        assert (item.role, item.text, item.transcribing) == ("user", "I want to", True)


def test_no_partial_starts_once_the_voice_goes_quiet() -> None:
    # A short question: voice ends just before a partial falls due. The pause's guess is the
    # only early transcription; a partial beside it would slow the turn's transcript.
    s = Session(**TRANSCRIBED)
    s.append(silence(400) + tone(630) + silence(110))  # a partial due at 1100, voice to 1040
    (guess,) = s.guesses()  # at 1140
    assert guess.guess is not None and not guess.guess.partial
    s.take(s.session.guessed(guess, "What can you do?", 0.2))
    assert "input_audio_buffer.speech_stopped" in s.types(s.append(silence(400)))
    assert [j.guess for j in s.guesses()] == [guess.guess]


def test_no_partials_without_transcription() -> None:
    s = Session()
    s.append(silence(400) + tone(3000))
    assert not s.guesses() and not any(e["type"] == DELTA for e in s.events)


# ---- the engine ---------------------------------------------------------------------------
def _speak(pcm: bytes, transcribe: Callable[[bytes], str], **turn_detection: Any) -> Session:
    """Stream ``pcm`` in 20 ms appends; each early transcription runs as soon as it is asked."""
    settings = {"turn_detection": turn_detection, "transcription": {"model": "whisper-1"}}
    s = Session(vad=_default_vad(), type="realtime", audio={"input": settings})
    step = bytes_for_ms(20)
    for i in range(0, len(pcm), step):
        outcome = s.take(s.session.append_pcm(pcm[i : i + step]))
        for job in outcome.jobs:
            if isinstance(job, Transcribe) and job.guess is not None:
                s.take(s.session.guessed(job, transcribe(job.pcm), 0.0))
    return s


def _default_vad() -> Any:
    from realtime.local.session.input_audio import default_vad

    return default_vad


def _stops(s: Session) -> list[dict[str, Any]]:
    return [e for e in s.events if e["type"] == "input_audio_buffer.speech_stopped"]


@pytest.mark.engine
def test_semantic_vad_in_the_engine_waits_after_and_and_ends_a_question_sooner() -> None:
    from realtime.local.stages.asr.whisper import FasterWhisperTranscriber
    from tests.support.speech import steady_speech

    asr = FasterWhisperTranscriber()

    def transcribe(pcm: bytes) -> str:
        return asr.transcribe(pcm).text

    # The same audio every run: Piper's random variation once made this pass or fail by chance.
    first, second = steady_speech("I want to fly to Paris and"), steady_speech("then to Rome.")
    hesitant = silence(300) + first + silence(800) + second + silence(2500)
    assert len(_stops(_speak(hesitant, transcribe, type="server_vad"))) == 2
    semantic = _speak(hesitant, transcribe, type="semantic_vad")
    (stop,) = _stops(semantic)
    assert stop["audio_end_ms"] > (len(first) + len(second)) // 48 + 1100
    (completed,) = [e for e in semantic.events if e["type"] == COMPLETED]
    assert "rome" in completed["transcript"].lower()
    assert any(e["type"] == DELTA for e in semantic.events)  # words came before the end

    question = silence(300) + steady_speech("What time is it in Tokyo?") + silence(1500)
    server = _speak(question, transcribe, type="server_vad")
    fast = _speak(question, transcribe, type="semantic_vad")
    (server_stop,), (semantic_stop,) = _stops(server), _stops(fast)
    assert semantic_stop["audio_end_ms"] < server_stop["audio_end_ms"]
    # Its transcript was there at speech_stopped: the answer was asked for in the same call.
    assert not any(isinstance(j, Transcribe) and j.guess is None for j in fast.jobs)
    assert any(isinstance(j, Respond) for j in fast.jobs)
