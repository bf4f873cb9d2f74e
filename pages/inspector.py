"""Event inspector page: every client and server event of this session, newest first.

Thin: filters wired to the session recording's EventLog (audio payloads already shown as
their size, keys already scrubbed). Keeps up live in a polling fragment while a session runs.
"""

from __future__ import annotations

import streamlit as st

from realtime.ui.render.inspector import (
    render_event_counts,
    render_event_filters,
    render_events,
)
from realtime.ui.session import current_bridge, current_recording

st.title("Event inspector")
bridge, recording = current_bridge(), current_recording()
if bridge is None or recording is None:
    st.info("No session yet: start one on the Voice chat page; its events appear here.")
    st.stop()

log = recording.log
left, right = st.columns([3, 1])
with right:
    live = st.toggle("Live", value=bridge.running, help="Refresh every second.")
    st.download_button(
        "Download JSONL",
        log.to_jsonl(),  # built on this run (a lazily built file can vanish on a live rerun)
        file_name="events.jsonl",
        mime="application/jsonl",
        on_click="ignore",
    )
    with st.expander("Counts per type"):
        render_event_counts(log)
with left:
    filters = render_event_filters(log, key="inspector")


@st.fragment(run_every=1.0 if live else None)
def events() -> None:
    render_events(log, filters)


events()
