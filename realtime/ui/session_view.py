"""Rendering what a bridge recorded: the event inspector, latency/cost charts, exports, meters.

Runs on the Streamlit script thread (pages and their polling fragments). Reads the session's
``SessionRecording`` (its thread-safe ``EventLog``, ``ItemClock`` and ``ConversationRecorder``)
and the turns of the bridge's frozen ``Snapshot``, priced here; exports are built when the user
asks for them, never on a polling rerun.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from realtime.client.io.bridge import Bridge
from realtime.recording.eventlog import EventLog
from realtime.recording.export import transcript_from_snapshot, transcript_json, transcript_markdown
from realtime.recording.metrics import TurnMetrics, chart_rows, price_turns, totals
from realtime.recording.pricing import PRICED_PROVIDERS
from realtime.recording.session import SessionRecording

__all__ = [
    "render_event_filters",
    "render_events",
    "render_export_buttons",
    "render_levels",
    "render_metric_strip",
    "render_metrics",
    "session_turns",
]

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
        with st.expander(label):
            st.json(entry.event, expanded=True)
    if len(matches) > limit:
        st.caption(f"Showing the newest {limit}; narrow the filters to see others.")


def render_event_counts(log: EventLog) -> None:
    counts = log.counts()
    if counts:
        frame = pd.DataFrame({"type": list(counts), "count": list(counts.values())})
        st.dataframe(frame, hide_index=True, use_container_width=True)


def session_turns(bridge: Bridge) -> tuple[TurnMetrics, ...]:
    """The turns of the bridge's snapshot with their cost (only hosted APIs are priced)."""
    config = bridge.config
    priced = config.provider in PRICED_PROVIDERS
    return price_turns(bridge.snapshot().turns, model=config.model, priced=priced)


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


def render_levels(bridge: Bridge) -> None:
    """Level meters: is the microphone heard, is the assistant audible."""
    snapshot = bridge.snapshot()
    mic = snapshot.mic_dbfs
    out = bridge.playback.level_dbfs if bridge.playback is not None else -96.0
    left, right = st.columns(2)
    left.progress(_meter(mic), text=f"Microphone {mic:.0f} dBFS")
    right.progress(_meter(out), text=f"Assistant {out:.0f} dBFS")


def _meter(dbfs: float) -> float:
    return min(1.0, max(0.0, (dbfs + 60.0) / 60.0))


EXPORTS_KEY = "rvs.exports"


@dataclass(frozen=True)
class PreparedExports:
    """The session's exports, built once when asked for (kept in this browser session)."""

    at: str
    files: tuple[
        tuple[str, str | bytes, str, str, str | None], ...
    ]  # label, data, name, mime, hint


def prepare_exports(bridge: Bridge, recording: SessionRecording) -> PreparedExports:
    now = dt.datetime.now()
    stamp = now.strftime("%Y%m%d-%H%M%S")
    meta = {"model": bridge.config.model, "provider": bridge.config.provider.value}
    redactor = recording.log.redactor
    entries = transcript_from_snapshot(
        bridge.snapshot(), times=recording.item_times.times(), redactor=redactor
    )
    minutes = recording.audio.max_minutes
    files = (
        ("Transcript (.md)", transcript_markdown(entries, meta=meta, redactor=redactor),
         f"conversation-{stamp}.md", "text/markdown", None),
        ("Transcript (.json)", transcript_json(entries, meta=meta, redactor=redactor),
         f"conversation-{stamp}.json", "application/json", None),
        ("Audio (.wav)", recording.audio.to_wav(), f"conversation-{stamp}.wav", "audio/wav",
         f"Both sides on one timeline (left: you, right: assistant); keeps the last "
         f"{minutes:g} minutes."),
        ("Events (.jsonl)", recording.log.to_jsonl(), f"events-{stamp}.jsonl", "application/jsonl",
         None),
    )  # fmt: skip
    return PreparedExports(now.strftime("%H:%M:%S"), files)


def render_export_buttons(bridge: Bridge, recording: SessionRecording) -> None:
    """A snapshot of the exports, made on request, then one download button per file.

    The data is built here rather than lazily at click time: Streamlit drops a lazily built
    file within a script run or two, and the voice page's live fragment reruns twice a second,
    which made downloads fail now and then.
    """
    if st.button("Prepare downloads", help="Snapshot the conversation as it is now."):
        st.session_state[EXPORTS_KEY] = prepare_exports(bridge, recording)
    prepared = st.session_state.get(EXPORTS_KEY)
    if not isinstance(prepared, PreparedExports):
        return
    st.caption(f"Prepared at {prepared.at}; prepare again to include what came after.")
    for column, (label, data, file_name, mime, hint) in zip(
        st.columns(len(prepared.files)), prepared.files, strict=True
    ):
        column.download_button(
            label, data, file_name=file_name, mime=mime, on_click="ignore", help=hint
        )
