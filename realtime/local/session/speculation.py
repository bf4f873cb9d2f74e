"""Speculative listening: transcribe the turn at its first silent frame, before it has ended.

Pure; owned by the session on the server's event loop, beside the voice detector. When the
detector sees the first silent frame after speech, :meth:`Speculation.pause` says what to
transcribe (the turn from its start to the last voiced frame) while the silence window that
ends the turn is still running. If speech resumes, that work is stale: its result, when it comes
back, is dropped and its CPU time counted as wasted. If the turn ends with no voiced frame
since, :meth:`Speculation.take` hands over the transcript (or says it is still running), so the
answer need not wait for a transcription started only at ``speech_stopped``. The transcript of
the pause is also what ``semantic_vad`` judges the end of turn by (``SemanticVad.hear``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Guess", "Speculation"]


@dataclass(frozen=True)
class Guess:
    """One speculative transcription: the turn's audio from ``start_ms`` to ``end_ms``."""

    start_ms: int
    end_ms: int  # the end of the last voiced frame when the pause began


class Speculation:
    """Which speculative transcription is current, what it found, and what was wasted."""

    def __init__(self) -> None:
        self.current: Guess | None = None
        self.transcript: str | None = None  # of ``current``, once it came back
        self.started = 0
        self.used = 0
        self.dropped = 0
        self.wasted_cpu_s = 0.0

    def pause(self, start_ms: int, voiced_end_ms: int) -> Guess | None:
        """The first silent frame after speech: a guess to transcribe now, or None if the
        current one already covers this pause."""
        guess = Guess(start_ms, voiced_end_ms)
        if guess == self.current:
            return None
        if self.current is not None and self.transcript is None:
            self.dropped += 1  # still running for an earlier pause: its result will be stale
        self.current, self.transcript = guess, None
        self.started += 1
        return guess

    def resumed(self) -> None:
        """Speech resumed before the turn ended: the current guess no longer describes it."""
        if self.current is not None:
            if self.transcript is not None:
                self.dropped += 1
            self.current, self.transcript = None, None

    def done(self, guess: Guess, text: str, cpu_s: float) -> str | None:
        """A transcription came back: its text if still current, else None (and counted)."""
        if guess != self.current:
            self.wasted_cpu_s += cpu_s
            return None
        self.transcript = text
        return text

    def take(self, voiced_end_ms: int) -> Guess | None:
        """The turn ended: the guess that covers it (its transcript may still be running)."""
        guess = self.current
        self.current, self.transcript = None, None
        if guess is None or guess.end_ms != voiced_end_ms:
            return None
        self.used += 1
        return guess
