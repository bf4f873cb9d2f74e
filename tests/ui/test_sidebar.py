"""The sidebar through Streamlit's AppTest: the provider it starts on, where the key comes from
(never shown), and refused settings explained next to their widgets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.config import Prompt, Provider, RetentionRatio
from realtime.ui.session import CONFIG_KEY
from tests.support.apptest import KEY, open_app, texts

pytestmark = pytest.mark.engine

KEYS = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "REALTIME_API_KEY")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, KEYS, timeout=60)


def test_no_key_selects_the_local_engine(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert app.sidebar.selectbox(key="rvs.provider").value.value == "local"
    assert "offline engine (no API key needed)" in texts(app)


def test_with_a_key_openai_is_selected_and_the_key_never_shows(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    app.run()
    assert not app.exception
    assert app.sidebar.selectbox(key="rvs.provider").value.value == "openai"
    shown = texts(app)
    assert "Talking to OpenAI · gpt-realtime-2." in shown
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


def test_a_deprecated_model_shows_its_shutdown_date(app: AppTest) -> None:
    app.session_state["rvs.provider"] = Provider.OPENAI
    app.session_state["rvs.model"] = "gpt-realtime"
    app.run()
    assert not app.exception
    warnings = [w.value for w in app.sidebar.warning]
    assert any("gpt-realtime is deprecated" in w and "2027-01-20" in w for w in warnings)


def test_advanced_settings_reach_the_session_config(app: AppTest) -> None:
    app.session_state["rvs.reasoning_effort"] = "high"
    app.session_state["rvs.speed"] = 1.2
    app.session_state["rvs.truncation"] = "retention_ratio"
    app.session_state["rvs.prompt_id"] = "pmpt_1"
    app.run()
    assert not app.exception
    config = app.session_state[CONFIG_KEY]
    assert config.reasoning_effort == "high" and config.speed == 1.2
    assert config.truncation == RetentionRatio(0.8) and config.prompt == Prompt("pmpt_1")
