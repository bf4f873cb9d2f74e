"""Partial transcripts of the speech in progress, as ``input_audio_transcription.delta`` text.

Pure; owned by the listener (``realtime.local.session.listening``) on the server's event loop.
While the user speaks the growing turn is transcribed again about every :data:`PACE_MS` of new
audio; each transcript may revise words Whisper heard before, and a delta can only add words,
so only what extends the words already sent goes out. The last word of a transcript taken
mid-speech may be cut in half and waits for the next one; a transcript taken at a pause is
whole. ``...input_audio_transcription.completed`` then carries the turn's transcript, which the
client shows instead of the deltas.
"""

from __future__ import annotations

import re

__all__ = ["PACE_MS", "Partials"]

PACE_MS = 1000
"""New audio between two partial transcriptions of one turn."""

_PUNCT = re.compile(r"[^\w']+")


def _same(word: str) -> str:
    return _PUNCT.sub("", word.lower())


class Partials:
    """The words of the speech in progress already sent, and when the next partial is due."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.due_ms = 0

    def start(self, start_ms: int) -> None:
        """A new turn: nothing sent; the first partial once ``PACE_MS`` of it was heard."""
        self.sent = []
        self.due_ms = start_ms + PACE_MS

    def taken(self, end_ms: int) -> None:
        """A partial of the audio up to ``end_ms`` was asked for."""
        self.due_ms = end_ms + PACE_MS

    def delta(self, text: str, *, whole: bool) -> str:
        """The delta text that ``text`` (the turn so far) adds to what was sent; "" if none,
        or if it contradicts the words sent (they stay; the completed transcript corrects)."""
        words = text.split()
        stable = words if whole else words[:-1]
        sent = [_same(w) for w in self.sent]
        if [_same(w) for w in stable[: len(sent)]] != sent or len(stable) <= len(sent):
            return ""
        new = stable[len(sent) :]
        self.sent += new
        return (" " if sent else "") + " ".join(new)
