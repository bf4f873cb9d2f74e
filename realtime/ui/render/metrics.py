"""Rendering a session's turns: the live strip of the voice page and the latency/cost charts.

Runs on the Streamlit script thread (the metrics page and the voice page's polling fragment).
Reads the turns of the bridge's frozen ``Snapshot``, priced from the one table in
``realtime/recording/pricing.py`` (the polling fragment through a ``PricedTurns``, which prices
them again only for a new snapshot: a rerun's cost does not grow with the turns); decides
nothing about the protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from realtime.client.core.snapshot import Snapshot
from realtime.client.core.values import RateLimit
from realtime.client.io.bridge import Bridge
from realtime.recording.metrics import Totals, TurnMetrics, chart_rows, price_turns, totals
from realtime.recording.pricing import PRICED_PROVIDERS

__all__ = [
    "PricedTurns",
    "cost_text",
    "rate_limit_rows",
    "render_metric_strip",
    "render_metrics",
    "render_rate_limits",
    "session_turns",
    "truncation_line",
]

_TOKEN_KINDS = [
    "input_text_tokens",
    "input_audio_tokens",
    "input_image_tokens",
    "cached_tokens",
    "output_text_tokens",
    "output_audio_tokens",
]


@dataclass
class PricedTurns:
    """The last snapshot's turns as priced, kept across reruns (in session state)."""

    seen: tuple[Snapshot, str, bool, tuple[TurnMetrics, ...]] | None = field(
        default=None, repr=False
    )


def session_turns(bridge: Bridge, kept: PricedTurns | None = None) -> tuple[TurnMetrics, ...]:
    """The turns of the bridge's snapshot with their cost (only hosted APIs are priced); with
    ``kept``, priced again only when the snapshot or the model changed."""
    config, snapshot = bridge.config, bridge.snapshot()
    priced = config.provider in PRICED_PROVIDERS
    seen = kept.seen if kept is not None else None
    if seen is not None and seen[0] is snapshot and seen[1:3] == (config.model, priced):
        return seen[3]
    turns = price_turns(snapshot.turns, model=config.model, priced=priced)
    if kept is not None:
        kept.seen = (snapshot, config.model, priced, turns)
    return turns


def render_metric_strip(turns: tuple[TurnMetrics, ...]) -> None:
    """The voice page's live strip: last turn latency and the session's cost so far."""
    summary = totals(turns)
    last = summary.last
    a, b, c, d = st.columns(4)
    a.metric("Turns", summary.turns)
    latency = None
    if last is not None:
        # The first audio, else the first text, else (a tool-call turn) the response's end.
        for value in (last.first_audio_latency, last.first_text_latency, last.done_latency):
            if value is not None:
                latency = value
                break
    a_text = f"{latency * 1000:.0f} ms" if latency is not None else "–"
    b.metric(
        "Last turn: latency",
        a_text,
        help="From speech stopped (or the request) to the "
        "first audio, else the first text, else the end of the response.",
    )
    usage = summary.usage
    c.metric(
        "Tokens so far",
        usage.total_tokens,
        help=f"In: {usage.input_text_tokens} text, {usage.input_audio_tokens} audio, "
        f"{usage.input_image_tokens} image ({usage.cached_tokens} of them cached); "
        f"out: {usage.output_text_tokens} text, {usage.output_audio_tokens} audio.",
    )
    d.metric(
        "Estimated cost",
        cost_text(summary),
        help="OpenAI's published prices, for the models whose prices are verified here; "
        "another model shows 'price unknown', the local engine 'not billed'.",
    )


def cost_text(summary: Totals) -> str:
    """The strip's cost: a sum in dollars, or why there is none."""
    if not summary.turns:
        return "–"
    if not summary.billed:
        return "not billed"
    if summary.price_unknown or summary.cost is None:
        return "price unknown"
    return f"${summary.cost:.4f}"


def render_metrics(
    turns: tuple[TurnMetrics, ...], *, model: str | None = None, truncation: Any = None
) -> None:
    """Latency, tokens by kind, what each turn read (with the session's ``truncation`` as the
    server echoed it) and the running cost."""
    rows = chart_rows(turns)
    if not rows:
        st.info("No finished turn yet: talk or type on the Voice chat page, then come back.")
        return
    frame = pd.DataFrame(rows).set_index("turn")
    st.subheader("Latency per turn (ms)")
    st.caption("From speech stopped (or the typed request) to the first text, first audio, done.")
    st.line_chart(frame[["first_text_ms", "first_audio_ms", "done_ms"]])
    st.subheader("Tokens per turn, by kind")
    st.bar_chart(frame[_TOKEN_KINDS])
    st.subheader("Input tokens per turn")
    st.caption(truncation_line(truncation))
    st.line_chart(frame[["input_tokens", "cached_tokens"]])
    st.subheader("Tokens and cost, cumulative")
    left, right = st.columns(2)
    left.area_chart(frame[["cumulative_tokens"]])
    summary = totals(turns)
    if not summary.billed:
        right.info("The local engine is not billed: tokens only.")
    elif summary.price_unknown or not frame["cumulative_cost_usd"].notna().any():
        right.info(f"Price unknown for {model or 'this model'}: no verified price, no cost.")
    else:
        right.line_chart(frame[["cumulative_cost_usd"]])
    st.dataframe(frame, use_container_width=True)


def truncation_line(truncation: Any) -> str:
    """What the session's ``truncation`` does to the tokens each turn reads."""
    grows = "every answer reads the whole conversation again, so input tokens grow each turn"
    if truncation is None:
        return f"Truncation: not reported by the server. Without a cut, {grows}."
    if truncation == "disabled":
        return f"Truncation off: {grows}, until the context is full (then an error)."
    if truncation == "auto":
        return (
            f"Truncation auto: {grows} until the context is nearly full; then the oldest turns "
            "are dropped."
        )
    if isinstance(truncation, dict):
        ratio = truncation.get("retention_ratio")
        limit = (truncation.get("token_limits") or {}).get("post_instructions")
        parts = [f"keeps {ratio:.0%} of the conversation" if isinstance(ratio, float) else ""]
        if isinstance(limit, int):
            parts.append(f"cut past {limit} tokens after the instructions")
        said = "; ".join(p for p in parts if p) or "a retention ratio"
        return (
            f"Truncation by retention ratio ({said}): input tokens fall back at each cut, and "
            "the cached part resets with it."
        )
    return "Truncation: an unrecognised setting."


def rate_limit_rows(limits: Iterable[RateLimit], now: float) -> list[dict[str, Any]]:
    """One row per limit: its name, remaining of limit, seconds to its reset counted from now,
    and how long ago the server said so."""
    rows = []
    for limit in limits:
        age = max(0.0, now - limit.at)
        reset = None if limit.reset_seconds is None else max(0.0, limit.reset_seconds - age)
        rows.append(
            {
                "limit": limit.name,
                "remaining": limit.remaining,
                "of": limit.limit,
                "resets in (s)": None if reset is None else round(reset, 1),
                "as of (s ago)": round(age, 1),
            }
        )
    return rows


def render_rate_limits(limits: Iterable[RateLimit], now: float) -> None:
    """The last ``rate_limits.updated``: what the provider lets this key spend."""
    st.subheader("Rate limits")
    rows = rate_limit_rows(limits, now)
    if not rows:
        st.caption("The server has sent no rate limits (the local engine sends none).")
        return
    st.caption("From the last rate_limits.updated (sent when an answer starts).")
    st.dataframe(pd.DataFrame(rows).set_index("limit"), use_container_width=True)
