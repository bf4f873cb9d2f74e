"""The conversation's downloads: transcript (Markdown, JSON), both sides' audio, the events.

Runs on the Streamlit script thread (the voice page). Reads the session's ``SessionRecording``
(its ``EventLog``, ``ItemClock`` and ``ConversationRecorder``) and the bridge's frozen
``Snapshot``; the files are built when the user asks for them, never on a polling rerun, and
kept in this browser session's state until asked again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from realtime.client.io.bridge import Bridge
from realtime.recording.export import transcript_from_snapshot, transcript_json, transcript_markdown
from realtime.recording.session import SessionRecording

__all__ = ["PreparedExports", "prepare_exports", "render_export_buttons"]

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
