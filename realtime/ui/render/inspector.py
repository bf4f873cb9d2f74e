"""Rendering a session's event log: filters, the events newest first, counts per type.

Runs on the Streamlit script thread (the inspector page, the voice page's "Live events" and
their polling fragments). Reads the session's thread-safe ``EventLog``, whose entries already
show audio payloads as their size and have keys scrubbed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from realtime.recording.eventlog import EventLog

__all__ = ["render_event_counts", "render_event_filters", "render_events"]

DIRECTIONS = {"client": "→ sent", "server": "← received"}


AUDIO_STREAM_TYPES = frozenset(
    {
        "input_audio_buffer.append",
        "response.output_audio.delta",
        "response.output_audio_transcript.delta",
    }
)


def render_event_filters(log: EventLog, *, key: str) -> dict[str, Any]:
    """Direction, type and text filters; returns the keyword arguments of ``log.query``."""
    left, middle, right = st.columns([1, 2, 2])
    directions = left.multiselect(
        "Direction", list(DIRECTIONS), format_func=DIRECTIONS.__getitem__, key=f"{key}.dir"
    )
    seen = log.types_seen()
    types = middle.multiselect("Event types", seen, key=f"{key}.types")
    search = right.text_input("Search in the JSON", key=f"{key}.search")
    hide = st.checkbox(
        "Hide streaming chunks (audio appends, audio and transcript deltas)",
        value=True,
        key=f"{key}.hide",
        help="They arrive dozens of times a second; pick them in 'Event types' to see them.",
    )
    if hide and not types:
        types = [t for t in seen if t not in AUDIO_STREAM_TYPES] or ["(none)"]
    return {"directions": directions, "types": types, "search": search}


def render_events(log: EventLog, filters: dict[str, Any], *, limit: int = 100) -> None:
    """Newest first: one expandable JSON view per event, audio shown as its size."""
    stats = log.stats()
    matches = log.query(**filters)
    st.caption(
        f"{len(matches)} of {stats.kept} kept events match · {stats.recorded} recorded · "
        f"{stats.dropped} dropped (keeps the newest {stats.capacity})"
    )
    origin = log.origin or 0.0
    for entry in matches[:limit]:
        arrow = "→" if entry.direction == "client" else "←"
        label = f"{arrow} `{entry.type}` · {entry.t - origin:8.3f} s · #{entry.seq}"
        with st.expander(label, key=f"event-{entry.seq}"):  # kept open as newer ones come
            st.json(entry.event, expanded=True)
    if len(matches) > limit:
        st.caption(f"Showing the newest {limit}; narrow the filters to see others.")


def render_event_counts(log: EventLog) -> None:
    counts = log.counts()
    if counts:
        frame = pd.DataFrame({"type": list(counts), "count": list(counts.values())})
        st.dataframe(frame, hide_index=True, use_container_width=True)
