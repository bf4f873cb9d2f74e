"""Handlers of the ``response.*`` server events: a response's items, streamed text and audio,
function-call arguments, and its end with usage and the calls to run.

Pure, on the conversation's thread (the bridge's); listed in ``realtime.client.core.handlers``'
table. Each also keeps the response's ``Turn`` (latency marks, status, usage, model) current.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from realtime.client.core.state import ConversationState
from realtime.client.core.values import (
    AudioOut,
    CallsReady,
    Effect,
    FunctionCall,
    ResponseFinished,
    ResponseState,
    ServerError,
    Usage,
)
from realtime.client.core.wire_items import item_from_wire
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event
from realtime.protocol.pcm import decode_pcm16_base64, duration_ms

__all__ = [
    "args_delta",
    "args_done",
    "audio_delta",
    "output_item_added",
    "output_item_done",
    "response_created",
    "response_done",
    "text_delta",
    "text_done",
]


def response_created(c: ConversationState, e: Event, at: float) -> list[Effect]:
    rid = e["response"]["id"]
    c.responses[rid] = ResponseState(id=rid, status=e["response"].get("status", "in_progress"))
    c.active_response_id = rid
    c.start_turn(rid)
    return []


def output_item_added(c: ConversationState, e: Event, at: float) -> list[Effect]:
    rid = e.get("response_id")
    item_from_wire(c, e["item"], None, rid)
    if rid in c.responses:
        state = c.responses[rid]
        c.responses[rid] = replace(state, item_ids=(*state.item_ids, e["item"]["id"]))
    return []


def output_item_done(c: ConversationState, e: Event, at: float) -> list[Effect]:
    item_from_wire(c, e["item"], None, e.get("response_id"))
    return []


def text_delta(c: ConversationState, e: Event, at: float) -> list[Effect]:
    item = c.items.get(e["item_id"]) or c.upsert(e["item_id"], role="assistant")
    c.upsert(item.id, role="assistant", text=item.text + e["delta"])
    rid = e.get("response_id")
    if rid and c.turn(rid).first_text_at is None:
        c.update_turn(rid, first_text_at=at)
    return []


def text_done(key: str) -> Callable[[ConversationState, Event, float], list[Effect]]:
    def handler(c: ConversationState, e: Event, at: float) -> list[Effect]:
        c.upsert(e["item_id"], role="assistant", text=str(e.get(key) or ""))
        return []

    return handler


def audio_delta(c: ConversationState, e: Event, at: float) -> list[Effect]:
    try:
        pcm = decode_pcm16_base64(e["delta"])
    except ProtocolError as exc:
        return [c.record_error(ServerError(type="protocol_error", message=f"audio delta: {exc}"))]
    item = c.items.get(e["item_id"]) or c.upsert(e["item_id"], role="assistant")
    c.upsert(item.id, role="assistant", audio_ms=item.audio_ms + duration_ms(len(pcm)))
    rid = e.get("response_id")
    if rid in c.silenced:  # in flight when the user interrupted: never played
        return []
    c.speaking_item_id = item.id
    if rid and c.turn(rid).first_audio_at is None:
        c.update_turn(rid, first_audio_at=at)
    return [AudioOut(item.id, rid, pcm)]


def _call(c: ConversationState, e: Event) -> FunctionCall:
    return c.calls.get(e["call_id"]) or FunctionCall(
        call_id=e["call_id"],
        name="",
        item_id=e.get("item_id", ""),
        response_id=e.get("response_id"),
    )


def args_delta(c: ConversationState, e: Event, at: float) -> list[Effect]:
    call = _call(c, e)
    c.calls[call.call_id] = replace(call, arguments=call.arguments + e["delta"])
    return []


def args_done(c: ConversationState, e: Event, at: float) -> list[Effect]:
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
        c.upsert(call.item_id, text=arguments, name=name)
    return []


def response_done(c: ConversationState, e: Event, at: float) -> list[Effect]:
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
            item_from_wire(c, out, None, rid)
    model = c.session.get("model")
    c.update_turn(
        rid,
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
