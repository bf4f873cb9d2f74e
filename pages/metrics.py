"""Latency and cost page: per-turn latency, cumulative tokens and an estimated cost.

Thin: charts of the turns in the bridge's snapshot (the conversation's latency marks), priced
from the one table in realtime/recording/pricing.py.
"""

from __future__ import annotations

import streamlit as st

from realtime.ui.render.metrics import render_metric_strip, render_metrics, session_turns
from realtime.ui.session import current_bridge

st.title("Latency and cost")
bridge = current_bridge()
if bridge is None:
    st.info("No session yet: start one on the Voice chat page; its turns are measured here.")
    st.stop()

turns = session_turns(bridge)
render_metric_strip(turns)
render_metrics(turns, model=bridge.config.model)
st.caption(
    "Costs use OpenAI's published USD prices per million tokens (late 2025); the local engine "
    "counts tokens in its own units and has no price."
)
