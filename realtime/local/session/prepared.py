"""An answer prepared ahead: the response most likely next, worked out before it is asked for.

Pure; owned by the responding side (``realtime.local.session.responding``) on the server's
event loop. Two moments say what the next response will read before it exists: the words of
the speech in progress at its first pause (the guess of ``realtime.local.session.guesses``,
while the silence window that ends the turn still runs), and the output of the last function
call the client owed (the client asks for the answer right after). The responding side then
asks for that response's jobs under a key of their own: the responder (a ``Respond`` job) and,
once its text is back, the first sentence's audio (a ``Speak`` job). A :class:`Prepared` holds
what they bring back, in order, and sends nothing: the response that starts with the same
request, voice and speed adopts it (its jobs go on under the prepared key, what was held is
replayed into it and the rest of the text is spoken after the first sentence); any other
outcome drops it (its jobs cancelled), and both are counted in :class:`AnswerCounts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from realtime.local.session.jobs import Speak
from realtime.local.stages.responders.responder import Reply, ResponseRequest
from realtime.local.stages.text.sentences import sentences

__all__ = ["SPEECH_DONE", "AnswerCounts", "Prepared", "Result"]

SPEECH_DONE = "speech_done"  # the first sentence's Speak job finished
Result = Reply | tuple[str, bytes | None] | str
"""What a prepared answer's jobs brought back: the responder's reply, a sentence (and its
audio; None for text), or ``SPEECH_DONE``."""


@dataclass
class AnswerCounts:
    """Answers prepared ahead: started, used by the response that followed, dropped (the user
    went on speaking, the final transcript or the settings differed, a job failed)."""

    started: int = 0
    used: int = 0
    dropped: int = 0


class Prepared:
    """The jobs of one prepared answer and what they brought back (see the module)."""

    def __init__(self, key: str, request: ResponseRequest, voice: str | None, speed: float) -> None:
        self.key = key  # the jobs' response_id: a response that adopts it keeps it for its jobs
        self.request = request
        self.voice = voice  # None: a text answer, nothing to synthesise
        self.speed = speed
        self.results: list[Result] = []
        self.rest = ""  # the text after the first sentence, spoken once a response adopts it

    def fits(self, request: ResponseRequest, voice: str | None, speed: float) -> bool:
        """The response about to run asks for exactly this answer."""
        return (request, voice, speed) == (self.request, self.voice, self.speed)

    def replied(self, reply: Reply) -> Speak | None:
        """The responder's reply is kept; with text to say, the first sentence's ``Speak``."""
        self.results.append(reply)
        if not reply.text or self.voice is None:
            return None
        parts = sentences(reply.text) or [reply.text]
        self.rest = "\n".join(parts[1:])  # a line break ends a sentence: split the same again
        return Speak(self.key, parts[0], self.voice, self.speed)

    def spoken(self, sentence: str, pcm: bytes | None) -> None:
        self.results.append((sentence, pcm))

    def speech_done(self) -> None:
        self.results.append(SPEECH_DONE)
