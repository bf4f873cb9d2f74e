"""Every page through Streamlit's AppTest, with and without data. The typed turn goes to the
real in-process local engine. (The sidebar's own cases: tests/ui/test_sidebar.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest
from streamlit.testing.v1 import AppTest

from realtime.tools import default_registry, tool
from realtime.ui.session import BRIDGE_KEY, RECORDING_KEY
from tests.support.apptest import open_app, texts
from tests.support.bridge import S, wait_for, wait_until

pytestmark = pytest.mark.engine

KEYS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "REALTIME_API_KEY")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, KEYS, timeout=60)


def test_typed_turn_through_the_page_gets_an_answer(app: AppTest) -> None:
    app.run()
    app.chat_input[0].set_value("Hello! Who are you?").run()
    wait_for(
        app.session_state[BRIDGE_KEY],
        lambda s: any(i.role == "assistant" and i.text for i in s.items) and not s.response_active,
    )
    app.run()
    assert not app.exception
    bubbles = app.get("chat_message")
    assert [b.name for b in bubbles][:2] == ["user", "assistant"]
    assert "Hello! Who are you?" in texts(app)


@pytest.mark.parametrize("page", ["pages/inspector.py", "pages/metrics.py"])
def test_inspector_and_metrics_without_a_session(app: AppTest, page: str) -> None:
    app.switch_page(page).run()  # opened directly: no voice session was ever started
    assert not app.exception
    assert any("No session yet" in i.value for i in app.info)


def test_inspector_and_metrics_with_a_session(app: AppTest) -> None:
    app.run()
    app.chat_input[0].set_value("Hello!").run()
    wait_for(app.session_state[BRIDGE_KEY], lambda s: any(t.done_at for t in s.turns))
    app.switch_page("pages/inspector.py").run()
    assert not app.exception
    labels = [e.label for e in app.expander]
    assert any("response.done" in label for label in labels)
    assert any("conversation.item.create" in label for label in labels)
    app.switch_page("pages/metrics.py").run()
    assert not app.exception
    assert not any("No finished turn" in i.value for i in app.info)
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")


def test_a_new_tool_is_one_function_and_shows_in_sidebar_and_session(app: AppTest) -> None:
    @tool
    def get_packing_list(climate: Literal["cold", "warm"], nights: int = 3) -> dict[str, object]:
        """Suggest what to pack for a trip.

        Args:
            climate: The destination's weather.
            nights: How many nights away.
        """
        return {"items": ["passport", "coat" if climate == "cold" else "hat"], "nights": nights}

    try:
        app.run()
        options = app.sidebar.multiselect[0].options
        assert "get_packing_list" in options
        app.chat_input[0].set_value("Hello!").run()
        log = app.session_state[RECORDING_KEY].log

        def tools_sent() -> list[str]:
            updates = [e.event for e in log.events() if e.type == "session.update"]
            return [t["name"] for u in updates for t in u["session"]["tools"]]

        wait_until(lambda: "get_packing_list" in tools_sent(), timeout=10 * S)
        assert "get_packing_list" in tools_sent()
    finally:
        default_registry.unregister("get_packing_list")
