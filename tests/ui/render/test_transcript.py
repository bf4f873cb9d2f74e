"""realtime.ui.render.transcript: the mode switch, the live transcript with partial words and
times, and its four files, through Streamlit's AppTest (no engine, no bridge)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def page() -> None:
    import streamlit as st

    from realtime.client.core.config import SessionConfig
    from realtime.client.core.snapshot import Snapshot
    from realtime.client.core.values import Item
    from realtime.recording.redact import Redactor
    from realtime.ui.render.transcript import (
        mode_switch,
        render_transcript,
        render_transcript_exports,
    )

    config = mode_switch(SessionConfig())
    st.caption(f"session_type={config.session_type}")
    items = (
        Item("a", text="What time is it in Tokyo?", audio_start_ms=640, audio_end_ms=3120),
        Item("b", text="sk-secret-0123456789abcdef", audio_start_ms=4000, audio_end_ms=5000),
        Item("c", text="Thanks that", transcribing=True, audio_start_ms=61250),
    )
    snapshot = Snapshot(items=items)
    render_transcript(snapshot)
    render_transcript_exports(snapshot, Redactor(secrets=["sk-secret-0123456789abcdef"]))


def test_the_switch_sets_the_session_type() -> None:
    at = AppTest.from_function(page).run()
    assert not at.exception
    assert "session_type=realtime" in [c.value for c in at.caption]
    at.segmented_control[0].set_value("Transcription").run()
    assert "session_type=transcription" in [c.value for c in at.caption]


def test_segments_show_their_times_and_partial_words_in_italics() -> None:
    at = AppTest.from_function(page).run()
    lines = [m.value for m in at.markdown]
    assert "`00:00:00–00:00:03` What time is it in Tokyo?" in lines
    assert "`00:01:01–00:01:02` _Thanks that…_" in lines


def test_the_four_files_are_prepared_on_request() -> None:
    at = AppTest.from_function(page).run()
    assert not at.get("download_button")
    at.button[0].click().run()
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == [
        "Text (.txt)",
        "Markdown (.md)",
        "Subtitles (.srt)",
        "Subtitles (.vtt)",
    ]
