"""The responding side of one local-engine session: turns and results in, responder jobs out.

Pure; owned by the session state machine (``realtime.local.session.server_session``) on the
server's event loop; the listening side (``realtime.local.session.listening``) tells it when a
turn starts and ends. It decides when a response runs and which jobs it asks for; one response
at a time. A response is created by ``response.create`` or by the end of a VAD turn (or, when a
turn ends during a response, right after that response: it is deferred, never dropped). It
waits for the transcripts of committed audio, then asks for a ``Respond`` job with the
conversation as messages; the reply's text comes back as a ``Speak`` job, its sentences as
audio. What one response sends is ``realtime.local.session.response_run.ResponseRun``'s. Speech
during a response cancels it when ``interrupt_response`` is on (barge-in); a result that comes
back for a response cancelled or finished meanwhile is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from realtime.local.session.effective import EffectiveSession
from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, Part, item_images, item_text
from realtime.local.session.jobs import Outbox, Respond, Speak
from realtime.local.session.options import ResponseOptions
from realtime.local.session.response_run import ResponseRun, Stage, audio_tokens, text_tokens
from realtime.local.stages.responders.responder import Message, Reply, ResponseRequest
from realtime.protocol.pcm import duration_ms

__all__ = ["ResponseDriver"]


class ResponseDriver:
    """When responses run: the one in progress (``response``) and the one deferred turn.

    ``settings`` and ``transcribing`` read the session's current settings and whether
    transcripts are pending, at the moment they matter (a deferred response takes the settings
    in force when it starts, as the hosted API does).
    """

    def __init__(
        self,
        out: Outbox,
        history: History,
        *,
        conversation_id: str,
        settings: Callable[[], EffectiveSession],
        transcribing: Callable[[], bool],
    ) -> None:
        self.response: ResponseRun | None = None
        self._out = out
        self._history = history
        self._conversation_id = conversation_id
        self._settings = settings
        self._transcribing = transcribing
        self._deferred = False  # a VAD turn ended during a response: answer it afterwards

    # ---- turns ----------------------------------------------------------------------------
    def speech_started(self, turn_detection: Mapping[str, Any] | None) -> None:
        """Barge-in: speech during a response cancels it, unless ``interrupt_response`` is off."""
        if self.response is not None and (turn_detection or {}).get("interrupt_response", True):
            self.cancel("turn_detected")

    def turn_ended(self, turn_detection: Mapping[str, Any] | None) -> None:
        """A VAD turn is committed: answer it now, or after the response in progress."""
        if (turn_detection or {}).get("create_response", True):
            if self.response is None:
                self.create(ResponseOptions.from_session(self._settings()))
            else:
                self._deferred = True

    def transcripts_arrived(self) -> None:
        """A transcript came in: the waiting response may start."""
        self._advance()

    # ---- the response ---------------------------------------------------------------------
    def create(self, options: ResponseOptions) -> None:
        items = self._history.ordered() if options.input_items is None else options.input_items
        text_in = text_tokens(options.instructions) + sum(
            text_tokens(item_text(i)) for i in items if not _audio_parts(i)
        )
        audio_in = sum(
            audio_tokens(duration_ms(len(p.audio))) for i in items for p in _audio_parts(i)
        )
        self.response = ResponseRun(
            options,
            self._history,
            self._out,
            conversation_id=self._conversation_id,
            input_tokens=(text_in, audio_in),
        )
        self.response.created()
        self._advance()

    def replied(self, response_id: str, reply: Reply) -> None:
        """The responder's answer; text to speak goes out as a ``Speak`` job."""
        run = self._active(response_id, Stage.RESPONDING)
        if run is not None:
            offered = run.options.callable_tools
            calls = tuple(c for c in reply.calls if c.name in offered)  # never an unoffered tool
            if run.reply(reply.text, calls):
                self._finished()
            else:
                opts = run.options
                self._out.job(Speak(run.id, reply.text, opts.voice, opts.speed))

    def spoken(self, response_id: str, sentence: str, pcm: bytes | None) -> None:
        """One sentence: synthesised (``Speak``), or streamed while the responder still runs."""
        run = self._active(response_id, None)
        if run is not None and run.stage is not Stage.WAITING and not run.sentence(sentence, pcm):
            self._finished()

    def speech_done(self, response_id: str) -> None:
        run = self._active(response_id, Stage.SPEAKING)
        if run is not None:
            run.finish("completed")
            self._finished()

    def failed(self, response_id: str, message: str) -> None:
        run = self._active(response_id, None)
        if run is not None:
            run.fail(message)
            self._finished()

    def cancel(self, reason: str) -> None:
        assert self.response is not None
        self.response.cancel(reason)
        self._finished()

    def _advance(self) -> None:
        """Start the responder once the transcripts the response reads are in."""
        run = self.response
        if run is None or run.stage is not Stage.WAITING or self._transcribing():
            return
        run.stage = Stage.RESPONDING
        opts = run.options
        items = self._history.ordered() if opts.input_items is None else opts.input_items
        messages = tuple(
            Message(i.type, i.role, item_text(i), i.name, i.call_id, item_images(i)) for i in items
        )
        voice = opts.voice if opts.audio_output else None
        self._out.job(Respond(run.id, _request(opts, messages), voice, opts.speed))

    def _active(self, response_id: str, stage: Stage | None) -> ResponseRun | None:
        run = self.response
        if run is None or run.id != response_id or (stage is not None and run.stage != stage):
            return None  # cancelled or finished meanwhile: a late result is dropped
        return run

    def _finished(self) -> None:
        self.response = None
        if self._deferred:
            self._deferred = False
            self.create(ResponseOptions.from_session(self._settings()))


def _audio_parts(item: ItemRecord) -> list[Part]:
    return [p for p in item.content if p.type == "input_audio"]


def _request(opts: ResponseOptions, messages: tuple[Message, ...]) -> ResponseRequest:
    return ResponseRequest(
        messages=messages,
        instructions=opts.instructions,
        tools=opts.tools,
        tool_choice=opts.tool_choice,
        forced_tool=opts.forced_tool,
        max_output_tokens=opts.token_limit,
        temperature=opts.temperature,
    )
