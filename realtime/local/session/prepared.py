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
:func:`expected` says which request the next response will most likely make; :func:`job_args`
is how every response makes its request from its options and items, so the two compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from realtime.local.session.effective import EffectiveSession
from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, Part, item_images, item_text
from realtime.local.session.jobs import Speak
from realtime.local.session.options import ResponseOptions
from realtime.local.session.truncation import kept
from realtime.local.stages.responders.responder import Message, Reply, ResponseRequest
from realtime.local.stages.text.sentences import sentences

__all__ = [
    "SPEECH_DONE",
    "AnswerCounts",
    "JobArgs",
    "Prepared",
    "Result",
    "expected",
    "job_args",
]

JobArgs = tuple[ResponseRequest, str | None, float]
"""A ``Respond`` job's request, voice (None: text only) and speed."""

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


def expected(
    history: History, settings: EffectiveSession, words: str | None, *, speaking: bool
) -> JobArgs | None:
    """The job of the response most likely next, if the session can tell it now: the answer to
    ``words`` (the speech in progress's, at its pause) when a turn creates a response, or
    between turns, once every function call has its output (the client asks for the answer)."""
    if words is None:  # runs on every append between turns: the cheap checks first
        last = history.last_id
        if speaking or last is None or history.get(last).type != "function_call_output":
            return None
        items = history.ordered()
        if not _calls_answered(items):
            return None
        return job_args(ResponseOptions.from_session(settings), items)
    turn_detection = settings.turn_detection
    if turn_detection is None or not turn_detection.get("create_response", True):
        return None  # the client decides when to answer, and how
    if not words.strip():
        return None  # noise, most likely: its turn may well not be answered
    user = ItemRecord("", role="user", content=(Part("input_audio", transcript=words),))
    return job_args(ResponseOptions.from_session(settings), (*history.ordered(), user))


def job_args(opts: ResponseOptions, items: Sequence[ItemRecord]) -> JobArgs:
    """What a response with ``opts`` asks the responder, reading ``items`` (as much of them as
    the session's truncation keeps)."""
    messages = tuple(
        Message(i.type, i.role, item_text(i), i.name, i.call_id, item_images(i))
        for i in kept(items, opts.truncation)
    )
    request = ResponseRequest(
        messages=messages,
        instructions=opts.instructions,
        tools=opts.tools,
        tool_choice=opts.tool_choice,
        forced_tool=opts.forced_tool,
        max_output_tokens=opts.token_limit,
        temperature=opts.temperature,
        mcp_tools=() if opts.tool_choice == "none" else opts.mcp_tools,
    )
    return request, opts.voice if opts.audio_output else None, opts.speed


def _calls_answered(items: Sequence[ItemRecord]) -> bool:
    """Every function call has its output: the client asks for the answer next."""
    answered = {i.call_id for i in items if i.type == "function_call_output"}
    return all(i.call_id in answered for i in items if i.type == "function_call")
