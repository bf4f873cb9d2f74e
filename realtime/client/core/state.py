"""What a conversation keeps, and the state changes that more than one of its modules makes.

Pure, owned by one thread (the bridge's). :class:`ConversationState` holds the items in order,
responses, function calls, turns, usage, errors, the images sent (their bytes apart from the
items: ``image_shelf``) and the flags of the moment; its methods are the
one way to change what must stay consistent: ``upsert`` (an item and its place in the order),
``record_error`` (bounded), ``mark_turn_start`` / ``start_turn`` / ``update_turn`` (the turn
clock: a start is marked by the speech stop or by ``response.create`` and taken by the next
response). The server-event handlers (``handlers``, ``response_handlers``, ``wire_items``) are
functions over this state; ``conversation.Conversation`` is this state with the events in and out.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field, replace
from typing import Any

from realtime.client.core.image_shelf import ImageShelf
from realtime.client.core.values import (
    ErrorReported,
    FunctionCall,
    Item,
    RateLimit,
    ResponseState,
    ServerError,
    Turn,
    Usage,
)
from realtime.protocol.events import Event

__all__ = [
    "MAX_KEPT_ERRORS",
    "MAX_KEPT_RATE_LIMITS",
    "MAX_KEPT_TURNS",
    "MAX_KEPT_UNKNOWN",
    "ConversationState",
]

MAX_KEPT_ERRORS = 100
MAX_KEPT_RATE_LIMITS = 8  # OpenAI sends two (requests, tokens); a server sending more is cut
MAX_KEPT_UNKNOWN = 200
MAX_KEPT_TURNS = 1000


@dataclass
class ConversationState:
    """The state of one Realtime conversation; see the module docstring."""

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
    rate_limits: tuple[RateLimit, ...] = ()  # of the last rate_limits.updated
    images: ImageShelf = field(default_factory=ImageShelf)  # the bytes of the images sent
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

    def ordered_items(self) -> tuple[Item, ...]:
        return tuple(self.items[item_id] for item_id in self.order)

    def upsert(self, item_id: str, previous: str | None = None, **fields: Any) -> Item:
        """Replace the item's ``fields`` (or create it after ``previous``, else last)."""
        item = self.items.get(item_id)
        item = replace(item, **fields) if item else Item(id=item_id, **fields)
        if item_id not in self.items:
            if previous in self.items:
                self.order.insert(self.order.index(previous) + 1, item_id)
            else:
                self.order.append(item_id)
        self.items[item_id] = item
        return item

    def record_error(self, error: ServerError) -> ErrorReported:
        """Keep ``error`` (the last ``MAX_KEPT_ERRORS``) and hand back its effect."""
        self.errors.append(error)
        return ErrorReported(error)

    # ---- the turn clock -------------------------------------------------------------------
    def mark_turn_start(self, at: float, trigger: str) -> None:
        """The next response's turn started at ``at`` (``speech`` stopped, or ``client``)."""
        self._pending_start = (at, trigger)

    def clear_turn_start(self) -> None:
        """No response is on its way any more (its session is gone)."""
        self._pending_start = None

    def start_turn(self, rid: str) -> Turn:
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

    def turn(self, rid: str) -> Turn:
        """The turn of ``rid``; one with no start when ``response.created`` was not seen."""
        turn = self.turns.get(rid)
        if turn is None:
            pending, self._pending_start = self._pending_start, None
            turn = self.start_turn(rid)
            self._pending_start = pending
        return turn

    def update_turn(self, rid: str, **fields: Any) -> Turn:
        """Replace ``fields`` of the turn of ``rid`` (see :meth:`turn`)."""
        turn = replace(self.turn(rid), **fields)
        self.turns[rid] = turn
        return turn
