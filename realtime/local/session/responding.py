"""The responding side of one local-engine session: turns and results in, responder jobs out.

Pure; owned by the session state machine (``realtime.local.session.server_session``) on the
server's event loop; the listening side (``realtime.local.session.listening``) tells it when a
turn starts and ends. It decides when a response runs and which jobs it asks for; one response
at a time. A response is created by ``response.create`` or by the end of a VAD turn (or, when a
turn ends during a response, right after that response: it is deferred, never dropped). It
waits for the transcripts of committed audio, then asks for a ``Respond`` job with the
conversation as messages (and for the session's MCP servers' listings in progress, whose tools
it may call); the reply's text comes back as a ``Speak`` job, its sentences as
audio. What one response sends is ``realtime.local.session.response_run.ResponseRun``'s. Speech
during a response cancels it when ``interrupt_response`` is on (barge-in); a result that comes
back for a response cancelled or finished meanwhile is dropped.

It also prepares the answer most likely next (``realtime.local.session.prepared``): after every
session call, :meth:`ResponseDriver.prepare` is told the words of the speech in progress at its
pause, if known; with those words as the user's turn (or, between turns, with the output of the
last function call the client owed), it asks for that response's jobs ahead of time. Nothing
of them is sent until a response starts: the one whose request is the same adopts them, after
the turn's own events, so the hosted API's order stays; otherwise they are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from realtime.local.session.effective import EffectiveSession
from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, Part
from realtime.local.session.jobs import Cancel, Outbox, Respond, Speak
from realtime.local.session.mcp_calls import ask_approval, call_done, start_call
from realtime.local.session.mcp_servers import McpServer, McpTool
from realtime.local.session.options import ResponseOptions
from realtime.local.session.prepared import AnswerCounts, JobArgs, Prepared, expected, job_args
from realtime.local.session.response_run import ResponseRun, Stage, text_tokens
from realtime.local.session.truncation import item_tokens, kept
from realtime.local.stages.responders.responder import CallRequest, Reply
from realtime.protocol.events import new_id

__all__ = ["McpFinder", "ResponseDriver"]

McpFinder = Callable[[str, str], "tuple[McpServer, McpTool] | None"]
"""``(server_label, tool name) -> (server, tool)`` when that tool is listed and allowed."""


class ResponseDriver:
    """When responses run: the one in progress (``response``) and the one deferred turn.

    ``settings``, ``transcribing`` and ``listing`` read the session's current settings and
    whether transcripts or MCP tool listings are pending, at the moment they matter (a deferred
    response takes the settings in force when it starts, as the hosted API does; a response
    waiting for a listing, the tools listed meanwhile). With ``prepare``, it prepares answers
    ahead; ``answer_counts`` receives their counts (a benchmark's, shared by the sessions of a
    server).
    """

    def __init__(
        self,
        out: Outbox,
        history: History,
        *,
        conversation_id: str,
        settings: Callable[[], EffectiveSession],
        transcribing: Callable[[], bool],
        answer_counts: AnswerCounts | None = None,
        prepare: bool = False,
        mcp_find: McpFinder = lambda label, name: None,
        listing: Callable[[], bool] = lambda: False,
    ) -> None:
        self.response: ResponseRun | None = None
        self.answer_counts = AnswerCounts() if answer_counts is None else answer_counts
        # Answers prepared ahead cost a responder run and a sentence of speech per pause, so a
        # caller that tests something else leaves them off; the engine turns them on.
        self._preparing = prepare
        self._prepared: Prepared | None = None
        self._rest = ""  # an adopted answer's text after its first sentence, still to speak
        self._out = out
        self._history = history
        self._conversation_id = conversation_id
        self._settings = settings
        self._transcribing = transcribing
        self._listing = listing
        self._deferred = False  # a VAD turn ended during a response: answer it afterwards
        self._mcp_find = mcp_find  # the server and tool an MCP call names, if listed
        self._approvals: list[tuple[ItemRecord, bool]] = []  # answered during a response

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
        """A transcript (or an MCP server's tools) came in: the waiting response may start."""
        self._advance()

    # ---- the response ---------------------------------------------------------------------
    def create(
        self,
        options: ResponseOptions,
        approval: tuple[ItemRecord, bool] | None = None,
        *,
        reply: Reply | None = None,
    ) -> None:
        """A response with ``options``; ``approval``: the MCP approval request it answers and
        whether it was approved; with ``reply``, that answer is said as is (the idle nudge)
        instead of the responder's."""
        items = self._history.ordered() if options.input_items is None else options.input_items
        read = kept(items, options.truncation)  # what the response reads, as job_args does
        text_in = text_tokens(options.instructions) + sum(
            item_tokens(i) for i in read if not _audio_parts(i)
        )
        audio_in = sum(item_tokens(i) for i in read if _audio_parts(i))
        self.response = ResponseRun(
            options,
            self._history,
            self._out,
            conversation_id=self._conversation_id,
            input_tokens=(text_in, audio_in),
        )
        self.response.approval = approval
        self.response.created()
        if reply is None:
            self._advance()
            return
        self._drop()
        self.response.stage = Stage.RESPONDING
        self._reply(self.response, reply, speak=True)

    def replied(self, response_id: str, reply: Reply) -> None:
        """The responder's answer; text to speak goes out as a ``Speak`` job."""
        prepared = self._prepared_for(response_id)
        if prepared is not None:
            speak = prepared.replied(reply)  # its first sentence, said ahead too
            if speak is not None:
                self._out.job(speak)
            return
        run = self._active(response_id, Stage.RESPONDING)
        if run is not None:
            self._reply(run, reply, speak=True)

    def spoken(self, response_id: str, sentence: str, pcm: bytes | None) -> None:
        """One sentence: synthesised (``Speak``), or streamed while the responder still runs."""
        prepared = self._prepared_for(response_id)
        if prepared is not None:
            prepared.spoken(sentence, pcm)
            return
        run = self._active(response_id, None)
        if run is not None and run.stage is not Stage.WAITING and not run.sentence(sentence, pcm):
            self._finished()

    def speech_done(self, response_id: str) -> None:
        prepared = self._prepared_for(response_id)
        if prepared is not None:
            prepared.speech_done()
            return
        run = self._active(response_id, Stage.SPEAKING)
        if run is None:
            return
        if self._rest:  # an adopted answer said its first sentence: now the rest
            rest, self._rest = self._rest, ""
            opts = run.options
            self._out.job(Speak(run.job_id, rest, opts.voice, opts.speed, lead=False))
            return
        run.finish("completed")
        self._finished()

    def failed(self, response_id: str, message: str) -> None:
        if self._prepared_for(response_id) is not None:
            self._drop()  # the response runs the responder itself, and reports its failure
            return
        run = self._active(response_id, None)
        if run is not None:
            run.fail(message)
            self._finished()

    def cancel(self, reason: str) -> None:
        assert self.response is not None
        self.response.cancel(reason)
        self._finished()

    def _advance(self) -> None:
        """Start the responder once the transcripts the response reads and the MCP tools it may
        call are in (or adopt the answer prepared for exactly this request)."""
        run = self.response
        if run is None or run.stage is not Stage.WAITING or self._transcribing():
            return
        if self._listing():
            return
        mcp_tools = self._settings().mcp_tools  # listed since the response was created
        if run.options.mcp_tools != mcp_tools:
            run.options = replace(run.options, mcp_tools=mcp_tools)
        run.stage = Stage.RESPONDING
        if run.approval is not None:
            self._approved(run, *run.approval)
            return
        opts = run.options
        items = self._history.ordered() if opts.input_items is None else opts.input_items
        args = job_args(opts, items)
        prepared = self._prepared
        if prepared is not None and prepared.fits(*args):
            self._prepared = None
            self._adopt(run, prepared)
            return
        self._drop()
        self._out.job(Respond(run.job_id, *args))

    def _reply(self, run: ResponseRun, reply: Reply, *, speak: bool) -> None:
        offered = run.options.callable_tools
        # never an unoffered tool; an MCP server's tool is called here, one per answer
        calls = tuple(c for c in reply.calls if not c.server_label and c.name in offered)
        mcp = next((c for c in reply.calls if c.server_label), None)
        if mcp is not None and run.options.tool_choice != "none" and self._call_mcp(run, mcp):
            return
        if run.reply(reply.text, calls):
            self._finished()
        elif speak:
            opts = run.options
            self._out.job(Speak(run.job_id, reply.text, opts.voice, opts.speed))

    # ---- MCP servers' tools ----------------------------------------------------------------
    def _call_mcp(
        self, run: ResponseRun, call: CallRequest, approval_id: str | None = None
    ) -> bool:
        """Call (or ask leave to call) a listed tool; False when it is not on offer."""
        found = self._mcp_find(call.server_label, call.name)
        if found is None:
            return False
        server, tool = found
        if approval_id is None and server.needs_approval(tool):
            ask_approval(run, server, call)
            run.finish("completed")
            self._finished()
            return True
        run.stage = Stage.CALLING
        self._out.job(start_call(run, self._out, server, call, approval_id))
        return True

    def mcp_called(
        self,
        response_id: str,
        item_id: str,
        output: str | None,
        error: Mapping[str, Any] | None,
    ) -> None:
        """The server answered (or failed): the responder then says so."""
        run = self._active(response_id, Stage.CALLING)
        if run is None or item_id not in run.mcp_items:
            return
        call_done(run, self._out, item_id, output, error)
        run.stage = Stage.RESPONDING
        opts = run.options
        if opts.input_items is None:
            items: tuple[ItemRecord, ...] = self._history.ordered()
        else:
            items = (*opts.input_items, *run.output_items())
        self._out.job(Respond(run.job_id, *job_args(opts, items)))

    def approval_answered(self, request: ItemRecord, approve: bool) -> None:
        """The client answered an ``mcp_approval_request``: a response calls the tool (or
        says it will not), now or after the response in progress."""
        if self.response is None:
            self.create(ResponseOptions.from_session(self._settings()), (request, approve))
        else:
            self._approvals.append((request, approve))

    def _approved(self, run: ResponseRun, request: ItemRecord, approve: bool) -> None:
        fields = request.mcp or {}
        label, name = str(fields.get("server_label")), str(fields.get("name"))
        call = CallRequest(name, str(fields.get("arguments", "{}")), label)
        if approve and self._call_mcp(run, call, request.id):
            return
        text = (
            f"All right, I won't use the {name} tool."
            if not approve
            else f"The {name} tool of {label} is no longer on offer, so I did not call it."
        )
        self._reply(run, Reply(text), speak=True)

    # ---- answers prepared ahead -----------------------------------------------------------
    def prepare(self, words: str | None, *, speaking: bool) -> None:
        """After every session call: start preparing the response most likely next (``words``:
        the speech in progress's, at its pause; None when unknown), or drop a prepared answer
        that no longer fits. A response in progress decides itself, when it starts."""
        if self.response is not None or not self._preparing:
            return
        expected = self._expected(words, speaking=speaking)
        if self._prepared is not None and (expected is None or not self._prepared.fits(*expected)):
            self._drop()
        if expected is not None and self._prepared is None:
            self._prepared = Prepared(new_id("prep"), *expected)
            self.answer_counts.started += 1
            self._out.job(Respond(self._prepared.key, *expected))

    def _expected(self, words: str | None, *, speaking: bool) -> JobArgs | None:
        """What the next response would ask for, if it can be told now."""
        if self._transcribing() or self._listing() or self._deferred or self._approvals:
            return None  # it would read transcripts or tools not known yet, or answer another turn
        return expected(self._history, self._settings(), words, speaking=speaking)

    def _adopt(self, run: ResponseRun, prepared: Prepared) -> None:
        """The prepared answer becomes the response's: its jobs go on under their key, and
        what they brought back is replayed into the response, in the order it came."""
        self.answer_counts.used += 1
        run.job_id = prepared.key
        self._rest = prepared.rest
        for result in prepared.results:
            if self.response is not run:
                return  # the replay ended it (its token limit)
            if isinstance(result, Reply):
                self._reply(run, result, speak=False)  # its first sentence is being said
            elif isinstance(result, str):
                self.speech_done(run.job_id)
            else:
                self.spoken(run.job_id, *result)

    def _prepared_for(self, key: str) -> Prepared | None:
        prepared = self._prepared
        return prepared if prepared is not None and prepared.key == key else None

    def _drop(self) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            self.answer_counts.dropped += 1
            self._out.job(Cancel(prepared.key))

    def _active(self, response_id: str, stage: Stage | None) -> ResponseRun | None:
        run = self.response
        if run is None or run.job_id != response_id or (stage is not None and run.stage != stage):
            return None  # cancelled or finished meanwhile: a late result is dropped
        return run

    def _finished(self) -> None:
        self.response = None
        self._rest = ""
        if self._deferred:
            self._deferred = False
            self.create(ResponseOptions.from_session(self._settings()))
        elif self._approvals:
            self.create(ResponseOptions.from_session(self._settings()), self._approvals.pop(0))


def _audio_parts(item: ItemRecord) -> list[Part]:
    return [p for p in item.content if p.type == "input_audio"]
