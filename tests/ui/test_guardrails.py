"""The deployment guardrails through Streamlit's AppTest: the sign-in gate, the providers a
visitor may pick, the voice session limits, and a typed URL the address policy refuses. No
model is loaded: the local provider is left out or never started, and the only server a bridge
tries is a closed port on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.config import Provider
from realtime.ui.gatekeeper import REFUSAL_KEY, _slots
from realtime.ui.session import BRIDGE_KEY
from tests.support.apptest import open_app
from tests.support.bridge import S, wait_until

SETTINGS = (
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "REALTIME_API_KEY",
    "REALTIME_PROVIDERS",
    "REALTIME_MAX_VOICE_SESSIONS",
    "REALTIME_MAX_SESSION_MINUTES",
    "REALTIME_ALLOW_PRIVATE_URLS",
    "REALTIME_ALLOWED_HOSTS",
)
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, SETTINGS, timeout=30)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def shown(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "title")
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def custom(at: AppTest, url: str) -> None:
    # Chosen before the first run: AppTest keeps what app.py draws before st.navigation only
    # for that run (see tests/ui/test_app.py).
    at.session_state["rvs.provider"] = Provider.CUSTOM
    at.session_state["rvs.base_url"] = url


# ---- sign-in ----------------------------------------------------------------------------
def test_with_auth_configured_a_visitor_sees_only_the_sign_in(app: AppTest) -> None:
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception
    assert "asks you to sign in" in shown(app)
    assert [b.label for b in app.button] == ["Sign in"]
    assert not app.sidebar.selectbox and not app.chat_input


def test_named_auth_providers_get_one_button_each(app: AppTest) -> None:
    app.secrets["auth"] = {**AUTH, "google": {"client_id": "a"}, "okta": {"client_id": "b"}}
    app.user = {"is_logged_in": False}
    app.run()
    assert [b.label for b in app.button] == ["Sign in with Google", "Sign in with Okta"]


def test_a_signed_in_visitor_gets_the_app(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REALTIME_PROVIDERS", "openai")
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": True, "name": "Ada"}
    app.run()
    assert not app.exception
    assert "Signed in: Ada." in shown(app)
    assert app.sidebar.selectbox(key="rvs.provider").options == ["OpenAI"]


def test_without_auth_there_is_no_sign_in(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REALTIME_PROVIDERS", "openai")
    app.run()
    assert not app.exception and "sign in" not in shown(app).lower()


# ---- providers --------------------------------------------------------------------------
def test_the_sidebar_offers_only_the_deployments_providers(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.secrets["providers"] = ["openai", "custom"]
    monkeypatch.setenv("REALTIME_PROVIDERS", "local")  # secrets win
    app.run()
    assert not app.exception
    box = app.sidebar.selectbox(key="rvs.provider")
    assert box.options == ["OpenAI", "Custom URL"] and box.value is Provider.OPENAI


def test_an_unreadable_setting_turns_voice_off_and_says_which(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REALTIME_MAX_VOICE_SESSIONS", "lots")
    custom(app, f"ws://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("REALTIME_ALLOW_PRIVATE_URLS", "1")
    app.run()
    app.chat_input[0].set_value("Hello").run()
    assert not app.exception
    assert not app.session_state[BRIDGE_KEY].running
    assert "voice sessions are off" in shown(app) and "max_voice_sessions" in shown(app)


# ---- limits -----------------------------------------------------------------------------
class Held:
    """A voice session of another visitor, holding a slot."""

    running = True

    def start(self) -> None:
        pass


def test_when_every_voice_slot_is_taken_the_page_says_so(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REALTIME_MAX_VOICE_SESSIONS", "1")
    monkeypatch.setenv("REALTIME_ALLOW_PRIVATE_URLS", "1")
    custom(app, f"ws://127.0.0.1:{closed_port()}/v1")
    other = Held()
    app.run()
    assert _slots().start(other, None)
    try:
        app.chat_input[0].set_value("Hello").run()
        app.run()  # the notice shows in the page's polling fragment (every 0.5 s live)
        assert not app.exception
        assert not app.session_state[BRIDGE_KEY].running
        assert "All 1 voice sessions of this app are in use" in shown(app)
    finally:
        other.running = False  # frees its slot for the other tests


def test_the_minutes_limit_stops_the_session_with_a_notice(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REALTIME_MAX_SESSION_MINUTES", "0.01")  # 0.6 s
    monkeypatch.setenv("REALTIME_ALLOW_PRIVATE_URLS", "1")
    custom(app, f"ws://127.0.0.1:{closed_port()}/v1")  # the bridge keeps trying to reconnect
    app.run()
    app.chat_input[0].set_value("Hello").run()
    bridge = app.session_state[BRIDGE_KEY]
    assert bridge.running
    wait_until(lambda: not bridge.running, timeout=5 * S)
    app.run()
    assert "reached this deployment's limit of 0.01 minutes" in shown(app)
    app.chat_input[0].set_value("Again").run()  # not started again in this browser session
    # start_voice refuses before it could start anything (the run above has returned), so
    # no wait is needed to see that it did not start.
    assert "reached this deployment's limit" in app.session_state[REFUSAL_KEY]
    assert not bridge.running


# ---- typed URLs the address policy refuses ------------------------------------------------
def test_a_refused_custom_url_says_why_and_which_setting_allows_it(app: AppTest) -> None:
    custom(app, "ws://127.0.0.1:8765/v1")
    app.run()
    assert not app.exception
    warnings = " ".join(w.value for w in app.sidebar.warning)
    assert "loopback" in warnings and "only public addresses" in warnings
    assert (
        "REALTIME_ALLOW_PRIVATE_URLS=1" in warnings and 'allowed_hosts = ["127.0.0.1"]' in warnings
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("REALTIME_ALLOW_PRIVATE_URLS", "1"), ("REALTIME_ALLOWED_HOSTS", "127.0.0.1")],
)
def test_the_setting_named_lets_the_url_through(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    custom(app, "ws://127.0.0.1:8765/v1")
    app.run()
    assert not app.exception
    assert not any("refused" in w.value for w in app.sidebar.warning)
