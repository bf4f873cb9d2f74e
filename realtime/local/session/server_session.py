"""The sans-I/O state machine of one local-engine session: client events in, server events out.

Owned by one connection's task on the server's event loop; no sockets, threads or clocks. Feed
it client frames (``receive_frame``) and the results of the jobs it asked for (``transcribed``,
``replied``, ``spoken`` ...); each call returns a ``SessionOutcome``: the server events to send,
in order (GA names; ``session.beta`` spells them for beta), and the jobs to start. Client events
are dispatched from a table; a bad one becomes an ``error`` event and the session goes on. It
holds the settings and the items; the listening side (``session.listening.Listener``) and the
responding side (``session.responding.ResponseDriver``) share its outbox. Before a call
returns, the responding side hears what the listener heard at a pause, to prepare the answer
ahead (``session.prepared``; with ``prepare_answers``, as the engine's server sets it).
A transcription session (``session.transcription_session``) listens and transcribes the same
way and never answers: its turns reach the responding side as turns that ask for no response.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from realtime.local.frames import read_event
from realtime.local.limits import MAX_BUFFER_MS, MAX_TURN_MS
from realtime.local.session.effective import EffectiveSession, apply_update, render
from realtime.local.session.guesses import AheadCounts
from realtime.local.session.history import History
from realtime.local.session.idle import NUDGE, IdleTimer, idle_timeout_ms
from realtime.local.session.input_audio import VadFactory, default_vad
from realtime.local.session.items import ItemRecord, parse_item, render_item, truncate_item
from realtime.local.session.jobs import Outbox, SessionOutcome, Transcribe
from realtime.local.session.listening import Listener
from realtime.local.session.mcp_listing import McpListings
from realtime.local.session.mcp_servers import McpTool
from realtime.local.session.options import ResponseOptions, parse_options
from realtime.local.session.prepared import AnswerCounts
from realtime.local.session.responding import ResponseDriver
from realtime.local.session.response_run import ResponseRun
from realtime.local.session.transcription_session import (
    TRANSCRIPTION,
    apply_transcription_update,
    as_transcription_session,
    render_transcription,
)
from realtime.local.session.wire import (
    InvalidRequest,
    error_event,
    expect_append_audio,
    expect_int,
    expect_string,
    required,
)
from realtime.local.stages.responders.responder import Reply
from realtime.local.stages.vad.detector import SpeechStarted
from realtime.protocol.events import BETA_CLIENT_EVENTS, GA_CLIENT_EVENTS, Event, new_id
from realtime.protocol.facts import DEFAULT_MODELS, ApiVersion
from realtime.protocol.logprobs import TokenLogprob
from realtime.protocol.session_schema import INCLUDE_LOGPROBS

__all__ = ["ServerSession"]

logger = logging.getLogger(__name__)


class ServerSession:
    """One client's session; see the module docstring."""

    def __init__(
        self,
        *,
        version: ApiVersion = ApiVersion.GA,
        model: str | None = None,
        voices: Collection[str] = (),
        vad_factory: VadFactory = default_vad,
        partials: bool = False,
        prepare_answers: bool = False,
        ahead_counts: AheadCounts | None = None,  # shared counts of listening ahead (benchmarks)
        answer_counts: AnswerCounts | None = None,  # and of answers prepared ahead
        transcription: bool = False,  # connected with ?intent=transcription
    ) -> None:
        self.version = version
        self.id = new_id("sess")
        self.conversation_id = new_id("conv")
        self.voices = tuple(voices)
        self.settings = EffectiveSession(model=model or DEFAULT_MODELS[version])
        self.transcription_only = transcription
        if transcription:
            self.settings = as_transcription_session(self.settings)
        self.history = History()
        self._out = Outbox()
        self._mcp = McpListings(self._out, self.history)
        self._listener = Listener(
            self._out, self.history, vad_factory, partials=partials, ahead_counts=ahead_counts
        )
        self._driver = ResponseDriver(
            self._out,
            self.history,
            conversation_id=self.conversation_id,
            settings=lambda: self.settings,
            transcribing=lambda: self._listener.transcribing,
            answer_counts=answer_counts,
            prepare=prepare_answers,
            mcp_find=self._mcp.find,
            listing=self._mcp.pending,
        )
        self._listener.configure(self.settings.turn_detection)
        self._idle = IdleTimer()

    @property
    def response(self) -> ResponseRun | None:  # the response in progress, if any
        return self._driver.response

    def _render(self) -> dict[str, object]:
        if self.transcription_only:
            return render_transcription(self.settings, self.version, self.id)
        return render(self.settings, self.version, self.id)

    def _answering(self) -> Mapping[str, Any] | None:
        """The turn detection the responding side sees: a transcription session's asks for
        no answer and interrupts none."""
        if self.transcription_only:
            return {"create_response": False, "interrupt_response": False}
        return self.settings.turn_detection

    # ---- the client side ------------------------------------------------------------------
    def start(self) -> SessionOutcome:
        """``session.created``: the first event of every connection."""
        self._out.emit("session.created", session=self._render())
        return self._take()

    def receive_frame(self, frame: str | bytes) -> SessionOutcome:
        """A raw frame, read strictly (``realtime.local.frames``), then ``receive``."""
        try:
            event = read_event(frame)
        except InvalidRequest as exc:
            self._out.add(error_event(exc, None))
            return self._take()
        return self.receive(event)

    def receive(self, event: Event) -> SessionOutcome:
        """Apply one decoded client event; never raises on the client's input."""
        event_id = event.get("event_id") if isinstance(event.get("event_id"), str) else None
        try:
            kind = event.get("type")
            if kind is None:
                raise InvalidRequest.missing("type")
            names = GA_CLIENT_EVENTS if self.version is ApiVersion.GA else BETA_CLIENT_EVENTS
            entry = _HANDLERS.get(expect_string(kind, "type"))
            if entry is None or kind not in names:
                listed = ", ".join(f"'{name}'" for name in sorted(names))
                raise InvalidRequest.value(
                    "type", f"Invalid value: '{kind}'. Supported values are: {listed}."
                )
            allowed, handler = entry
            for key in event:
                if key not in allowed and key not in ("type", "event_id"):
                    raise InvalidRequest.unknown(key)
            handler(self, event)
        except InvalidRequest as exc:
            self._out.add(error_event(exc, event_id))
        except Exception:  # a bug met by some input: logged once here, the session lives on
            logger.exception("session %s: handling %.60r failed", self.id, event.get("type"))
            self._out.take()  # the half-done call's events would contradict each other
            self._out.add(error_event(InvalidRequest.server_error(), event_id))
        return self._take()

    def append_pcm(
        self, pcm: bytes | memoryview, event_id: str | None = None, whole: bytes = b""
    ) -> SessionOutcome:
        """A large append's slice, fed as the event would; the first passes the ``whole`` one."""
        try:
            self._feed(pcm, whole)
        except InvalidRequest as exc:
            self._out.add(error_event(exc, event_id))
        return self._take()

    # ---- job results ----------------------------------------------------------------------
    def transcribed(
        self, item_id: str, transcript: str, logprobs: tuple[TokenLogprob, ...] = ()
    ) -> SessionOutcome:
        self._listener.transcribed(item_id, transcript, logprobs)
        self._driver.transcripts_arrived()
        return self._take()

    def guessed(self, job: Transcribe, transcript: str | None, cpu_s: float) -> SessionOutcome:
        """An early transcription (``job.guess``) came back; None if it failed."""
        if self._listener.guessed(job, transcript, cpu_s):
            self._driver.transcripts_arrived()
        return self._take()

    def transcription_failed(self, item_id: str, message: str) -> SessionOutcome:
        self._listener.transcription_failed(item_id, message)
        self._driver.transcripts_arrived()
        return self._take()

    def replied(self, response_id: str, reply: Reply) -> SessionOutcome:
        """The responder's answer; text to speak comes back as a ``Speak`` job."""
        self._driver.replied(response_id, reply)
        return self._take()

    def spoken(self, response_id: str, sentence: str, pcm: bytes | None) -> SessionOutcome:
        """A sentence, synthesised or streamed while the responder runs (pcm None: text)."""
        self._driver.spoken(response_id, sentence, pcm)
        return self._take()

    def speech_done(self, response_id: str) -> SessionOutcome:
        self._driver.speech_done(response_id)
        return self._take()

    def response_failed(self, response_id: str, message: str) -> SessionOutcome:
        self._driver.failed(response_id, message)
        return self._take()

    def mcp_listed(
        self, item_id: str, tools: Sequence[McpTool] | None, error: str | None
    ) -> SessionOutcome:
        """A ``ListMcpTools`` result: the tools, or None and why it failed."""
        if self._mcp.listed(item_id, tools, error):
            self.settings = dataclasses.replace(self.settings, mcp_tools=self._mcp.offered())
            self._driver.transcripts_arrived()  # a response waiting for the tools may start
        return self._take()

    def mcp_called(
        self,
        response_id: str,
        item_id: str,
        output: str | None,
        error: Mapping[str, Any] | None,
    ) -> SessionOutcome:
        """A ``CallMcp`` result: the tool's output, or the error (SDK ``mcp_call`` shapes)."""
        self._driver.mcp_called(response_id, item_id, output, error)
        return self._take()

    def _take(self) -> SessionOutcome:
        """The call's outcome, once the responding side prepared the answer most likely next
        (or dropped one that no longer fits): it reads the words heard at a pause."""
        listener = self._listener
        self._driver.prepare(listener.pause_words, speaking=listener.speaking)
        self._idle.observe(self.response, listener.position_ms, listener.speaking)
        return self._out.take()

    # ---- client event handlers (dispatched from _HANDLERS) ------------------------------
    def on_session_update(self, e: Event) -> None:
        session = required(e, "session")
        kind = session.get("type") if isinstance(session, dict) else None
        if self.version is ApiVersion.GA and kind == TRANSCRIPTION:
            self._update(apply_transcription_update(self.settings, session, self.version), True)
        else:
            self._update(apply_update(self.settings, session, self.version, voices=self.voices))
        self._out.emit("session.updated", session=self._render())
        self._mcp.configure(self.settings.mcp)  # lists new servers' tools, after the echo
        self.settings = dataclasses.replace(self.settings, mcp_tools=self._mcp.offered())
        self._driver.transcripts_arrived()  # a server removed: a response waiting for it starts

    def on_transcription_session_update(self, e: Event) -> None:
        """Beta's update of a transcription session (GA: ``session.update`` of that type)."""
        update = apply_transcription_update(self.settings, required(e, "session"), self.version)
        self._update(update, True)
        self._out.emit("transcription_session.updated", session=self._render())

    def _update(self, settings: EffectiveSession, transcription: bool = False) -> None:
        before = self.settings.turn_detection
        self.settings, self.transcription_only = settings, transcription
        self._listener.logprobs = INCLUDE_LOGPROBS in (settings.extras.get("include") or ())
        if self.settings.turn_detection != before:
            self._listener.configure(self.settings.turn_detection)

    def on_append(self, e: Event) -> None:
        self._feed(expect_append_audio(required(e, "audio")))

    def _feed(self, pcm: bytes | memoryview, whole: bytes = b"") -> None:
        # Bounds of realtime.local.limits: a manual buffer refuses a whole append past
        # MAX_BUFFER_MS; a detected turn is committed at MAX_TURN_MS, as if the speaker paused.
        listener = self._listener
        listener.check_room(whole or pcm, MAX_BUFFER_MS)
        for vad_event in listener.append(pcm):  # one at a time: barge-in within the frame
            turn_detection = self._answering()
            if isinstance(vad_event, SpeechStarted):
                self._listener.speech_started(vad_event.audio_start_ms)
                self._driver.speech_started(turn_detection)
            else:
                end_ms, voiced_end_ms = vad_event.audio_end_ms, vad_event.speech_end_ms
                listener.speech_stopped(end_ms, self.settings.transcription, voiced_end_ms)
                self._driver.turn_ended(turn_detection)
        if listener.settle(self.settings.transcription):  # transcripts listened for ahead
            self._driver.transcripts_arrived()
        settings = self.settings
        if listener.cut_long_turn(MAX_TURN_MS, settings.turn_detection, settings.transcription):
            self._driver.turn_ended(self._answering())
        self._nudge_when_idle()

    def _nudge_when_idle(self) -> None:
        """``idle_timeout_ms`` ran out after an answer (``realtime.local.session.idle``)."""
        listener, settings = self._listener, self.settings
        if listener.speaking or self.response is not None or self.transcription_only:
            return
        start = self._idle.due(listener.position_ms, idle_timeout_ms(settings.turn_detection))
        if start is None:
            return
        item_id = new_id("item")
        self._out.emit(
            "input_audio_buffer.timeout_triggered",
            audio_start_ms=start,
            audio_end_ms=listener.position_ms,
            item_id=item_id,
        )
        listener.commit_silence(item_id, start, settings.transcription)
        self._driver.create(ResponseOptions.from_session(settings), reply=Reply(NUDGE))

    def on_commit(self, e: Event) -> None:
        self._listener.commit(self.settings.transcription)

    def on_clear(self, e: Event) -> None:
        self._listener.clear()

    def on_item_create(self, e: Event) -> None:
        item = parse_item(required(e, "item"), self.version)
        previous = e.get("previous_item_id")
        if previous is not None:
            expect_string(previous, "previous_item_id")
        if item.type == "function_call_output" and not self.history.has_call(item.call_id):
            raise InvalidRequest.value(
                "item.call_id", f"Tool call ID '{item.call_id}' not found in conversation."
            )
        request = self._approval_request(item)
        previous = self.history.insert(item, previous)
        for kind in ("conversation.item.added", "conversation.item.done"):
            self._out.emit(kind, previous_item_id=previous, item=render_item(item))
        if request is not None:
            self._driver.approval_answered(request, bool((item.mcp or {}).get("approve")))
        audio = b"".join(p.audio for p in item.content if p.type == "input_audio")
        if audio and all(p.transcript is None for p in item.content if p.type == "input_audio"):
            self._listener.transcribe(item.id, audio, self.settings.transcription)

    def _approval_request(self, item: ItemRecord) -> ItemRecord | None:
        """The ``mcp_approval_request`` an ``mcp_approval_response`` answers (once only)."""
        if item.type != "mcp_approval_response":
            return None
        wanted = str((item.mcp or {}).get("approval_request_id"))
        param = "item.approval_request_id"
        request = self.history.get(wanted, param)
        if request.type != "mcp_approval_request":
            raise InvalidRequest.value(param, f"Item '{wanted}' is not an mcp_approval_request.")
        for other in self.history.ordered():
            if other.type == item.type and (other.mcp or {}).get("approval_request_id") == wanted:
                raise InvalidRequest.value(param, f"Approval request '{wanted}' was answered.")
        return request

    def on_item_delete(self, e: Event) -> None:
        item_id = expect_string(required(e, "item_id"), "item_id")
        self.history.delete(item_id)
        self._out.emit("conversation.item.deleted", item_id=item_id)

    def on_item_truncate(self, e: Event) -> None:
        item_id = expect_string(required(e, "item_id"), "item_id")
        index = expect_int(required(e, "content_index"), "content_index", 0)
        end_ms = expect_int(required(e, "audio_end_ms"), "audio_end_ms", 0)
        truncated = truncate_item(self.history.get(item_id), index, end_ms)
        self.history.replace(truncated)
        if self.response is not None:  # an item of the answer in progress stays cut
            self.response.truncated(truncated)
        self._out.emit(
            "conversation.item.truncated", item_id=item_id, content_index=index, audio_end_ms=end_ms
        )

    def on_item_retrieve(self, e: Event) -> None:
        item = self.history.get(expect_string(required(e, "item_id"), "item_id"))
        self._out.emit("conversation.item.retrieved", item=render_item(item, with_audio=True))

    def on_response_create(self, e: Event) -> None:
        if self.transcription_only:
            raise InvalidRequest.value(
                "type",
                "response.create is not supported in a transcription session: it transcribes "
                "the input audio and never answers. Use session.type 'realtime' for answers.",
            )
        if self.response is not None:
            raise InvalidRequest(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self.response.id}. "
                "Wait until the response is finished before creating a new one.",
            )
        raw = e.get("response")
        options = parse_options(raw, self.settings, self.version, self.history, voices=self.voices)
        self._driver.create(options)

    def on_response_cancel(self, e: Event) -> None:
        wanted = e.get("response_id")
        if self.response is None or (wanted is not None and wanted != self.response.id):
            raise InvalidRequest(
                "response_cancel_not_active", "Cancellation failed: no active response found."
            )
        self._driver.cancel("client_cancelled")

    def on_output_audio_clear(self, e: Event) -> None:
        # The engine sends audio as fast as it is made; there is no server-side playback
        # buffer to clear (the hosted API has one only for WebRTC), so this only acknowledges.
        rid = self.response.id if self.response else None
        self._out.emit("output_audio_buffer.cleared", response_id=rid)


Handler = Callable[[ServerSession, Event], None]
_HANDLERS: dict[str, tuple[frozenset[str], Handler]] = {
    "session.update": (frozenset({"session"}), ServerSession.on_session_update),
    "input_audio_buffer.append": (frozenset({"audio"}), ServerSession.on_append),
    "input_audio_buffer.commit": (frozenset(), ServerSession.on_commit),
    "input_audio_buffer.clear": (frozenset(), ServerSession.on_clear),
    "output_audio_buffer.clear": (frozenset(), ServerSession.on_output_audio_clear),
    "conversation.item.create": (
        frozenset({"item", "previous_item_id"}),
        ServerSession.on_item_create,
    ),
    "conversation.item.delete": (frozenset({"item_id"}), ServerSession.on_item_delete),
    "conversation.item.truncate": (
        frozenset({"item_id", "content_index", "audio_end_ms"}),
        ServerSession.on_item_truncate,
    ),
    "conversation.item.retrieve": (frozenset({"item_id"}), ServerSession.on_item_retrieve),
    "response.create": (frozenset({"response"}), ServerSession.on_response_create),
    "response.cancel": (frozenset({"response_id"}), ServerSession.on_response_cancel),
    "transcription_session.update": (
        frozenset({"session"}),
        ServerSession.on_transcription_session_update,
    ),
}
