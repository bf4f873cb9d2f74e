"""The sans-I/O conversation state of a Realtime client.

Owned by one thread (the bridge's); no sockets, threads or clocks inside. Feed it server events
(``receive`` for decoded dicts, ``receive_frame`` for raw frames) with the time they arrived, and
it updates items, transcripts, responses, function calls, usage, errors and turns (latency
marks); the client events to send are built by its methods (``text_turn``, ``append_audio``,
``commit``, ``barge_in``, ``function_output`` ...). Every public call hands back one shape, an
``Outcome``: the events to send, in order, and the effects to act on (audio to play, speech
started, calls to run, errors). Recorded JSONL turns therefore test it completely.

The handler of each server event type lives in ``realtime.client.core.handlers``, one table.
Values handed out are frozen dataclasses, replaced on every change, so a snapshot can be shared
with another thread without copying.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field, replace
from typing import Any

from realtime.client.core import handlers
from realtime.client.core.replay import Replay, ReplayBudget, build_replay
from realtime.client.core.values import (
    AudioOut,
    CallsReady,
    Effect,
    ErrorReported,
    FunctionCall,
    Item,
    Outcome,
    ResponseFinished,
    ResponseState,
    ServerError,
    SpeechStarted,
    Turn,
    Usage,
)
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event, client_event, parse_server_event, to_ga
from realtime.protocol.facts import MIN_COMMIT_MS, ApiVersion
from realtime.protocol.pcm import duration_ms, encode_pcm16_base64
from realtime.protocol.words import cut_words

__all__ = [
    "AudioOut",
    "CallsReady",
    "Conversation",
    "Effect",
    "ErrorReported",
    "FunctionCall",
    "Item",
    "Outcome",
    "ResponseFinished",
    "ResponseState",
    "ServerError",
    "SpeechStarted",
    "Turn",
    "Usage",
]

MAX_KEPT_ERRORS = 100
MAX_KEPT_UNKNOWN = 200
MAX_KEPT_TURNS = 1000


@dataclass
class Conversation:
    """Client-side state of one Realtime conversation; see the module docstring."""

    items: dict[str, Item] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    responses: dict[str, ResponseState] = field(default_factory=dict)
    calls: dict[str, FunctionCall] = field(default_factory=dict)
    turns: dict[str, Turn] = field(default_factory=dict)  # the last ``max_turns``, in order
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
    user_speaking: bool = False  # between speech_started and speech_stopped (or a commit)
    replayed: set[str] = field(default_factory=set)  # ids re-created by the last replay
    silenced: set[str] = field(default_factory=set)  # responses whose audio is not played
    # The event ids of the last response.cancel events sent: one that crossed the response's
    # own end on the wire is refused (response_cancel_not_active), and that is no news.
    cancels_sent: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=8)
    )
    max_turns: int = MAX_KEPT_TURNS
    _pending_start: tuple[float, str] | None = None  # (at, trigger) of the next response
    _turns_created: int = 0

    # ---- server events in -------------------------------------------------------------
    def receive_frame(self, frame: str | bytes, *, at: float = 0.0) -> Outcome:
        """Parse a raw frame and receive it; a malformed frame becomes a recorded error."""
        try:
            event = parse_server_event(frame)
        except ProtocolError as exc:
            return self._error_outcome(ServerError(type="protocol_error", message=str(exc)))
        return self.receive(event, at=at)

    def receive(self, event: Event, *, at: float = 0.0) -> Outcome:
        """Apply one server event (GA or beta names); never raises on peer input."""
        event_type = to_ga(str(event.get("type", "")))
        handler = handlers.HANDLERS.get(event_type)
        if handler is None:
            self.unknown_events.append(event)
            return Outcome()
        try:
            return Outcome(effects=tuple(handler(self, event, at)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            message = f"{event_type} could not be read: {type(exc).__name__}: {exc}"
            return self._error_outcome(ServerError(type="protocol_error", message=message))

    # ---- reading ----------------------------------------------------------------------
    def ordered_items(self) -> tuple[Item, ...]:
        return tuple(self.items[item_id] for item_id in self.order)

    def transcript(self, item_id: str) -> str:
        return self.items[item_id].text

    # ---- client events out ------------------------------------------------------------
    def text_turn(self, text: str, *, at: float = 0.0, respond: bool = True) -> Outcome:
        """A typed user message (``conversation.item.create``), then ``response.create``."""
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        out = Outcome((client_event("conversation.item.create", item=item),))
        return out + self.response_create(at=at) if respond else out

    def append_audio(self, pcm: bytes) -> Outcome:
        """``input_audio_buffer.append`` for PCM16 24 kHz mono bytes."""
        self.buffered_ms += duration_ms(len(pcm))
        return Outcome((client_event("input_audio_buffer.append", audio=encode_pcm16_base64(pcm)),))

    def commit(self, *, at: float = 0.0, respond: bool = True) -> Outcome:
        """``input_audio_buffer.commit`` (push-to-talk), then ``response.create``.

        Raises ``ProtocolError`` when less than 100 ms was appended: the server would refuse.
        """
        if self.buffered_ms < MIN_COMMIT_MS:
            raise ProtocolError(
                f"only {self.buffered_ms:.0f} ms of audio is buffered; hold the button and speak "
                f"for at least {MIN_COMMIT_MS} ms before sending"
            )
        self.buffered_ms = 0.0
        out = Outcome((client_event("input_audio_buffer.commit"),))
        return out + self.response_create(at=at) if respond else out

    def clear_audio(self) -> Outcome:
        """``input_audio_buffer.clear``."""
        self.buffered_ms = 0.0
        return Outcome((client_event("input_audio_buffer.clear"),))

    def response_create(self, *, at: float = 0.0, **response: Any) -> Outcome:
        """``response.create``; keyword arguments become its ``response`` object. Starts the
        next turn's clock (trigger ``client``)."""
        self._pending_start = (at, "client")
        if response:
            return Outcome((client_event("response.create", response=response),))
        return Outcome((client_event("response.create"),))

    def response_cancel(self) -> Outcome:
        """``response.cancel`` of the response in progress (or of none named)."""
        if self.active_response_id:
            event = client_event("response.cancel", response_id=self.active_response_id)
        else:
            event = client_event("response.cancel")
        self.cancels_sent.append(event["event_id"])
        return Outcome((event,))

    def truncate(self, item_id: str, played_ms: float) -> Outcome:
        """``conversation.item.truncate`` at the audio actually played, never past the item."""
        item = self.items.get(item_id)
        limit = item.audio_ms if item else 0.0
        end = int(max(0.0, min(played_ms, limit)))
        if item is not None and item.audio_ms > 0:
            self._upsert(item_id, heard=cut_words(item.text, end / item.audio_ms))
        event = client_event(
            "conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=end
        )
        return Outcome((event,))

    def barge_in(self, played_ms: float, *, cancel: bool = False) -> Outcome:
        """The user spoke over the assistant: truncate what was not heard (and cancel).

        ``played_ms`` is how much of the speaking item's audio the user actually heard.
        """
        out = Outcome()
        if self.active_response_id:
            self.silenced.add(self.active_response_id)  # late deltas must not play again
        if cancel and self.active_response_id:
            out += self.response_cancel()
        if self.speaking_item_id is not None:
            out += self.truncate(self.speaking_item_id, played_ms)
            self.speaking_item_id = None
        return out

    def function_output(self, call_id: str, output: str, *, at: float = 0.0) -> Outcome:
        """Send a call's output; the last output of a response also asks for the next one."""
        call = self.calls[call_id]
        self.calls[call_id] = replace(call, output=output)
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        out = Outcome((client_event("conversation.item.create", item=item),))
        siblings = [c for c in self.calls.values() if c.response_id == call.response_id]
        if all(c.output is not None for c in siblings):
            out += self.response_create(at=at)
        return out

    def replay(self, version: ApiVersion, budget: ReplayBudget | None = None) -> Replay:
        """The conversation so far for a new server session (``realtime.client.core.replay``);
        the server's echoes of these items leave the transcript as it is."""
        replay = build_replay(self.ordered_items(), version, budget)
        self.replayed = set(replay.item_ids)
        return replay

    def item_retrieve(self, item_id: str) -> Outcome:
        """``conversation.item.retrieve``: what the server holds (the transcript is kept)."""
        return Outcome((client_event("conversation.item.retrieve", item_id=item_id),))

    def session_update(self, session: dict[str, Any]) -> Outcome:
        """``session.update`` with a payload from ``realtime.client.core.session_update``."""
        return Outcome((client_event("session.update", session=session),))

    # ---- state changes the handlers share ------------------------------------------------
    def _error_outcome(self, error: ServerError) -> Outcome:
        return Outcome(effects=(self._record_error(error),))

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

    def _start_turn(self, rid: str) -> Turn:
        """A new turn for ``rid``, started by the pending speech stop or ``response.create``."""
        started_at, trigger = self._pending_start or (None, None)
        self._pending_start = None
        self._turns_created += 1
        turn = Turn(rid, self._turns_created, trigger, started_at)
        self.turns.pop(rid, None)
        self.turns[rid] = turn
        while len(self.turns) > max(1, self.max_turns):
            del self.turns[next(iter(self.turns))]
        return turn

    def _turn(self, rid: str) -> Turn:
        """The turn of ``rid``; one with no start when ``response.created`` was not seen."""
        turn = self.turns.get(rid)
        if turn is None:
            pending, self._pending_start = self._pending_start, None
            turn = self._start_turn(rid)
            self._pending_start = pending
        return turn
