"""``semantic_vad`` end of turn: how long a silence ends the turn, judged from the words so far.

Pure, and owned by whoever owns the detector (the session on the server's event loop). The
WebRTC detector still decides what is voiced; this decides how long the silence after the last
voiced frame must last before ``speech_stopped``. The words are scored by the rule-based
completion scorer (``realtime.local.stages.vad.completion``): a finished question ends the
turn soonest, a request in the imperative a little later; a statement, or words not heard yet,
wait as long as a pause in the middle of a thought may last; words that trail off ("to",
"and", "um") wait longer still. Eagerness scales it all, as the hosted API documents: ``high``
ends turns soonest, ``low`` lets the user take their time.

:class:`SemanticVad` is a :class:`~realtime.local.stages.vad.detector.Vad`: the caller feeds
audio as usual and, when it has a transcript of the turn so far (a transcription started at
the first silent frame, or a partial), hands it to :meth:`SemanticVad.hear`; the silence
window then running is re-judged at once. Until words come, the window is the one for words
that could go either way, so a late transcript can still end a question soon after it.
"""

from __future__ import annotations

from realtime.local.stages.vad.completion import Ending, judge
from realtime.local.stages.vad.detector import SpeechStopped, VadEvent
from realtime.local.stages.vad.webrtc import WebRtcVad

__all__ = ["SILENCE_MS", "Ending", "SemanticVad", "classify", "silence_ms"]

SILENCE_MS = {
    # eagerness: silence (ms after the last voiced frame) for words that are
    #   (finished, likely finished, either way or not heard yet, trailing off)
    "high": (80, 160, 600, 1000),
    "medium": (160, 300, 1200, 1800),
    "auto": (160, 300, 1200, 1800),
    "low": (400, 600, 2000, 3000),
}
"""The silence that ends a turn, by eagerness and by the completion score of its words."""


def classify(text: str) -> Ending:
    """The kind of ending of ``text`` (a transcript so far, punctuated or not)."""
    return judge(text).ending


def silence_ms(text: str, eagerness: str = "auto") -> int:
    """How long a silence after ``text`` ends the turn under ``semantic_vad``."""
    finished, likely, either, trailing = SILENCE_MS.get(eagerness, SILENCE_MS["auto"])
    score = judge(text).score
    if score >= 0.9:
        return finished
    if score >= 0.75:
        return likely
    return either if score > 0.2 else trailing


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
