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


# ---- cost text, truncation, rate limits -------------------------------------------------------
def test_the_cost_says_why_there_is_no_figure() -> None:
    from realtime.client.core.values import Usage
    from realtime.recording.metrics import TurnMetrics, totals
    from realtime.ui.render.metrics import cost_text

    usage = Usage(input_text_tokens=10, total_tokens=10)
    done = TurnMetrics("r1", done_at=1.0, usage=usage)
    assert cost_text(totals([])) == "–"
    assert cost_text(totals([TurnMetrics("r1", done_at=1.0, usage=usage, billed=False)])) == (
        "not billed"
    )
    assert cost_text(totals([done])) == "price unknown"  # a billed turn, no price here
    priced = metrics.price_turns([done], model="gpt-realtime")
    assert cost_text(totals(priced)) == "$0.0000"
    unknown = metrics.price_turns([done], model="gpt-realtime-2")
    assert cost_text(totals([*priced, *unknown])) == "price unknown"  # never a partial sum


def test_the_truncation_line_names_the_setting() -> None:
    from realtime.ui.render.metrics import truncation_line

    assert "grow each turn" in truncation_line("disabled")
    assert "oldest turns" in truncation_line("auto")
    ratio = {
        "type": "retention_ratio",
        "retention_ratio": 0.5,
        "token_limits": {"post_instructions": 8000},
    }
    assert "keeps 50%" in truncation_line(ratio) and "8000 tokens" in truncation_line(ratio)
    assert "not reported" in truncation_line(None)


def test_rate_limits_count_their_reset_from_now() -> None:
    from realtime.client.core.values import RateLimit
    from realtime.ui.render.metrics import rate_limit_rows

    limits = [
        RateLimit("tokens", 40000, 38000, 2.5, at=10.0),
        RateLimit("requests", 9, 8, None, 10.0),
    ]
    rows = rate_limit_rows(limits, now=11.0)
    assert rows[0] == {
        "limit": "tokens",
        "remaining": 38000,
        "of": 40000,
        "resets in (s)": 1.5,
        "as of (s ago)": 1.0,
    }
    assert rows[1]["resets in (s)"] is None
    assert rate_limit_rows(limits, now=20.0)[0]["resets in (s)"] == 0.0


def rate_limits_page() -> None:
    from realtime.client.core.values import RateLimit
    from realtime.ui.render.metrics import render_rate_limits

    render_rate_limits([RateLimit("tokens", 40000, 38000, 2.5, at=0.0)], 1.0)
    render_rate_limits([], 1.0)


def test_the_rate_limits_table_and_its_absence() -> None:
    at = AppTest.from_function(rate_limits_page).run()
    assert not at.exception
    (frame,) = at.dataframe
    assert list(frame.value.index) == ["tokens"] and frame.value["remaining"].iloc[0] == 38000
    assert any("no rate limits" in c.value for c in at.caption)
