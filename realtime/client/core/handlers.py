"""How a conversation applies each server event: one handler per GA event type, one table.

The session, item, input-audio and error handlers are here; the ``response.*`` ones are in
``realtime.client.core.response_handlers``, the MCP ones in ``realtime.client.core.mcp_items``.

Pure and owned by the conversation's thread (the bridge's): ``Conversation.receive`` folds a
beta name to GA, looks the type up in :data:`HANDLERS` and calls the handler with its state
(a ``ConversationState``, changed through its fields and public methods), the event and the
time it arrived. A handler updates the state and returns the effects for the caller; a missing
or mistyped field raises, and ``receive`` records that as a ``protocol_error`` instead of
crashing.
"""

from __future__ import annotations

from collections.abc import Callable

from realtime.client.core import response_handlers as response
from realtime.client.core.mcp_items import MCP_HANDLERS
from realtime.client.core.state import MAX_KEPT_RATE_LIMITS, ConversationState
from realtime.client.core.values import Effect, RateLimit, ServerError, SpeechStarted
from realtime.client.core.wire_items import item_from_wire
from realtime.protocol import logprobs
from realtime.protocol.events import Event
from realtime.protocol.words import cut_words

__all__ = ["HANDLERS", "Handler"]

Handler = Callable[[ConversationState, Event, float], list[Effect]]


def _session(c: ConversationState, e: Event, at: float) -> list[Effect]:
    c.session = dict(e["session"])
    return []


def _error(c: ConversationState, e: Event, at: float) -> list[Effect]:
    err = e.get("error") or {}
    if err.get("code") == "response_cancel_not_active" and err.get("event_id") in c.cancels_sent:
        return []  # our cancel crossed the response's end on the wire: nothing was lost
    error = ServerError(
        type=str(err.get("type") or "error"),
        message=str(err.get("message") or "the server reported an error"),
        code=err.get("code"),
        param=err.get("param"),
        event_id=err.get("event_id"),
    )
    return [c.record_error(error)]


def _item_added(c: ConversationState, e: Event, at: float) -> list[Effect]:
    if e["item"].get("id") in c.replayed and e["item"]["id"] in c.items:
        return []  # the echo of a replayed item: the transcript already shows it, as heard
    item_from_wire(c, e["item"], e.get("previous_item_id"), None)
    return []


def _item_retrieved(c: ConversationState, e: Event, at: float) -> list[Effect]:
    if e["item"].get("id") in c.items:
        return []  # an answer to a query: the server's copy never rewrites the transcript
    return _item_added(c, e, at)


def _speech_started(c: ConversationState, e: Event, at: float) -> list[Effect]:
    item_id = e.get("item_id")
    start = e.get("audio_start_ms")
    if item_id:
        c.upsert(item_id, role="user", transcribing=True)
        if isinstance(start, int | float):
            c.upsert(item_id, audio_start_ms=int(start))
    c.user_speaking = True
    streaming = c.active_response_id is not None
    return [SpeechStarted(item_id, int(e.get("audio_start_ms") or 0), streaming)]


def _speech_stopped(c: ConversationState, e: Event, at: float) -> list[Effect]:
    end, item_id = e.get("audio_end_ms"), e.get("item_id")
    if item_id in c.items and isinstance(end, int | float):
        c.upsert(item_id, audio_end_ms=int(end))
    c.user_speaking = False
    c.mark_turn_start(at, "speech")
    return []


def _committed(c: ConversationState, e: Event, at: float) -> list[Effect]:
    c.buffered_ms = 0.0
    c.user_speaking = False
    c.upsert(e["item_id"], e.get("previous_item_id"), role="user")
    return []


def _cleared(c: ConversationState, e: Event, at: float) -> list[Effect]:
    c.buffered_ms = 0.0
    c.user_speaking = False
    return []


def _transcription_delta(c: ConversationState, e: Event, at: float) -> list[Effect]:
    item = c.items.get(e["item_id"]) or c.upsert(e["item_id"], role="user")
    # Logprobs come only when the session's include asks for them (GA: one entry per token).
    tokens = (item.logprobs + logprobs.from_wire(e.get("logprobs")))[: logprobs.MAX_TOKENS]
    c.upsert(item.id, text=item.text + (e.get("delta") or ""), transcribing=True, logprobs=tokens)
    return []


def _transcription_completed(c: ConversationState, e: Event, at: float) -> list[Effect]:
    text = str(e.get("transcript") or "").strip()
    tokens = logprobs.from_wire(e.get("logprobs"))
    if not tokens and e["item_id"] in c.items:
        tokens = c.items[e["item_id"]].logprobs  # the deltas' own, when the end repeats none
    c.upsert(e["item_id"], text=text, transcribing=False, logprobs=tokens)
    return []


def _rate_limits(c: ConversationState, e: Event, at: float) -> list[Effect]:
    # Each event lists the limits as they stand (OpenAI: requests and tokens); it replaces the
    # last one's.
    entries = e["rate_limits"]
    if not isinstance(entries, list):
        raise TypeError("rate_limits is not an array")
    c.rate_limits = tuple(_rate_limit(entry, at) for entry in entries[:MAX_KEPT_RATE_LIMITS])
    return []


def _rate_limit(entry: dict[str, object], at: float) -> RateLimit:
    name, limit, remaining, reset = (
        entry.get(k) for k in ("name", "limit", "remaining", "reset_seconds")
    )
    return RateLimit(
        name=str(name)[:40] if name is not None else "?",
        limit=_count(limit),
        remaining=_count(remaining),
        reset_seconds=float(reset) if isinstance(reset, int | float) and reset >= 0 else None,
        at=at,
    )


def _count(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _transcription_failed(c: ConversationState, e: Event, at: float) -> list[Effect]:
    c.upsert(e["item_id"], transcribing=False)
    err = e.get("error") or {}
    message = f"transcription failed: {err.get('message') or 'no reason given'}"
    error = ServerError(type="transcription_error", message=message, code=err.get("code"))
    return [c.record_error(error)]


def _truncated(c: ConversationState, e: Event, at: float) -> list[Effect]:
    # The server now remembers only what was heard; so does the transcript, even when the
    # item's last server copy (its ``done``) came before the cut. A copy that comes after it
    # is the server's own cut and replaces this one.
    item, end = c.items.get(e["item_id"]), int(e["audio_end_ms"])
    if item is None or item.audio_ms <= 0:
        c.upsert(e["item_id"], truncated_at_ms=end)
        return []
    heard = cut_words(item.text, end / item.audio_ms)
    c.upsert(item.id, truncated_at_ms=end, text=heard, heard=heard)
    return []


def _deleted(c: ConversationState, e: Event, at: float) -> list[Effect]:
    item_id = e["item_id"]
    if c.items.pop(item_id, None) is not None:
        c.order.remove(item_id)
    c.images.discard(item_id)
    return []


def _ignore(c: ConversationState, e: Event, at: float) -> list[Effect]:
    return []


# Beta names are folded to GA before the look-up (``conversation.item.created`` arrives here
# as ``conversation.item.added``), so only GA names appear.
HANDLERS: dict[str, Handler] = {
    "error": _error,
    "session.created": _session,
    "session.updated": _session,
    "transcription_session.created": _session,  # beta transcription sessions
    "transcription_session.updated": _session,
    "conversation.created": _ignore,
    "conversation.item.added": _item_added,
    "conversation.item.done": _item_added,
    "conversation.item.retrieved": _item_retrieved,
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
    "rate_limits.updated": _rate_limits,
    "response.created": response.response_created,
    "response.output_item.added": response.output_item_added,
    "response.output_item.done": response.output_item_done,
    "response.content_part.added": _ignore,
    "response.content_part.done": _ignore,
    "response.output_text.delta": response.text_delta,
    "response.output_text.done": response.text_done("text"),
    "response.output_audio_transcript.delta": response.text_delta,
    "response.output_audio_transcript.done": response.text_done("transcript"),
    "response.output_audio.delta": response.audio_delta,
    "response.output_audio.done": _ignore,
    "response.function_call_arguments.delta": response.args_delta,
    "response.function_call_arguments.done": response.args_done,
    "response.done": response.response_done,
    **MCP_HANDLERS,  # mcp_list_tools.*, response.mcp_call_arguments.*, response.mcp_call.*
}
