"""realtime.ui.render.metrics: a session without a finished turn (through AppTest), and the
voice page's strip priced once per snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.io.bridge import Bridge
from realtime.protocol.model_list import DEFAULT_MODEL
from realtime.ui.render import metrics
from realtime.ui.render.metrics import PricedTurns, session_turns


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


def test_the_strip_prices_the_turns_again_only_for_a_new_snapshot_or_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    priced: list[str | None] = []
    real = metrics.price_turns

    def counting(turns: Any, *, model: str | None = None, **kw: Any) -> Any:
        priced.append(model)
        return real(turns, model=model, **kw)

    monkeypatch.setattr(metrics, "price_turns", counting)
    bridge = Bridge(SessionConfig(provider=Provider.OPENAI))  # never started: one snapshot
    kept = PricedTurns()
    session_turns(bridge, kept)
    session_turns(bridge, kept)
    assert priced == [DEFAULT_MODEL]
    session_turns(bridge)  # nothing kept: priced each time
    bridge.update_session(SessionConfig(provider=Provider.OPENAI, model="gpt-realtime-mini"))
    session_turns(bridge, kept)
    assert priced == [DEFAULT_MODEL, DEFAULT_MODEL, "gpt-realtime-mini"]
