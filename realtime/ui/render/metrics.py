"""Rendering a session's turns: the live strip of the voice page and the latency/cost charts.

Runs on the Streamlit script thread (the metrics page and the voice page's polling fragment).
Reads the turns of the bridge's frozen ``Snapshot``, priced from the one table in
``realtime/recording/pricing.py`` (the polling fragment through a ``PricedTurns``, which prices
them again only for a new snapshot: a rerun's cost does not grow with the turns); decides
nothing about the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from realtime.client.core.snapshot import Snapshot
from realtime.client.io.bridge import Bridge
from realtime.recording.metrics import TurnMetrics, chart_rows, price_turns, totals
from realtime.recording.pricing import PRICED_PROVIDERS

__all__ = ["PricedTurns", "render_metric_strip", "render_metrics", "session_turns"]


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
    c.metric("Tokens so far", summary.usage.total_tokens)
    if summary.cost is not None:
        cost = f"${summary.cost:.4f}"
    else:
        cost = "no price" if summary.turns else "–"
    d.metric(
        "Estimated cost",
        cost,
        help="OpenAI's published prices; servers with no price (the local engine) show none.",
    )


def render_metrics(turns: tuple[TurnMetrics, ...], *, model: str | None = None) -> None:
    rows = chart_rows(turns)
    if not rows:
        st.info("No finished turn yet: talk or type on the Voice chat page, then come back.")
        return
    frame = pd.DataFrame(rows).set_index("turn")
    st.subheader("Latency per turn (ms)")
    st.caption("From speech stopped (or the typed request) to the first text, first audio, done.")
    st.line_chart(frame[["first_text_ms", "first_audio_ms", "done_ms"]])
    st.subheader("Tokens and cost, cumulative")
    left, right = st.columns(2)
    left.area_chart(frame[["cumulative_tokens"]])
    if frame["cumulative_cost_usd"].notna().any():
        right.line_chart(frame[["cumulative_cost_usd"]])
    else:
        right.info(f"No published price for {model or 'this model'}: tokens only.")
    st.dataframe(frame, use_container_width=True)
