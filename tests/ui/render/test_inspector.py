"""realtime.ui.render.inspector through AppTest: events newest first, streaming chunks hidden
until asked for."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def events_page() -> None:
    from realtime.recording.eventlog import EventLog
    from realtime.ui.render.inspector import render_event_filters, render_events

    log = EventLog()
    log.record("client", {"type": "input_audio_buffer.append", "audio": "AAAA"}, at=1.0)
    log.record("server", {"type": "response.created", "response": {}}, at=2.0)
    log.record("server", {"type": "response.done", "response": {}}, at=3.0)
    render_events(log, render_event_filters(log, key="test"))


def test_newest_first_and_streaming_chunks_hidden() -> None:
    at = AppTest.from_function(events_page).run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert len(labels) == 2
    assert "response.done" in labels[0] and "response.created" in labels[1]
    at.checkbox(key="test.hide").uncheck().run()
    assert any("input_audio_buffer.append" in e.label for e in at.expander)
