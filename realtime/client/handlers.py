"""How a ``Conversation`` applies each server event: one handler per GA event type, one table.

Pure and owned by the conversation's thread (the bridge's): ``Conversation.receive`` folds a
beta name to GA, looks the type up in :data:`HANDLERS` and calls the handler with the
conversation, the event and the time it arrived. A handler updates the state and returns the
effects for the caller; a missing or mistyped field raises, and ``receive`` records that as a
``protocol_error`` instead of crashing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from realtime.client.values import (
    AudioOut,
    CallsReady,
    Effect,
    FunctionCall,
    ResponseFinished,
    ResponseState,
    ServerError,
    SpeechStarted,
    Usage,
)
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event
from realtime.protocol.pcm import decode_pcm16_base64, duration_ms

if TYPE_CHECKING:
    from realtime.client.conversation import Conversation

__all__ = ["HANDLERS", "Handler"]

Handler = Callable[["Conversation", Event, float], list[Effect]]


def _content_text(content: Iterable[dict[str, Any]]) -> str:
    parts = [part.get("text") or part.get("transcript") or "" for part in content]
    return "".join(p for p in parts if p)


def _item_from_wire(
    c: Conversation, wire: dict[str, Any], previous: str | None, rid: str | None
) -> None:
    """Upsert an item as the server describes it (messages, function calls and outputs)."""
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
    c._upsert(wire["id"], previous, **fields)
    if kind == "function_call" and wire.get("call_id") and wire["call_id"] not in c.calls:
        c.calls[wire["call_id"]] = FunctionCall(
            call_id=wire["call_id"],
            name=wire.get("name", ""),
            item_id=wire["id"],
            response_id=rid,
            arguments=wire.get("arguments", ""),
        )


def _session(c: Conversation, e: Event, at: float) -> list[Effect]:
    c.session = dict(e["session"])
    return []


def _error(c: Conversation, e: Event, at: float) -> list[Effect]:
    err = e.get("error") or {}
    error = ServerError(
        type=str(err.get("type") or "error"),
        message=str(err.get("message") or "the server reported an error"),
        code=err.get("code"),
        param=err.get("param"),
        event_id=err.get("event_id"),
    )
    return [c._record_error(error)]


def _item_added(c: Conversation, e: Event, at: float) -> list[Effect]:
    _item_from_wire(c, e["item"], e.get("previous_item_id"), None)
    return []


def _speech_started(c: Conversation, e: Event, at: float) -> list[Effect]:
    item_id = e.get("item_id")
    if item_id:
        c._upsert(item_id, role="user", transcribing=True)
    streaming = c.active_response_id is not None
    return [SpeechStarted(item_id, int(e.get("audio_start_ms") or 0), streaming)]


def _speech_stopped(c: Conversation, e: Event, at: float) -> list[Effect]:
    c._pending_start = (at, "speech")
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
    error = ServerError(type="transcription_error", message=message, code=err.get("code"))
    return [c._record_error(error)]


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
    c._start_turn(rid)
    return []


def _output_item_added(c: Conversation, e: Event, at: float) -> list[Effect]:
    rid = e.get("response_id")
    _item_from_wire(c, e["item"], None, rid)
    if rid in c.responses:
        state = c.responses[rid]
        c.responses[rid] = replace(state, item_ids=(*state.item_ids, e["item"]["id"]))
    return []


def _output_item_done(c: Conversation, e: Event, at: float) -> list[Effect]:
    _item_from_wire(c, e["item"], None, e.get("response_id"))
    return []


def _text_delta(c: Conversation, e: Event, at: float) -> list[Effect]:
    item = c.items.get(e["item_id"]) or c._upsert(e["item_id"], role="assistant")
    c._upsert(item.id, role="assistant", text=item.text + e["delta"])
    rid = e.get("response_id")
    if rid and c._turn(rid).first_text_at is None:
        c.turns[rid] = replace(c._turn(rid), first_text_at=at)
    return []


def _text_done(key: str) -> Handler:
    def handler(c: Conversation, e: Event, at: float) -> list[Effect]:
        c._upsert(e["item_id"], role="assistant", text=str(e.get(key) or ""))
        return []

    return handler


def _audio_delta(c: Conversation, e: Event, at: float) -> list[Effect]:
    try:
        pcm = decode_pcm16_base64(e["delta"])
    except ProtocolError as exc:
        return [c._record_error(ServerError(type="protocol_error", message=f"audio delta: {exc}"))]
    item = c.items.get(e["item_id"]) or c._upsert(e["item_id"], role="assistant")
    c._upsert(item.id, role="assistant", audio_ms=item.audio_ms + duration_ms(len(pcm)))
    c.speaking_item_id = item.id
    rid = e.get("response_id")
    if rid and c._turn(rid).first_audio_at is None:
        c.turns[rid] = replace(c._turn(rid), first_audio_at=at)
    return [AudioOut(item.id, rid, pcm)]


def _call(c: Conversation, e: Event) -> FunctionCall:
    return c.calls.get(e["call_id"]) or FunctionCall(
        call_id=e["call_id"],
        name="",
        item_id=e.get("item_id", ""),
        response_id=e.get("response_id"),
    )


def _args_delta(c: Conversation, e: Event, at: float) -> list[Effect]:
    call = _call(c, e)
    c.calls[call.call_id] = replace(call, arguments=call.arguments + e["delta"])
    return []


def _args_done(c: Conversation, e: Event, at: float) -> list[Effect]:
    call = _call(c, e)
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
    name = e.get("name") or call.name
    c.calls[call.call_id] = replace(
        call, name=name, arguments=arguments, parsed=parsed, parse_error=problem, done=True
    )
    if call.item_id in c.items:
        c._upsert(call.item_id, text=arguments, name=name)
    return []


def _response_done(c: Conversation, e: Event, at: float) -> list[Effect]:
    wire = e["response"]
    rid = wire["id"]
    usage = Usage.from_wire(wire["usage"]) if wire.get("usage") else None
    status = str(wire.get("status") or "completed")
    reason = (wire.get("status_details") or {}).get("reason")
    state = c.responses.get(rid) or ResponseState(id=rid)
    c.responses[rid] = replace(state, status=status, status_reason=reason, usage=usage)
    if usage:
        c.usage_total = c.usage_total + usage
    for out in wire.get("output") or []:
        if out.get("id"):
            _item_from_wire(c, out, None, rid)
    model = c.session.get("model")
    c.turns[rid] = replace(
        c._turn(rid),
        done_at=at,
        status=status,
        usage=usage,
        model=model if isinstance(model, str) else None,
    )
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


# Beta names are folded to GA before the look-up (``conversation.item.created`` arrives here
# as ``conversation.item.added``), so only GA names appear.
HANDLERS: dict[str, Handler] = {
    "error": _error,
    "session.created": _session,
    "session.updated": _session,
    "conversation.created": _ignore,
    "conversation.item.added": _item_added,
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
