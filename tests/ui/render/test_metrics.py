"""realtime.ui.render.metrics through AppTest: a session without a finished turn."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def no_turns_page() -> None:
    from realtime.ui.render.metrics import render_metric_strip, render_metrics

    render_metric_strip(())
    render_metrics(())


def test_no_turn_yet_shows_dashes_and_says_what_to_do() -> None:
    at = AppTest.from_function(no_turns_page).run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Turns"] == "0" and values["Last turn: latency"] == "–"
    assert values["Estimated cost"] == "–"
    assert any("No finished turn yet" in i.value for i in at.info)
