"""Per-turn metrics: latency, tokens and cost of every response, from the event stream.

A turn is one response. Its clock starts when the user stopped speaking
(``input_audio_buffer.speech_stopped``) or, for typed and push-to-talk turns and tool results, when
the client sent ``response.create`` (the same marks as ``Conversation.turns``); it records the first
text delta (text or audio transcript), the first audio delta and ``response.done``, whose ``usage``
gives the tokens and, through ``realtime.recording.pricing``, the cost. The model comes from
``session.created``/``session.updated`` (or the ``model`` given).

:class:`TurnTracker` is an event observer like the event log: the bridge thread feeds it
``(direction, event, at)``, the script thread reads frozen :class:`TurnMetrics`. It reads only
types, ids, times and usage, so audio-elided events (the log, its JSONL download) give the same
numbers as raw ones; beta names are read through ``realtime.protocol.events.to_ga``. It keeps its
own bounded list of turns, so the numbers stay right after the event log dropped old events.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from realtime.client.conversation import Usage
from realtime.protocol.events import to_ga
from realtime.recording.eventlog import LoggedEvent
from realtime.recording.pricing import Cost, cost_of

__all__ = ["Totals", "TurnMetrics", "TurnTracker", "chart_rows", "totals", "turn_metrics"]

DEFAULT_MAX_TURNS = 1000
_TEXT_DELTAS = frozenset({"response.output_text.delta", "response.output_audio_transcript.delta"})


@dataclass(frozen=True)
class TurnMetrics:
    """Marks (seconds, the bridge's clock), tokens and cost of one response."""

    index: int  # 1 for the session's first response
    response_id: str
    trigger: str | None = None  # "speech" | "client" | None when the start was not seen
    started_at: float | None = None
    first_text_at: float | None = None
    first_audio_at: float | None = None
    done_at: float | None = None
    status: str = "in_progress"  # response.done status: completed, cancelled, incomplete, failed
    usage: Usage | None = None
    model: str | None = None
    cost: Cost | None = None  # None: unknown model, or not done yet

    def latency(self, mark: str) -> float | None:
        """Seconds from the start to ``first_text``, ``first_audio`` or ``done``, to the us."""
        end: float | None = getattr(self, f"{mark}_at")
        if end is None or self.started_at is None:
            return None
        return round(end - self.started_at, 6)

    @property
    def first_text_latency(self) -> float | None:
        return self.latency("first_text")

    @property
    def first_audio_latency(self) -> float | None:
        return self.latency("first_audio")

    @property
    def done_latency(self) -> float | None:
        return self.latency("done")


class TurnTracker:
    """Thread-safe per-turn metrics fed by event observations; see the module docstring."""

    def __init__(
        self,
        *,
        model: str | None = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        priced: bool = True,
    ) -> None:
        # ``priced=False`` for servers whose tokens are not OpenAI's (the local engine counts
        # its own units): their turns show tokens and no cost.
        self.priced = priced
        self._lock = threading.Lock()
        self._turns: collections.OrderedDict[str, TurnMetrics] = collections.OrderedDict()
        self._max_turns = max(1, max_turns)
        self._created = 0
        self._pending: tuple[float, str] | None = None
        self._model = model

    @property
    def model(self) -> str | None:
        """The session's model as the server reported it (or as given)."""
        return self._model

    def record(self, direction: str, event: Mapping[str, Any], at: float) -> None:
        """An ``on_event`` observer; never raises on a malformed event."""
        event_type = to_ga(str(event.get("type", "")))
        with self._lock:
            if direction == "client":
                if event_type == "response.create":
                    self._pending = (at, "client")
            elif event_type == "input_audio_buffer.speech_stopped":
                self._pending = (at, "speech")
            elif event_type in ("session.created", "session.updated"):
                session = event.get("session")
                if isinstance(session, Mapping) and isinstance(session.get("model"), str):
                    self._model = session["model"]
            elif event_type == "response.created":
                self._created_turn(_response_id(event.get("response")))
            elif event_type in _TEXT_DELTAS:
                self._mark(event.get("response_id"), "first_text_at", at)
            elif event_type == "response.output_audio.delta":
                self._mark(event.get("response_id"), "first_audio_at", at)
            elif event_type == "response.done":
                self._done(event.get("response"), at)

    def turns(self) -> tuple[TurnMetrics, ...]:
        """Every kept turn in order, the one in progress (``status`` in_progress) included."""
        with self._lock:
            return tuple(self._turns.values())

    # ---- internals (under the lock) ----------------------------------------------------------
    def _created_turn(self, rid: str | None) -> None:
        if rid is None:
            return
        started_at, trigger = self._pending or (None, None)
        self._pending = None
        self._add(TurnMetrics(self._created + 1, rid, trigger, started_at))

    def _add(self, turn: TurnMetrics) -> TurnMetrics:
        self._created += 1
        self._turns[turn.response_id] = turn
        while len(self._turns) > self._max_turns:
            self._turns.popitem(last=False)
        return turn

    def _turn(self, rid: str) -> TurnMetrics:
        turn = self._turns.get(rid)
        if turn is None:  # response.created was not seen (observer attached mid-response)
            turn = self._add(TurnMetrics(self._created + 1, rid))
        return turn

    def _mark(self, rid: Any, mark: str, at: float) -> None:
        if not isinstance(rid, str):
            return
        turn = self._turn(rid)
        if mark == "first_text_at" and turn.first_text_at is None:
            self._turns[rid] = replace(turn, first_text_at=at)
        elif mark == "first_audio_at" and turn.first_audio_at is None:
            self._turns[rid] = replace(turn, first_audio_at=at)

    def _done(self, response: Any, at: float) -> None:
        rid = _response_id(response)
        if rid is None or not isinstance(response, Mapping):
            return
        wire_usage = response.get("usage")
        usage = Usage.from_wire(wire_usage) if isinstance(wire_usage, dict) else None
        cost = cost_of(usage, self._model) if usage is not None and self.priced else None
        self._turns[rid] = replace(
            self._turn(rid),
            done_at=at,
            status=str(response.get("status") or "completed"),
            usage=usage,
            model=self._model,
            cost=cost,
        )


def _response_id(response: Any) -> str | None:
    if isinstance(response, Mapping) and isinstance(response.get("id"), str):
        return str(response["id"])
    return None


def turn_metrics(
    events: Iterable[LoggedEvent | Mapping[str, Any]], *, model: str | None = None
) -> tuple[TurnMetrics, ...]:
    """Metrics of every turn in a sequence of logged events or JSONL lines ``{t, dir, event}``
    (a recorded turn, a loaded download)."""
    tracker = TurnTracker(model=model, max_turns=10**9)
    for entry in events:
        if isinstance(entry, LoggedEvent):
            tracker.record(entry.direction, entry.event, entry.t)
        else:
            tracker.record(str(entry["dir"]), entry["event"], float(entry["t"]))
    return tracker.turns()


@dataclass(frozen=True)
class Totals:
    """What the live strip shows: the last finished turn and the session so far."""

    turns: int
    usage: Usage
    cost: float | None  # the sum of the priced turns; None when no turn had a price
    last: TurnMetrics | None  # the last finished turn


def totals(turns: Iterable[TurnMetrics]) -> Totals:
    done = [turn for turn in turns if turn.done_at is not None]
    usage = sum((turn.usage for turn in done if turn.usage is not None), Usage())
    costs = [turn.cost.total for turn in done if turn.cost is not None]
    return Totals(len(done), usage, sum(costs) if costs else None, done[-1] if done else None)


def chart_rows(turns: Iterable[TurnMetrics]) -> list[dict[str, Any]]:
    """One row per finished turn for the metrics page's charts (``pandas.DataFrame(rows)``):
    latencies in ms, tokens, cost, and the running totals of tokens and cost."""
    rows: list[dict[str, Any]] = []
    tokens = 0
    spent: float | None = None
    for turn in turns:
        if turn.done_at is None:
            continue
        usage = turn.usage or Usage()
        tokens += usage.total_tokens
        if turn.cost is not None:
            spent = (spent or 0.0) + turn.cost.total
        rows.append(
            {
                "turn": turn.index,
                "response_id": turn.response_id,
                "status": turn.status,
                "first_text_ms": _ms(turn.first_text_latency),
                "first_audio_ms": _ms(turn.first_audio_latency),
                "done_ms": _ms(turn.done_latency),
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "cached_tokens": usage.cached_tokens,
                "cumulative_tokens": tokens,
                "cost_usd": turn.cost.total if turn.cost is not None else None,
                "cumulative_cost_usd": spent,
            }
        )
    return rows


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
