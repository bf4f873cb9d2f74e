"""The sans-I/O conversation state of a Realtime client.

Owned by one thread (the bridge's); no sockets, threads or clocks inside. Feed it server events
(``receive`` for decoded dicts, ``receive_frame`` for raw frames) with the time they arrived, and
it updates items, transcripts, responses, function calls, usage, errors and latency marks, and
returns the *effects* the caller must act on (audio to play, speech started, calls to run). The
client events to send are built by its methods (``text_turn``, ``append_audio``, ``commit``,
``barge_in``, ``function_output`` ...), so recorded JSONL turns test it completely.

Values handed out are frozen dataclasses, replaced on every change, so a snapshot can be shared
with another thread without copying.
"""

from __future__ import annotations

import base64
import binascii
import collections
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from realtime.client.values import (
    AudioOut,
    CallsReady,
    Effect,
    ErrorReported,
    FunctionCall,
    Item,
    ResponseFinished,
    ResponseState,
    ServerError,
    SpeechStarted,
    Turn,
    Usage,
)
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event, client_event, parse_server_event

__all__ = [
    "MIN_COMMIT_MS",
    "AudioOut",
    "CallsReady",
    "Conversation",
    "Effect",
    "ErrorReported",
    "FunctionCall",
    "Item",
    "ResponseFinished",
    "ResponseState",
    "ServerError",
    "SpeechStarted",
    "Turn",
    "Usage",
]

MIN_COMMIT_MS = 100  # the hosted API refuses to commit less (input_audio_buffer_commit_empty)
BYTES_PER_MS = 48  # PCM16 mono 24 kHz
MAX_KEPT_ERRORS = 100
MAX_KEPT_UNKNOWN = 200


@dataclass
class Conversation:
    """Client-side state of one Realtime conversation; see the module docstring."""

    items: dict[str, Item] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    responses: dict[str, ResponseState] = field(default_factory=dict)
    calls: dict[str, FunctionCall] = field(default_factory=dict)
    turns: dict[str, Turn] = field(default_factory=dict)
    usage_total: Usage = field(default_factory=Usage)
    errors: collections.deque[ServerError] = field(
        default_factory=lambda: collections.deque(maxlen=MAX_KEPT_ERRORS)
    )
    unknown_events: collections.deque[Event] = field(
        default_factory=lambda: collections.deque(maxlen=MAX_KEPT_UNKNOWN)
    )
    session: dict[str, Any] = field(default_factory=dict)
    active_response_id: str | None = None
    speaking_item_id: str | None = None  # the assistant item whose audio arrives last
    buffered_ms: float = 0.0  # input audio appended since the last commit or clear
    event_counts: collections.Counter[str] = field(default_factory=collections.Counter)
    _pending_start: float | None = None
    _answered: set[str] = field(default_factory=set)

    # ---- server events in -------------------------------------------------------------
    def receive_frame(self, frame: str | bytes, *, at: float = 0.0) -> list[Effect]:
        """Parse a raw frame and receive it; a malformed frame becomes a recorded error."""
        try:
            event = parse_server_event(frame)
        except ProtocolError as exc:
            return [self._record_error(ServerError(type="protocol_error", message=str(exc)))]
        return self.receive(event, at=at)

    def receive(self, event: Event, *, at: float = 0.0) -> list[Effect]:
        """Apply one server event (GA names); returns the effects to act on. Never raises."""
        event_type = str(event.get("type", ""))
        self.event_counts[event_type] += 1
        handler = _HANDLERS.get(event_type)
        if handler is None:
            self.unknown_events.append(event)
            return []
        try:
            return handler(self, event, at)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            message = f"{event_type} could not be read: {type(exc).__name__}: {exc}"
            return [self._record_error(ServerError(type="protocol_error", message=message))]

    # ---- reading ----------------------------------------------------------------------
    def ordered_items(self) -> tuple[Item, ...]:
        return tuple(self.items[item_id] for item_id in self.order)

    def pending_calls(self) -> tuple[FunctionCall, ...]:
        """Calls whose arguments are complete and whose output has not been sent."""
        return tuple(c for c in self.calls.values() if c.done and c.output is None)

    def transcript(self, item_id: str) -> str:
        return self.items[item_id].text

    # ---- client events out ------------------------------------------------------------
    def text_turn(self, text: str, *, at: float = 0.0, respond: bool = True) -> list[Event]:
        """A typed user message, then ``response.create``."""
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        out = [client_event("conversation.item.create", item=item)]
        if respond:
            out.append(self.respond(at=at))
        return out

    def append_audio(self, pcm: bytes) -> Event:
        """``input_audio_buffer.append`` for PCM16 24 kHz mono bytes."""
        self.buffered_ms += len(pcm) / BYTES_PER_MS
        return client_event("input_audio_buffer.append", audio=base64.b64encode(pcm).decode())

    def commit(self, *, at: float = 0.0, respond: bool = True) -> list[Event]:
        """Commit the input buffer (push-to-talk), then ask for a response.

        Raises ``ProtocolError`` when less than 100 ms was appended: the server would refuse.
        """
        if self.buffered_ms < MIN_COMMIT_MS:
            raise ProtocolError(
                f"only {self.buffered_ms:.0f} ms of audio is buffered; hold the button and speak "
                f"for at least {MIN_COMMIT_MS} ms before sending"
            )
        self.buffered_ms = 0.0
        out = [client_event("input_audio_buffer.commit")]
        if respond:
            out.append(self.respond(at=at))
        return out

    def clear_audio(self) -> Event:
        self.buffered_ms = 0.0
        return client_event("input_audio_buffer.clear")

    def respond(self, *, at: float = 0.0, **response: Any) -> Event:
        """``response.create``; keyword arguments become its ``response`` object."""
        self._pending_start = at
        if response:
            return client_event("response.create", response=response)
        return client_event("response.create")

    def cancel(self) -> Event:
        if self.active_response_id:
            return client_event("response.cancel", response_id=self.active_response_id)
        return client_event("response.cancel")

    def truncate(self, item_id: str, played_ms: float) -> Event:
        """``conversation.item.truncate`` at the audio actually played, never past the item."""
        item = self.items.get(item_id)
        limit = item.audio_ms if item else 0.0
        end = int(max(0.0, min(played_ms, limit)))
        return client_event(
            "conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=end
        )

    def barge_in(self, played_ms: float, *, cancel: bool = False) -> list[Event]:
        """The user spoke over the assistant: truncate what was not heard (and cancel).

        ``played_ms`` is how much of the speaking item's audio the user actually heard.
        """
        out: list[Event] = []
        if cancel and self.active_response_id:
            out.append(self.cancel())
        if self.speaking_item_id is not None:
            out.append(self.truncate(self.speaking_item_id, played_ms))
            self.speaking_item_id = None
        return out

    def function_output(self, call_id: str, output: str, *, at: float = 0.0) -> list[Event]:
        """Send a call's output; the last output of a response also asks for the next one."""
        call = self.calls[call_id]
        self.calls[call_id] = replace(call, output=output)
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        out = [client_event("conversation.item.create", item=item)]
        siblings = [c for c in self.calls.values() if c.response_id == call.response_id]
        if all(c.output is not None for c in siblings):
            out.append(self.respond(at=at))
        return out

    def session_update(self, session: dict[str, Any]) -> Event:
        return client_event("session.update", session=session)

    # ---- internals --------------------------------------------------------------------
    def _record_error(self, error: ServerError) -> ErrorReported:
        self.errors.append(error)
        return ErrorReported(error)

    def _upsert(self, item_id: str, previous: str | None = None, **fields: Any) -> Item:
        item = self.items.get(item_id)
        item = replace(item, **fields) if item else Item(id=item_id, **fields)
        if item_id not in self.items:
            if previous in self.items:
                self.order.insert(self.order.index(previous) + 1, item_id)
            else:
                self.order.append(item_id)
        self.items[item_id] = item
        return item

    def _item_from_wire(self, wire: dict[str, Any], previous: str | None, rid: str | None) -> None:
        kind = wire.get("type", "message")
        fields: dict[str, Any] = {"type": kind, "status": wire.get("status", "completed")}
        if rid:
            fields["response_id"] = rid
        if kind == "message":
            fields["role"] = wire.get("role", "user")
            text = _content_text(wire.get("content") or [])
            if text:
                fields["text"] = text
        else:
            fields.update(role="tool", call_id=wire.get("call_id"), name=wire.get("name"))
            payload = wire.get("arguments") if kind == "function_call" else wire.get("output")
            if payload:
                fields["text"] = str(payload)
        self._upsert(wire["id"], previous, **fields)
        if kind == "function_call" and wire.get("call_id") and wire["call_id"] not in self.calls:
            self.calls[wire["call_id"]] = FunctionCall(
                call_id=wire["call_id"],
                name=wire.get("name", ""),
                item_id=wire["id"],
                response_id=rid,
                arguments=wire.get("arguments", ""),
            )

    def _turn(self, rid: str) -> Turn:
        return self.turns.setdefault(rid, Turn(response_id=rid))


def _content_text(content: Iterable[dict[str, Any]]) -> str:
    parts = [part.get("text") or part.get("transcript") or "" for part in content]
    return "".join(p for p in parts if p)


# ---- handlers: one per GA server event type, dispatched from a table ------------------
def _session(c: Conversation, e: Event, at: float) -> list[Effect]:
    c.session = dict(e["session"])
    return []


def _error(c: Conversation, e: Event, at: float) -> list[Effect]:
    err = e.get("error") or {}
    return [
        c._record_error(
            ServerError(
                type=str(err.get("type") or "error"),
                message=str(err.get("message") or "the server reported an error"),
                code=err.get("code"),
                param=err.get("param"),
                event_id=err.get("event_id"),
            )
        )
    ]


def _item_added(c: Conversation, e: Event, at: float) -> list[Effect]:
    c._item_from_wire(e["item"], e.get("previous_item_id"), None)
    return []


def _speech_started(c: Conversation, e: Event, at: float) -> list[Effect]:
    item_id = e.get("item_id")
    if item_id:
        c._upsert(item_id, role="user", transcribing=True)
    streaming = c.active_response_id is not None
    return [SpeechStarted(item_id, int(e.get("audio_start_ms") or 0), streaming)]


def _speech_stopped(c: Conversation, e: Event, at: float) -> list[Effect]:
    c._pending_start = at
    return []


def _committed(c: Conversation, e: Event, at: float) -> list[Effect]:
    c.buffered_ms = 0.0
    c._upsert(e["item_id"], e.get("previous_item_id"), role="user")
    return []


def _cleared(c: Conversation, e: Event, at: float) -> list[Effect]:
    c.buffered_ms = 0.0
    return []


def _transcription_delta(c: Conversation, e: Event, at: float) -> list[Effect]:
    item = c.items.get(e["item_id"]) or c._upsert(e["item_id"], role="user")
    c._upsert(item.id, text=item.text + (e.get("delta") or ""), transcribing=True)
    return []


def _transcription_completed(c: Conversation, e: Event, at: float) -> list[Effect]:
    c._upsert(e["item_id"], text=str(e.get("transcript") or "").strip(), transcribing=False)
    return []


def _transcription_failed(c: Conversation, e: Event, at: float) -> list[Effect]:
    c._upsert(e["item_id"], transcribing=False)
    err = e.get("error") or {}
    message = f"transcription failed: {err.get('message') or 'no reason given'}"
    return [
        c._record_error(
            ServerError(type="transcription_error", message=message, code=err.get("code"))
        )
    ]


def _truncated(c: Conversation, e: Event, at: float) -> list[Effect]:
    c._upsert(e["item_id"], truncated_at_ms=int(e["audio_end_ms"]))
    return []


def _deleted(c: Conversation, e: Event, at: float) -> list[Effect]:
    item_id = e["item_id"]
    if c.items.pop(item_id, None) is not None:
        c.order.remove(item_id)
    return []


def _response_created(c: Conversation, e: Event, at: float) -> list[Effect]:
    rid = e["response"]["id"]
    c.responses[rid] = ResponseState(id=rid, status=e["response"].get("status", "in_progress"))
    c.active_response_id = rid
    c.turns[rid] = Turn(response_id=rid, started_at=c._pending_start)
    c._pending_start = None
    return []


def _output_item_added(c: Conversation, e: Event, at: float) -> list[Effect]:
    rid = e.get("response_id")
    c._item_from_wire(e["item"], None, rid)
    if rid in c.responses:
        state = c.responses[rid]
        c.responses[rid] = replace(state, item_ids=(*state.item_ids, e["item"]["id"]))
    return []


def _output_item_done(c: Conversation, e: Event, at: float) -> list[Effect]:
    c._item_from_wire(e["item"], None, e.get("response_id"))
    return []


def _text_delta(c: Conversation, e: Event, at: float) -> list[Effect]:
    item = c.items.get(e["item_id"]) or c._upsert(e["item_id"], role="assistant")
    c._upsert(item.id, role="assistant", text=item.text + e["delta"])
    rid = e.get("response_id")
    if rid and c._turn(rid).first_text_at is None:
        c.turns[rid] = replace(c._turn(rid), first_text_at=at)
    return []


def _text_done(key: str) -> Callable[[Conversation, Event, float], list[Effect]]:
    def handler(c: Conversation, e: Event, at: float) -> list[Effect]:
        c._upsert(e["item_id"], role="assistant", text=str(e.get(key) or ""))
        return []

    return handler


def _audio_delta(c: Conversation, e: Event, at: float) -> list[Effect]:
    try:
        pcm = base64.b64decode(e["delta"], validate=True)
    except (binascii.Error, ValueError) as exc:
        error = ServerError(type="protocol_error", message=f"audio delta is not base64: {exc}")
        return [c._record_error(error)]
    item = c.items.get(e["item_id"]) or c._upsert(e["item_id"], role="assistant")
    c._upsert(item.id, role="assistant", audio_ms=item.audio_ms + len(pcm) / BYTES_PER_MS)
    c.speaking_item_id = item.id
    rid = e.get("response_id")
    if rid and c._turn(rid).first_audio_at is None:
        c.turns[rid] = replace(c._turn(rid), first_audio_at=at)
    return [AudioOut(item.id, rid, pcm)]


def _args_delta(c: Conversation, e: Event, at: float) -> list[Effect]:
    call = c.calls.get(e["call_id"])
    if call is None:
        call = FunctionCall(
            call_id=e["call_id"],
            name="",
            item_id=e.get("item_id", ""),
            response_id=e.get("response_id"),
        )
    c.calls[call.call_id] = replace(call, arguments=call.arguments + e["delta"])
    return []


def _args_done(c: Conversation, e: Event, at: float) -> list[Effect]:
    call = c.calls.get(e["call_id"]) or FunctionCall(
        call_id=e["call_id"],
        name="",
        item_id=e.get("item_id", ""),
        response_id=e.get("response_id"),
    )
    arguments = str(e.get("arguments", call.arguments))
    parsed: dict[str, Any] | None = None
    problem: str | None = None
    try:
        value = json.loads(arguments or "{}")
        if isinstance(value, dict):
            parsed = value
        else:
            problem = "arguments are not a JSON object"
    except json.JSONDecodeError as exc:
        problem = f"arguments are not valid JSON: {exc.msg}"
    c.calls[call.call_id] = replace(
        call,
        name=e.get("name") or call.name,
        arguments=arguments,
        parsed=parsed,
        parse_error=problem,
        done=True,
    )
    if call.item_id in c.items:
        c._upsert(call.item_id, text=arguments, name=e.get("name") or call.name)
    return []


def _response_done(c: Conversation, e: Event, at: float) -> list[Effect]:
    wire = e["response"]
    rid = wire["id"]
    usage = Usage.from_wire(wire["usage"]) if wire.get("usage") else None
    status = str(wire.get("status", "completed"))
    reason = (wire.get("status_details") or {}).get("reason")
    state = c.responses.get(rid) or ResponseState(id=rid)
    c.responses[rid] = replace(state, status=status, status_reason=reason, usage=usage)
    if usage:
        c.usage_total = c.usage_total + usage
    for out in wire.get("output") or []:
        if out.get("id"):
            c._item_from_wire(out, None, rid)
    c.turns[rid] = replace(c._turn(rid), done_at=at)
    if c.active_response_id == rid:
        c.active_response_id = None
    effects: list[Effect] = [ResponseFinished(rid, status)]
    ready = tuple(
        call
        for call in c.calls.values()
        if call.response_id == rid and call.done and call.output is None
    )
    if ready and status == "completed":
        effects.append(CallsReady(rid, ready))
    return effects


def _ignore(c: Conversation, e: Event, at: float) -> list[Effect]:
    return []


_HANDLERS: dict[str, Callable[[Conversation, Event, float], list[Effect]]] = {
    "error": _error,
    "session.created": _session,
    "session.updated": _session,
    "conversation.created": _ignore,
    "conversation.item.added": _item_added,
    "conversation.item.created": _item_added,
    "conversation.item.done": _item_added,
    "conversation.item.retrieved": _item_added,
    "conversation.item.truncated": _truncated,
    "conversation.item.deleted": _deleted,
    "conversation.item.input_audio_transcription.delta": _transcription_delta,
    "conversation.item.input_audio_transcription.completed": _transcription_completed,
    "conversation.item.input_audio_transcription.failed": _transcription_failed,
    "conversation.item.input_audio_transcription.segment": _ignore,
    "input_audio_buffer.speech_started": _speech_started,
    "input_audio_buffer.speech_stopped": _speech_stopped,
    "input_audio_buffer.committed": _committed,
    "input_audio_buffer.cleared": _cleared,
    "input_audio_buffer.timeout_triggered": _ignore,
    "output_audio_buffer.started": _ignore,
    "output_audio_buffer.stopped": _ignore,
    "output_audio_buffer.cleared": _ignore,
    "rate_limits.updated": _ignore,
    "response.created": _response_created,
    "response.output_item.added": _output_item_added,
    "response.output_item.done": _output_item_done,
    "response.content_part.added": _ignore,
    "response.content_part.done": _ignore,
    "response.output_text.delta": _text_delta,
    "response.output_text.done": _text_done("text"),
    "response.output_audio_transcript.delta": _text_delta,
    "response.output_audio_transcript.done": _text_done("transcript"),
    "response.output_audio.delta": _audio_delta,
    "response.output_audio.done": _ignore,
    "response.function_call_arguments.delta": _args_delta,
    "response.function_call_arguments.done": _args_done,
    "response.done": _response_done,
}
