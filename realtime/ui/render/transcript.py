"""The voice page's transcription mode: the mode switch, the live transcript and its downloads.

Runs on the Streamlit script thread. The switch turns the sidebar's ``SessionConfig`` into a
transcription session's (``session_type``; the bridge reconnects, since a session's type is
fixed when it opens); the transcript is drawn inside the page's polling fragment from the
bridge's frozen ``Snapshot`` (segments of ``realtime.recording.subtitles``, partial words in
italics); the files are built when the user asks for them, as the other exports are.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from realtime.client.core.config import SessionConfig
from realtime.client.core.snapshot import LinkState, Snapshot
from realtime.recording.redact import Redactor
from realtime.recording.subtitles import (
    clock,
    segments,
    to_markdown,
    to_srt,
    to_text,
    to_webvtt,
)

__all__ = ["MODES", "mode_switch", "render_transcript", "render_transcript_exports"]

MODES = {"Voice chat": "realtime", "Transcription": "transcription"}
MODE_KEY = "rvs.mode"
FILES_KEY = "rvs.transcript_files"


def mode_switch(config: SessionConfig) -> SessionConfig:
    """Voice chat or transcription: the config the page runs with."""
    label = st.segmented_control(
        "Mode",
        list(MODES),
        default="Voice chat",
        key=MODE_KEY,
        help="Transcription: live transcripts of your microphone with timestamps, no answers.",
    )
    return config.replace(session_type=MODES.get(label or "Voice chat", "realtime"))


def render_transcript(snapshot: Snapshot) -> None:
    """The live transcript: one line per spoken segment, its start and end in the session's
    audio; words still being heard in italics."""
    if snapshot.state is LinkState.FAILED and snapshot.error:
        st.error(snapshot.error, icon=":material/link_off:")
    for notice in snapshot.notices[-2:]:
        if notice.level in ("warning", "error"):
            st.warning(notice.text, icon=":material/warning:")
    segs = segments(snapshot.items)
    if not segs:
        st.caption("Press START and speak: each pause ends a segment.")
        return
    for seg in segs:
        span = f"`{clock(seg.start_ms)[:8]}–{clock(seg.end_ms)[:8]}`"
        if seg.final:
            st.markdown(f"{span} {seg.text}" if seg.text else f"{span} _(nothing heard)_")
        else:
            st.markdown(f"{span} _{seg.text or 'hearing'}…_")


def render_transcript_exports(snapshot: Snapshot, redactor: Redactor) -> None:
    """Text, Markdown, SRT and WebVTT of the transcript as it is when asked for."""
    if st.button("Prepare transcript files", help="Snapshot the transcript as it is now."):
        segs = segments(snapshot.items, redactor)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        st.session_state[FILES_KEY] = (
            ("Text (.txt)", to_text(segs), f"transcript-{stamp}.txt", "text/plain"),
            ("Markdown (.md)", to_markdown(segs), f"transcript-{stamp}.md", "text/markdown"),
            ("Subtitles (.srt)", to_srt(segs), f"transcript-{stamp}.srt", "application/x-subrip"),
            ("Subtitles (.vtt)", to_webvtt(segs), f"transcript-{stamp}.vtt", "text/vtt"),
        )
    files = st.session_state.get(FILES_KEY)
    if not isinstance(files, tuple):
        return
    st.caption("Subtitles hold the completed segments; times are from the session's start.")
    for column, (label, data, name, mime) in zip(st.columns(len(files)), files, strict=True):
        column.download_button(label, data, file_name=name, mime=mime, on_click="ignore")
