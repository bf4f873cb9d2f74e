"""``semantic_vad`` end of turn: how long a silence ends the turn, judged from the words so far.

Pure, and owned by whoever owns the detector (the session on the server's event loop). The
WebRTC detector still decides what is voiced; this decides how long the silence after the last
voiced frame must last before ``speech_stopped``. A finished sentence waits less, a finished
question less still; a trailing conjunction ("and", "but"), preposition or filler ("um") waits
longer, since the speaker is mid-thought. Eagerness scales it all, as the hosted API documents:
``high`` ends turns soonest, ``low`` lets the user take their time.

:class:`SemanticVad` is a :class:`~realtime.local.stages.vad.detector.Vad`: the caller feeds
audio as usual and, when it has a transcript of the turn so far (a transcription started at
the first silent frame, or a partial), hands it to :meth:`SemanticVad.hear`; the silence
window then running is re-judged at once.
"""

from __future__ import annotations

import re
from enum import Enum

from realtime.local.stages.vad.detector import SpeechStopped, VadEvent
from realtime.local.stages.vad.webrtc import WebRtcVad

__all__ = ["BASE_SILENCE_MS", "Ending", "SemanticVad", "classify", "silence_ms"]

BASE_SILENCE_MS = {"low": 1000, "medium": 600, "auto": 600, "high": 300}
"""Silence that ends a turn whose words say nothing either way (none heard yet, or neutral)."""


class Ending(Enum):
    """What the last words say about the turn."""

    QUESTION = "question"  # "... in Tokyo?" / "what time is it"
    SENTENCE = "sentence"  # "... for Monday."
    OPEN = "open"  # "... and" / "um" / "to": more is coming
    UNKNOWN = "unknown"  # nothing heard, or a fragment that could go either way


_FACTOR = {Ending.QUESTION: 0.4, Ending.SENTENCE: 0.6, Ending.OPEN: 2.5, Ending.UNKNOWN: 1.0}
_MIN_MS, _MAX_MS = 200, 3000

_OPEN_WORDS = frozenset(
    "and but or so because then also plus like um uh er erm hmm the a an to of for with in on at "
    "from my your our their is are was if when that which who i'm i we".split()
)
_QUESTION_START = frozenset(
    "what when where which who whom whose why how is are was were do does did can could will "
    "would should shall may might have has am".split()
)
_WORD = re.compile(r"[a-z']+")


def classify(text: str) -> Ending:
    """The kind of ending of ``text`` (a transcript so far, punctuated or not)."""
    stripped = text.strip()
    words = _WORD.findall(stripped.lower())
    if not words:
        return Ending.UNKNOWN
    # Whisper punctuates a trailing conjunction as if the sentence ended ("...Paris and.");
    # the word itself says more than the period after it.
    if words[-1] in _OPEN_WORDS or stripped.endswith((",", "...", "-", "…")):
        return Ending.OPEN
    if stripped.endswith("?"):
        return Ending.QUESTION
    if stripped.endswith((".", "!")):
        if words[0] in _QUESTION_START and len(words) >= 3:
            return Ending.QUESTION
        return Ending.SENTENCE if len(words) >= 2 else Ending.UNKNOWN
    if words[0] in _QUESTION_START and len(words) >= 4:
        return Ending.QUESTION  # an unpunctuated transcript of a whole question
    return Ending.UNKNOWN


def silence_ms(text: str, eagerness: str = "auto") -> int:
    """How long a silence after ``text`` ends the turn under ``semantic_vad``."""
    base = BASE_SILENCE_MS.get(eagerness, BASE_SILENCE_MS["auto"])
    return max(_MIN_MS, min(_MAX_MS, round(base * _FACTOR[classify(text)])))


class SemanticVad(WebRtcVad):
    """A WebRTC detector whose silence window follows the words heard (see the module)."""

    def __init__(self, eagerness: str = "auto", *, prefix_padding_ms: int = 300) -> None:
        self.eagerness = eagerness
        base = silence_ms("", eagerness)
        super().__init__(prefix_padding_ms=prefix_padding_ms, silence_duration_ms=base)
        self.heard = ""

    def hear(self, text: str) -> None:
        """The transcript of the turn so far: the silence window in progress is re-judged (the
        next 20 ms frame ends the turn if the silence already ran long enough)."""
        self.heard = text
        self.silence_duration_ms = silence_ms(text, self.eagerness)

    def process(self, pcm: bytes) -> list[VadEvent]:
        events = super().process(pcm)
        if any(isinstance(event, SpeechStopped) for event in events):
            self.heard = ""  # the next turn starts with nothing heard
            self.silence_duration_ms = silence_ms("", self.eagerness)
        return events

    def reset(self) -> None:
        super().reset()
        self.heard = ""
        self.silence_duration_ms = silence_ms("", self.eagerness)

    @property
    def silent_ms(self) -> int:
        """Silence so far after the last voiced frame of the speech in progress (0: none)."""
        if self.speech_start_ms is None:
            return 0
        return max(0, self.position_ms - self.voiced_end_ms)
