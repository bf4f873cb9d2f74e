"""Per-turn metrics: latency, tokens and cost of every response, from the conversation's turns.

There is one latency tracker, ``Conversation.turns`` (``realtime.client.core.values.Turn``):
its clock starts when the user stopped speaking or when the client built ``response.create``,
and it marks the first text delta (text or audio transcript), the first audio delta and
``response.done`` with its status, ``usage`` and the session's model. This module prices those turns
(``realtime.recording.pricing``) and shapes them for the live strip and the metrics page.

Runs on the Streamlit script thread, over the frozen turns of a bridge ``Snapshot``; pure.
:func:`turn_metrics` computes the same from recorded events (a JSONL download, the recorded
turns of the tests) by feeding them to a ``Conversation``, so both views share one
implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from realtime.client.core.conversation import Conversation
from realtime.client.core.values import Turn, Usage
from realtime.protocol.events import to_ga
from realtime.recording.eventlog import LoggedEvent
from realtime.recording.pricing import Cost, cost_of

__all__ = ["Totals", "TurnMetrics", "chart_rows", "price_turns", "totals", "turn_metrics"]


@dataclass(frozen=True)
class TurnMetrics(Turn):
    """A turn with its price; ``model`` is the session's, or the one the caller assumed.
    ``billed``: the server bills at OpenAI's prices (a hosted API, not the local engine)."""

    cost: Cost | None = None  # None: unpriced server, unknown model, or not done yet
    billed: bool = True

    @property
    def price_unknown(self) -> bool:
        """A finished, billed turn that used tokens at a price the table does not have."""
        return self.billed and self.usage is not None and self.cost is None


def price_turns(
    turns: Iterable[Turn], *, model: str | None = None, priced: bool = True
) -> tuple[TurnMetrics, ...]:
    """The turns with their cost. ``model`` stands in when the server named none; ``priced``
    is False for servers whose tokens are not billed at OpenAI's prices (see pricing)."""
    out = []
    for turn in turns:
        values = {f.name: getattr(turn, f.name) for f in fields(turn)}
        values["model"] = turn.model or model
        values["billed"] = priced
        if turn.usage is not None and priced:
            values["cost"] = cost_of(turn.usage, values["model"])
        out.append(TurnMetrics(**values))
    return tuple(out)


def turn_metrics(
    events: Iterable[LoggedEvent | Mapping[str, Any]], *, model: str | None = None
) -> tuple[TurnMetrics, ...]:
    """Metrics of every turn in a sequence of logged events or JSONL lines ``{t, dir, event}``
    (a recorded turn, a loaded download), replayed through a ``Conversation``."""
    conv = Conversation(max_turns=2**31)
    for entry in events:
        if isinstance(entry, LoggedEvent):
            direction, event, at = entry.direction, entry.event, entry.t
        else:
            direction, event, at = str(entry["dir"]), entry["event"], float(entry["t"])
        event_type = to_ga(str(event.get("type", "")))
        if direction == "client":
            if event_type == "response.create":
                conv.response_create(at=at)
        elif event_type == "response.output_audio.delta":
            # Metrics read no audio, and the log keeps only a summary of it.
            conv.receive({**event, "delta": ""}, at=at)
        else:
            conv.receive(dict(event), at=at)
    return price_turns(conv.turns.values(), model=model)


@dataclass(frozen=True)
class Totals:
    """What the live strip shows: the last finished turn and the session so far."""

    turns: int
    usage: Usage
    cost: float | None  # the sum of the priced turns; None when no turn had a price
    last: TurnMetrics | None  # the last finished turn
    billed: bool = False  # a finished turn was billed (a hosted API)
    unpriced: int = 0  # finished billed turns whose price is unknown: the cost is a floor

    @property
    def price_unknown(self) -> bool:
        return self.unpriced > 0


def totals(turns: Iterable[TurnMetrics]) -> Totals:
    done = [turn for turn in turns if turn.done_at is not None]
    usage = sum((turn.usage for turn in done if turn.usage is not None), Usage())
    costs = [turn.cost.total for turn in done if turn.cost is not None]
    return Totals(
        len(done),
        usage,
        sum(costs) if costs else None,
        done[-1] if done else None,
        billed=any(turn.billed for turn in done),
        unpriced=sum(turn.price_unknown for turn in done),
    )


def chart_rows(turns: Iterable[TurnMetrics]) -> list[dict[str, Any]]:
    """One row per finished turn for the metrics page's charts (``pandas.DataFrame(rows)``):
    latencies in ms, tokens, cost, and the running totals of tokens and cost."""
    rows: list[dict[str, Any]] = []
    tokens = 0
    spent: float | None = None
    unknown = False  # once a billed turn's price is unknown, the running cost is too
    for turn in turns:
        if turn.done_at is None:
            continue
        usage = turn.usage or Usage()
        tokens += usage.total_tokens
        unknown = unknown or turn.price_unknown
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
                "input_text_tokens": usage.input_text_tokens,
                "input_audio_tokens": usage.input_audio_tokens,
                "input_image_tokens": usage.input_image_tokens,
                "cached_tokens": usage.cached_tokens,
                "output_tokens": usage.output_tokens,
                "output_text_tokens": usage.output_text_tokens,
                "output_audio_tokens": usage.output_audio_tokens,
                "cumulative_tokens": tokens,
                "cost_usd": turn.cost.total if turn.cost is not None else None,
                "cumulative_cost_usd": None if unknown else spent,
            }
        )
    return rows


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)
