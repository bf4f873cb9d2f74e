"""Listening ahead: which early transcriptions of the speech in progress to start, and where
their words go.

Pure; owned by the listener (``realtime.local.session.listening``) on the server's event loop,
which calls it after every append while speech is in progress, and with the early
transcriptions that come back. Two kinds of ``Transcribe`` job carry a ``Guess``:

* at the first silent frame after voicing (the silence window that ends the turn has begun),
  the turn so far (the guess at a pause, ``realtime.local.session.guesses``). If voicing
  resumes, the guess is dropped (its CPU, when it comes back, counted as wasted); if the turn
  ends with no voiced frame since, its transcript is the turn's, so the answer need not wait
  for a transcription started only at ``speech_stopped``;
* with the session's transcription configured, while the user speaks, the growing turn about
  every ``PACE_MS`` of new audio, only when none of the session's early transcriptions is
  running and the voice has not gone quiet (``realtime.local.session.partials``).

The words of both go out as ``conversation.item.input_audio_transcription.delta`` (when the
transcription is reported) and go to the detector (``semantic_vad`` judges the end of the turn
by them) when no voicing came after the audio they describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from realtime.local.session.guesses import AheadCounts, Guess, Guesses
from realtime.local.session.input_audio import InputAudio
from realtime.local.session.jobs import Outbox, Transcribe
from realtime.local.session.partials import Partials

__all__ = ["Ahead", "Handed", "TranscriptionSettings", "transcribe_job"]

TranscriptionSettings = Mapping[str, Any] | None
"""The session's input transcription (``model``, ``language``, ``prompt``), or None: off."""

Handed = tuple[str, TranscriptionSettings]
"""A turn's item waiting for the guess that transcribes it, and its transcription settings."""

# A guess at a pause hears this much past the voice's end: the end is where the voice fell
# 35 dB under the turn's loudest (stages/vad/webrtc.py), and a last word's fading tail, which
# Whisper needs ("who are you" heard as "who were you" without it), lies just after.
GUESS_TAIL_MS = 100

# No partial starts once the voice has been quiet this long (two detector frames): the guess at
# the pause follows within GUESS_TAIL_MS, and a partial running beside it would delay it.
QUIET_MS = 40


def transcribe_job(
    item_id: str,
    pcm: bytes,
    transcription: TranscriptionSettings,
    guess: Guess | None = None,
    *,
    logprobs: bool = False,
) -> Transcribe:
    language = transcription.get("language") if transcription else None
    prompt = transcription.get("prompt") if transcription else None
    return Transcribe(item_id, pcm, language, prompt, guess, logprobs)


class Ahead:
    """The early transcriptions of one session's speech in progress (see the module)."""

    def __init__(
        self,
        out: Outbox,
        audio: InputAudio,
        *,
        partials: bool = False,
        totals: AheadCounts | None = None,
    ) -> None:
        # Partial transcripts: each is a Whisper pass over the turn so far, so a caller that
        # cannot spare them (a test of the guess alone) leaves them off; the engine turns them on.
        self._with_partials = partials
        self._out = out
        self._audio = audio
        self._totals = totals  # shared counts (a benchmark's), or None
        self.guesses = Guesses(totals)
        self._partials = Partials()
        self._item: str | None = None  # the item id of the speech in progress
        self._reported = False  # its transcription is reported: deltas go out
        self._running = 0  # early transcriptions of this session not back yet
        self._handed: dict[Guess, Handed] = {}

    def begin(self, item_id: str, start_ms: int) -> None:
        """Speech started (``input_audio_buffer.speech_started``)."""
        self.forget()
        self._item = item_id
        self._partials.start(start_ms)

    def forget(self) -> None:
        """The speech in progress is gone (committed, cleared, a new detector)."""
        self._item = None
        self.guesses.resumed()

    def listen(self, start_ms: int, transcription: TranscriptionSettings) -> None:
        """After an append during speech: a guess at a new pause, a dropped guess if voicing
        resumed, a partial transcript if one is due."""
        if self._item is None:
            return
        self._reported = transcription is not None
        position, voiced_end = self._audio.position_ms, self._audio.voiced_end_ms
        guesses = self.guesses
        if voiced_end is not None:
            if guesses.current is not None and guesses.current.end_ms != voiced_end:
                guesses.resumed()  # voiced again since the pause: its words are stale
                self._audio.hear("")
            if position - voiced_end >= GUESS_TAIL_MS:
                guess = guesses.pause(start_ms, voiced_end)
                if guess is not None:
                    self._start(guess, transcription)
                return
            if position - voiced_end > QUIET_MS:
                return  # a pause may be starting: its guess is near, no partial to slow it
        due = position >= self._partials.due_ms
        if self._with_partials and transcription is not None and not self._running and due:
            self._partials.taken(position)
            self._start(Guess(start_ms, position, partial=True), transcription)

    @property
    def pause_words(self) -> str | None:
        """The transcript of the guess at the pause in progress, once back (None: none, or
        voicing resumed since)."""
        return self.guesses.transcript if self.guesses.current is not None else None

    def take(self, voiced_end_ms: int | None) -> tuple[Guess | None, str | None]:
        """The turn ended: the guess that covers it, and its transcript if back already."""
        ready = self.guesses.transcript
        guess = self.guesses.take(voiced_end_ms)
        self._item = None
        return guess, ready if guess is not None else None

    def hand(self, guess: Guess, handed: Handed) -> None:
        """The turn's item waits for ``guess``, still running."""
        self._handed[guess] = handed

    def came_back(self, job: Transcribe, transcript: str | None, cpu_s: float) -> Handed | None:
        """An early transcription's result (None: it failed): the item it transcribes, if the
        turn was handed to it; otherwise its words are used here."""
        self._running -= 1
        guess = job.guess
        assert guess is not None
        if guess.partial:
            if self._totals is not None:
                self._totals.add(partial_cpu_s=cpu_s)
            # The next one PACE_MS of audio after this came back, not after it was asked for:
            # on a slow machine partials take at most half the time of the worker.
            self._partials.taken(max(self._audio.position_ms, guess.end_ms))
            if transcript is not None and self._audio.voiced_end_ms == guess.end_ms:
                self._audio.hear(transcript)  # no voicing since: the words end the speech
            self._delta(job.item_id, transcript, whole=False)
            return None
        handed = self._handed.pop(guess, None)
        if handed is not None:
            return handed
        if transcript is None:
            if guess == self.guesses.current:
                self.guesses.resumed()  # the turn's end transcribes it after all
            return None
        words = self.guesses.done(guess, transcript, cpu_s)
        if words is not None:
            self._audio.hear(words)
            self._delta(job.item_id, words, whole=True)
        return None

    def _start(self, guess: Guess, transcription: TranscriptionSettings) -> None:
        assert self._item is not None
        self._running += 1
        end_ms = guess.end_ms if guess.partial else guess.end_ms + GUESS_TAIL_MS
        pcm = self._audio.peek(guess.start_ms, end_ms)
        self._out.job(transcribe_job(self._item, pcm, transcription, guess))

    def _delta(self, item_id: str, transcript: str | None, *, whole: bool) -> None:
        if transcript is None or item_id != self._item or not self._reported:
            return
        delta = self._partials.delta(transcript, whole=whole)
        if delta:
            self._out.emit(
                "conversation.item.input_audio_transcription.delta",
                item_id=item_id,
                content_index=0,
                delta=delta,
            )
