"""The guess at a pause: the turn transcribed at its first silent frame, before it has ended.

Pure; owned by the session's listening ahead (``realtime.local.session.ahead``) on the server's
event loop, beside the voice detector. When the detector sees the first silent frame after
speech, :meth:`Guesses.pause` says what to transcribe (the turn from its start to the last
voiced frame) while the silence window that ends the turn is still running. If speech resumes,
that work is stale: its result, when it comes back, is dropped and its CPU time counted as
wasted. If the turn ends with no voiced frame since, :meth:`Guesses.take` hands over the
transcript (or says it is still running), so the answer need not wait for a transcription
started only at ``speech_stopped``. The transcript of the pause is also what ``semantic_vad``
judges the end of turn by (``SemanticVad.hear``).

Counts go to the session's own :class:`AheadCounts` and, when one is passed in, to a shared
one (a benchmark's: every session of a server adds to it; sessions run on one event loop, so
plain additions need no lock).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AheadCounts", "Guess", "Guesses"]


@dataclass(frozen=True)
class Guess:
    """One early transcription of the speech in progress: its audio from ``start_ms`` to
    ``end_ms``; ``partial`` when taken while the user speaks (for transcript deltas), not at a
    pause (for the turn's transcript)."""

    start_ms: int
    end_ms: int  # at a pause: the end of the last voiced frame when it began
    partial: bool = False


@dataclass
class AheadCounts:
    """Counts of early transcriptions; CPU seconds are the process's while each job ran."""

    started: int = 0
    used: int = 0
    dropped: int = 0
    wasted_cpu_s: float = 0.0  # guesses whose result came back stale
    partial_cpu_s: float = 0.0  # partial transcripts (shown as deltas, never wasted)

    def add(self, **counts: float) -> None:
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)


class Guesses:
    """Which guess at a pause is current, what it found, and what was wasted.

    ``totals``, when given, also receives every count (shared by the sessions of a server).
    """

    def __init__(self, totals: AheadCounts | None = None) -> None:
        self.current: Guess | None = None
        self.transcript: str | None = None  # of ``current``, once it came back
        self.counts = AheadCounts()
        self._totals = totals

    def _count(self, **counts: float) -> None:
        self.counts.add(**counts)
        if self._totals is not None:
            self._totals.add(**counts)

    @property
    def started(self) -> int:
        return self.counts.started

    @property
    def used(self) -> int:
        return self.counts.used

    @property
    def dropped(self) -> int:
        return self.counts.dropped

    @property
    def wasted_cpu_s(self) -> float:
        return self.counts.wasted_cpu_s

    def pause(self, start_ms: int, voiced_end_ms: int) -> Guess | None:
        """The first silent frame after speech: a guess to transcribe now, or None if the
        current one already covers this pause."""
        guess = Guess(start_ms, voiced_end_ms)
        if guess == self.current:
            return None
        self.resumed()  # an earlier pause's guess no longer describes the turn
        self.current, self.transcript = guess, None
        self._count(started=1)
        return guess

    def resumed(self) -> None:
        """Speech resumed before the turn ended (or the turn was committed or cleared another
        way): the current guess no longer describes it."""
        if self.current is not None:
            self._count(dropped=1)
            self.current, self.transcript = None, None

    def done(self, guess: Guess, text: str, cpu_s: float) -> str | None:
        """A transcription came back: its text if still current, else None (and counted)."""
        if guess != self.current:
            self._count(wasted_cpu_s=cpu_s)
            return None
        self.transcript = text
        return text

    def take(self, voiced_end_ms: int | None) -> Guess | None:
        """The turn ended with voicing last at ``voiced_end_ms`` (None: unknown): the guess
        that covers it (its transcript may still be running), else None."""
        guess = self.current
        if guess is None or guess.end_ms != voiced_end_ms:
            self.resumed()
            return None
        self.current, self.transcript = None, None
        self._count(used=1)
        return guess
