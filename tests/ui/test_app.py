"""Every page through Streamlit's AppTest: no key, a key, an invalid setting, with and
without data. The typed turn goes to the real in-process local engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.config import Provider
from realtime.tools import default_registry, tool
from realtime.ui.studio import BRIDGE_KEY, RECORDING_KEY
from tests.support.bridge import S, wait_for, wait_until

pytestmark = pytest.mark.engine

APP = str(Path(__file__).resolve().parents[2] / "app.py")
KEY = "sk-test-planted-0123456789abcdef"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "REALTIME_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    yield at
    bridge = at.session_state[BRIDGE_KEY] if BRIDGE_KEY in at.session_state else None
    if bridge is not None:
        bridge.stop()


def texts(at: AppTest) -> str:
    """Every piece of text the page and sidebar show."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [str(e.value) for e in at.get("text_input")]
    return "\n".join(parts)


def test_no_key_selects_the_local_engine(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.sidebar.selectbox(key="rvs.provider").value.value == "local"
    assert "offline engine (no API key needed)" in texts(app)


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


def test_with_a_key_openai_is_selected_and_the_key_never_shows(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    app.run()
    assert not app.exception
    assert app.sidebar.selectbox(key="rvs.provider").value.value == "openai"
    shown = texts(app)
    assert "Talking to OpenAI · gpt-realtime." in shown
    assert "OPENAI_API_KEY from the environment" in shown
    assert KEY not in shown and KEY[-8:] not in shown


def test_invalid_setting_is_explained_next_to_the_sidebar(app: AppTest) -> None:
    # AppTest (Streamlit 1.67) drops what app.py renders before st.navigation from its tree
    # after the first run (the browser keeps it), so the setting is chosen before that run.
    app.session_state["rvs.provider"] = Provider.CUSTOM
    app.run()
    assert not app.exception
    errors = [e.value for e in app.sidebar.error]
    assert any("base_url" in e and "custom provider needs a URL" in e for e in errors)


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


def test_hosted_provider_without_a_key_says_how_to_give_one(app: AppTest) -> None:
    app.session_state["rvs.provider"] = Provider.OPENAI
    app.run()
    assert not app.exception
    warnings = [w.value for w in app.sidebar.warning]
    assert any("OpenAI needs an API key" in w and "OPENAI_API_KEY" in w for w in warnings)


def test_invalid_model_name_is_refused_next_to_the_model(app: AppTest) -> None:
    app.session_state["rvs.model"] = "Other…"
    app.session_state["rvs.model_name"] = "gpt realtime!"
    app.run()
    assert not app.exception
    errors = [e.value for e in app.sidebar.error]
    assert any(e.startswith("model:") and "not a model name" in e for e in errors)


def test_a_key_typed_for_one_provider_is_not_used_for_another(app: AppTest) -> None:
    app.session_state["rvs.api_key.openai"] = KEY  # typed earlier, while OpenAI was selected
    app.session_state["rvs.provider"] = Provider.CUSTOM
    app.run()
    assert not app.exception
    assert "Key: no key." in [c.value for c in app.sidebar.caption]
    assert KEY not in texts(app)


def test_the_key_handed_to_the_bridge_is_scrubbed_from_the_event_log(app: AppTest) -> None:
    # The local provider's key is the in-process engine's own random key (not
    # REALTIME_LOCAL_API_KEY any more: keys are bound to endpoints); the test reads it from the
    # bridge and says it aloud. Only its registration with the recording scrubs it.
    app.run()
    app.chat_input[0].set_value("Hello").run()
    bridge = app.session_state[BRIDGE_KEY]
    # The key the page handed over: private on purpose, a key has no public getter.
    secret = bridge._requested[1]  # noqa: SLF001
    assert secret
    wait_for(bridge, lambda s: any(t.done_at for t in s.turns) and not s.response_active)
    app.chat_input[0].set_value(f"Remember this: {secret}").run()
    wait_for(bridge, lambda s: sum(1 for t in s.turns if t.done_at) >= 2)
    log = app.session_state[RECORDING_KEY].log
    assert any(e.type == "conversation.item.create" for e in log.events())
    assert secret not in log.to_jsonl()
