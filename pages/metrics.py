"""Latency and cost page: per-turn latency, cumulative tokens and an estimated cost.

Thin: charts of the turns in the bridge's snapshot (the conversation's latency marks), priced
from the one table in realtime/recording/pricing.py.
"""

from __future__ import annotations

import streamlit as st

from realtime.ui.render.metrics import (
    render_metric_strip,
    render_metrics,
    render_rate_limits,
    session_turns,
)
from realtime.ui.session import current_bridge

st.title("Latency and cost")
bridge = current_bridge()
if bridge is None:
    st.info("No session yet: start one on the Voice chat page; its turns are measured here.")
    st.stop()

turns = session_turns(bridge)
snapshot = bridge.snapshot()
render_metric_strip(turns)
render_metrics(turns, model=bridge.config.model, truncation=snapshot.session.get("truncation"))
render_rate_limits(snapshot.rate_limits, bridge.now())
st.caption(
    "Costs use OpenAI's published USD prices per million tokens (late 2025) for the models "
    "whose prices are verified here; any other shows 'price unknown'. The local engine counts "
    "tokens in its own units and is not billed."
)
