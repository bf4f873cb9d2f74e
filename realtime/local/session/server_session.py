"""The sans-I/O protocol state machine of one local-engine session: client events in, server
events out.

Owned by one connection's task on the local server's event loop: no sockets, threads or clocks
inside. Feed it client frames (``receive_frame``) and the results of the jobs it asked for
(``transcribed``, ``replied``, ``spoken``, ``speech_done`` ...); every call returns an ``Outcome``:
the server events to send, in order (GA names; ``realtime.local.session.beta`` spells them for a
beta client), and the jobs to start (ASR, responder, TTS, cancel). Client events are dispatched from
a table; a bad one becomes an ``error`` event and the session goes on.

It holds the conversation items, the input audio buffer and the one response in progress.
With turn detection on, every ``input_audio_buffer.append`` goes through the VAD (a WebRTC
frame is microseconds of work, fine on the loop); ``audio_start_ms`` / ``audio_end_ms`` count
the bytes appended since the session began. ``semantic_vad`` is served by the same detector,
its eagerness mapped to a silence duration (``realtime.local.session.input_audio``). Speech during a
response cancels it in the same call when ``interrupt_response`` is on (barge-in, within the
VAD frame that detected it). A response waits for the transcripts of committed audio before
the responder runs; transcription events are sent only when the session's transcription is
configured, but every audio turn is transcribed, since the responder reads text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from realtime.local.session.effective import EffectiveSession, apply_update, render
from realtime.local.session.history import History
from realtime.local.session.input_audio import InputAudio, VadFactory, default_vad
from realtime.local.session.items import (
    ItemRecord,
    Part,
    item_text,
    parse_item,
    render_item,
    truncate_item,
)
from realtime.local.session.jobs import Outbox, Outcome, Respond, Speak, Transcribe
from realtime.local.session.options import ResponseOptions, parse_options
from realtime.local.session.responses import ResponseRun, Stage, audio_tokens, text_tokens
from realtime.local.session.wire import InvalidRequest, error_event, expect_int, expect_string
from realtime.local.stages.responder import Message, Reply, ResponseRequest
from realtime.local.stages.vad import SpeechStarted
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import BETA_CLIENT_EVENTS, GA_CLIENT_EVENTS, Event, new_id
from realtime.protocol.facts import ApiVersion
from realtime.protocol.pcm import decode_pcm16_base64, duration_ms

__all__ = [
    "DEFAULT_MODELS",
    "MIN_COMMIT_MS",
    "ServerSession",
]

MIN_COMMIT_MS = 100
DEFAULT_MODELS = {ApiVersion.GA: "gpt-realtime", ApiVersion.BETA: "gpt-4o-realtime-preview"}


class ServerSession:
    """One client's session; see the module docstring."""

    def __init__(
        self,
        *,
        version: ApiVersion = ApiVersion.GA,
        model: str | None = None,
        voices: Collection[str] = (),
        vad_factory: VadFactory = default_vad,
    ) -> None:
        self.version = version
        self.id = new_id("sess")
        self.conversation_id = new_id("conv")
        self.voices = tuple(voices)
        self.settings = EffectiveSession(model=model or DEFAULT_MODELS[version])
        self.history = History()
        self.response: ResponseRun | None = None
        self._out = Outbox()
        self._input = InputAudio(vad_factory)
        self._speech: tuple[str, int] | None = None  # (item id, audio_start_ms) of the speech
        self._transcribing: set[str] = set()
        self._reported: set[str] = set()  # items whose transcription events are sent
        self._deferred = False  # a VAD turn ended during a response: answer it afterwards
        self._input.configure(self.settings.turn_detection)

    # ---- the client side ------------------------------------------------------------------
    def start(self) -> Outcome:
        """``session.created``: the first event of every connection."""
        self._out.emit("session.created", session=render(self.settings, self.version, self.id))
        return self._out.take()

    def receive_frame(self, frame: str | bytes) -> Outcome:
        try:
            text = frame.decode("utf-8") if isinstance(frame, bytes) else frame
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            message = f"The event is not valid JSON: {exc}. Send each event as a JSON object."
            self._out.add(error_event(InvalidRequest("invalid_json", message), None))
            return self._out.take()
        if not isinstance(data, dict):
            error = InvalidRequest("invalid_type", "The event must be a JSON object.", None)
            self._out.add(error_event(error, None))
            return self._out.take()
        return self.receive(data)

    def receive(self, event: Event) -> Outcome:
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
        return self._out.take()

    # ---- job results ----------------------------------------------------------------------
    def transcribed(self, item_id: str, transcript: str) -> Outcome:
        self._transcribing.discard(item_id)
        if item_id in self.history:
            item = self.history.get(item_id)
            index = _audio_index(item)
            parts = list(item.content)
            parts[index] = Part("input_audio", transcript=transcript, audio=parts[index].audio)
            self.history.replace(item.replace(content=tuple(parts)))
            if item_id in self._reported:
                seconds = round(duration_ms(len(parts[index].audio)) / 1000, 3)
                self._out.emit(
                    "conversation.item.input_audio_transcription.completed",
                    item_id=item_id,
                    content_index=index,
                    transcript=transcript,
                    usage={"type": "duration", "seconds": seconds},
                )
        self._reported.discard(item_id)
        self._advance()
        return self._out.take()

    def transcription_failed(self, item_id: str, message: str) -> Outcome:
        self._transcribing.discard(item_id)
        if item_id in self._reported and item_id in self.history:
            self._out.emit(
                "conversation.item.input_audio_transcription.failed",
                item_id=item_id,
                content_index=_audio_index(self.history.get(item_id)),
                error={"type": "transcription_error", "code": "engine_error", "message": message},
            )
        self._reported.discard(item_id)
        self._advance()
        return self._out.take()

    def replied(self, response_id: str, reply: Reply) -> Outcome:
        """The responder's answer; text to speak comes back as a ``Speak`` job."""
        run = self._active(response_id, Stage.RESPONDING)
        if run is not None:
            offered = run.options.callable_tools
            calls = tuple(c for c in reply.calls if c.name in offered)  # never an unoffered tool
            if run.reply(reply.text, calls):
                self._finished()
            else:
                opts = run.options
                self._out.job(Speak(run.id, reply.text, opts.voice, opts.speed))
        return self._out.take()

    def spoken(self, response_id: str, sentence: str, pcm: bytes | None) -> Outcome:
        """One sentence of the answer: synthesised (``Speak``), or streamed by the responder
        while it still runs (``Respond``; ``pcm`` None for text output)."""
        run = self._active(response_id, None)
        if run is not None and run.stage is Stage.WAITING:
            run = None
        if run is not None and not run.sentence(sentence, pcm):
            self._finished()
        return self._out.take()

    def speech_done(self, response_id: str) -> Outcome:
        run = self._active(response_id, Stage.SPEAKING)
        if run is not None:
            run.finish("completed")
            self._finished()
        return self._out.take()

    def response_failed(self, response_id: str, message: str) -> Outcome:
        run = self._active(response_id, None)
        if run is not None:
            run.fail(message)
            self._finished()
        return self._out.take()

    # ---- client event handlers (dispatched from _HANDLERS) --------------------------------
    def _session_update(self, e: Event) -> None:
        before = self.settings.turn_detection
        self.settings = apply_update(
            self.settings, _required(e, "session"), self.version, voices=self.voices
        )
        if self.settings.turn_detection != before:
            self._input.configure(self.settings.turn_detection)
            self._speech = None
        self._out.emit("session.updated", session=render(self.settings, self.version, self.id))

    def _append(self, e: Event) -> None:
        audio = expect_string(_required(e, "audio"), "audio")
        try:
            pcm = decode_pcm16_base64(audio)
        except ProtocolError as exc:
            raise InvalidRequest.value(
                "audio", f"Invalid 'audio': {exc}. Send base64-encoded PCM16 (24 kHz, mono)."
            ) from exc
        for vad_event in self._input.append(pcm):
            if isinstance(vad_event, SpeechStarted):
                self._speech_started(vad_event.audio_start_ms)
            else:
                self._speech_stopped(vad_event.audio_end_ms)
        self._input.trim()

    def _commit(self, e: Event) -> None:
        ms = self._input.buffered_ms
        if ms < MIN_COMMIT_MS:
            raise InvalidRequest(
                "input_audio_buffer_commit_empty",
                f"Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of audio.",
            )
        item_id = self._speech[0] if self._speech else new_id("item")
        self._speech = None
        self._add_user_audio(item_id, self._input.take())

    def _clear(self, e: Event) -> None:
        self._input.reset()
        self._speech = None
        self._out.emit("input_audio_buffer.cleared")

    def _item_create(self, e: Event) -> None:
        item = parse_item(_required(e, "item"), self.version)
        previous = e.get("previous_item_id")
        if previous is not None:
            expect_string(previous, "previous_item_id")
        if item.type == "function_call_output" and not self.history.has_call(item.call_id):
            raise InvalidRequest.value(
                "item.call_id", f"Tool call ID '{item.call_id}' not found in conversation."
            )
        previous = self.history.insert(item, previous)
        for kind in ("conversation.item.added", "conversation.item.done"):
            self._out.emit(kind, previous_item_id=previous, item=render_item(item))
        audio = b"".join(p.audio for p in item.content if p.type == "input_audio")
        if audio and all(p.transcript is None for p in item.content if p.type == "input_audio"):
            self._transcribe(item.id, audio)

    def _item_delete(self, e: Event) -> None:
        item_id = expect_string(_required(e, "item_id"), "item_id")
        self.history.delete(item_id)
        self._out.emit("conversation.item.deleted", item_id=item_id)

    def _item_truncate(self, e: Event) -> None:
        item_id = expect_string(_required(e, "item_id"), "item_id")
        index = expect_int(_required(e, "content_index"), "content_index", 0)
        end_ms = expect_int(_required(e, "audio_end_ms"), "audio_end_ms", 0)
        self.history.replace(truncate_item(self.history.get(item_id), index, end_ms))
        self._out.emit(
            "conversation.item.truncated", item_id=item_id, content_index=index, audio_end_ms=end_ms
        )

    def _item_retrieve(self, e: Event) -> None:
        item = self.history.get(expect_string(_required(e, "item_id"), "item_id"))
        self._out.emit("conversation.item.retrieved", item=render_item(item, with_audio=True))

    def _response_create(self, e: Event) -> None:
        if self.response is not None:
            raise InvalidRequest(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self.response.id}. "
                "Wait until the response is finished before creating a new one.",
            )
        raw = e.get("response")
        options = parse_options(raw, self.settings, self.version, self.history, voices=self.voices)
        self._create_response(options)

    def _response_cancel(self, e: Event) -> None:
        wanted = e.get("response_id")
        if self.response is None or (wanted is not None and wanted != self.response.id):
            raise InvalidRequest(
                "response_cancel_not_active", "Cancellation failed: no active response found."
            )
        self._cancel("client_cancelled")

    def _output_audio_clear(self, e: Event) -> None:
        # The engine sends audio as fast as it is made; there is no server-side playback
        # buffer to clear (the hosted API has one only for WebRTC), so this only acknowledges.
        rid = self.response.id if self.response else None
        self._out.emit("output_audio_buffer.cleared", response_id=rid)

    def _transcription_session_update(self, e: Event) -> None:
        raise InvalidRequest.value(
            "type",
            "transcription_session.update is not supported by the local engine; "
            "use session.update with input_audio_transcription.",
        )

    # ---- internals ------------------------------------------------------------------------
    def _speech_started(self, start_ms: int) -> None:
        item_id = new_id("item")
        self._speech = (item_id, start_ms)
        self._out.emit(
            "input_audio_buffer.speech_started", audio_start_ms=start_ms, item_id=item_id
        )
        td = self.settings.turn_detection or {}
        if self.response is not None and td.get("interrupt_response", True):
            self._cancel("turn_detected")

    def _speech_stopped(self, end_ms: int) -> None:
        item_id, start_ms = self._speech or (new_id("item"), end_ms)
        self._speech = None
        self._out.emit("input_audio_buffer.speech_stopped", audio_end_ms=end_ms, item_id=item_id)
        self._add_user_audio(item_id, self._input.turn(start_ms, end_ms))
        if (self.settings.turn_detection or {}).get("create_response", True):
            if self.response is None:
                self._create_response(ResponseOptions.from_session(self.settings))
            else:
                self._deferred = True

    def _add_user_audio(self, item_id: str, pcm: bytes) -> None:
        item = ItemRecord(item_id, role="user", content=(Part("input_audio", audio=pcm),))
        previous = self.history.insert(item)
        self._out.emit("input_audio_buffer.committed", item_id=item_id, previous_item_id=previous)
        for kind in ("conversation.item.added", "conversation.item.done"):
            self._out.emit(kind, previous_item_id=previous, item=render_item(item))
        self._transcribe(item_id, pcm)

    def _transcribe(self, item_id: str, pcm: bytes) -> None:
        settings = self.settings.transcription
        self._transcribing.add(item_id)
        if settings is not None:
            self._reported.add(item_id)
        language = settings.get("language") if settings else None
        prompt = settings.get("prompt") if settings else None
        self._out.job(Transcribe(item_id, pcm, language, prompt))

    def _create_response(self, options: ResponseOptions) -> None:
        items = self.history.ordered() if options.input_items is None else options.input_items
        text_in = text_tokens(options.instructions) + sum(
            text_tokens(item_text(i)) for i in items if not _audio_parts(i)
        )
        audio_in = sum(
            audio_tokens(duration_ms(len(p.audio))) for i in items for p in _audio_parts(i)
        )
        self.response = ResponseRun(
            options,
            self.history,
            self._out,
            conversation_id=self.conversation_id,
            input_tokens=(text_in, audio_in),
        )
        self.response.created()
        self._advance()

    def _advance(self) -> None:
        """Start the responder once the transcripts the response reads are in."""
        run = self.response
        if run is None or run.stage is not Stage.WAITING or self._transcribing:
            return
        run.stage = Stage.RESPONDING
        opts = run.options
        items = self.history.ordered() if opts.input_items is None else opts.input_items
        messages = tuple(Message(i.type, i.role, item_text(i), i.name, i.call_id) for i in items)
        voice = opts.voice if opts.audio_output else None
        self._out.job(Respond(run.id, _request(opts, messages), voice, opts.speed))

    def _active(self, response_id: str, stage: Stage | None) -> ResponseRun | None:
        run = self.response
        if run is None or run.id != response_id or (stage is not None and run.stage != stage):
            return None  # cancelled or finished meanwhile: a late result is dropped
        return run

    def _cancel(self, reason: str) -> None:
        assert self.response is not None
        self.response.cancel(reason)
        self._finished()

    def _finished(self) -> None:
        self.response = None
        if self._deferred:
            self._deferred = False
            self._create_response(ResponseOptions.from_session(self.settings))


def _required(e: Event, key: str) -> Any:
    if key not in e:
        raise InvalidRequest.missing(key)
    return e[key]


def _audio_parts(item: ItemRecord) -> list[Part]:
    return [p for p in item.content if p.type == "input_audio"]


def _audio_index(item: ItemRecord) -> int:
    return next((i for i, p in enumerate(item.content) if p.type == "input_audio"), 0)


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


Handler = Callable[[ServerSession, Event], None]
_HANDLERS: dict[str, tuple[frozenset[str], Handler]] = {
    "session.update": (frozenset({"session"}), ServerSession._session_update),
    "input_audio_buffer.append": (frozenset({"audio"}), ServerSession._append),
    "input_audio_buffer.commit": (frozenset(), ServerSession._commit),
    "input_audio_buffer.clear": (frozenset(), ServerSession._clear),
    "output_audio_buffer.clear": (frozenset(), ServerSession._output_audio_clear),
    "conversation.item.create": (
        frozenset({"item", "previous_item_id"}),
        ServerSession._item_create,
    ),
    "conversation.item.delete": (frozenset({"item_id"}), ServerSession._item_delete),
    "conversation.item.truncate": (
        frozenset({"item_id", "content_index", "audio_end_ms"}),
        ServerSession._item_truncate,
    ),
    "conversation.item.retrieve": (frozenset({"item_id"}), ServerSession._item_retrieve),
    "response.create": (frozenset({"response"}), ServerSession._response_create),
    "response.cancel": (frozenset({"response_id"}), ServerSession._response_cancel),
    "transcription_session.update": (
        frozenset({"session"}),
        ServerSession._transcription_session_update,
    ),
}
