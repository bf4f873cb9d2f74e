"""MCP through the voice page with AppTest, end to end: the sidebar's server goes through the
deployment's address policy into the session, the bundled engine (instant stages, on a loopback
port, reached as a custom URL) lists a real MCP server's tools and asks before a call, and the
page's Approve / Deny buttons decide: the call and its result, or no call and the engine's
sentence. A server that is down shows its listing failed, in words."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.config import Provider
from realtime.local.server import EngineServer
from realtime.ui.mcp_settings import key_widget
from realtime.ui.session import BRIDGE_KEY, RECORDING_KEY
from realtime.ui.session import key_widget as api_key_widget
from tests.support.apptest import KEY, open_app, texts
from tests.support.bridge import S, finished, wait_for
from tests.support.engines import instant_engine
from tests.support.mcp_server import mcp_server

UNSET = (
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "REALTIME_API_KEY",
    "REALTIME_ALLOW_PRIVATE_URLS",
)
MCP_KEY = "mcp-key-page-0123456789abcdef"


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    with mcp_server() as url:
        yield url


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineServer]:
    # One deployment setting lets the app reach the engine and the engine reach the MCP server:
    # both read REALTIME_ALLOWED_HOSTS (the engine when it is built, here).
    monkeypatch.setenv("REALTIME_ALLOWED_HOSTS", "127.0.0.1")
    with EngineServer(engine=instant_engine(), api_key=KEY) as server:
        yield server


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, local: EngineServer) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, UNSET, timeout=30)  # its bridge stops before the engine


def open_page(app: AppTest, local: EngineServer, mcp_url: str, label: str = "weather") -> None:
    # AppTest keeps only what app.py draws after st.navigation past the first run, so the
    # sidebar's values are set before it.
    app.session_state["rvs.provider"] = Provider.CUSTOM
    app.session_state["rvs.base_url"] = local.url
    app.session_state[api_key_widget(Provider.CUSTOM)] = KEY
    app.session_state["rvs.voice"] = "alloy"
    app.session_state["rvs.mcp.count"] = 1
    app.session_state["rvs.mcp.0.label"] = label
    app.session_state["rvs.mcp.0.url"] = mcp_url
    app.session_state["rvs.mcp.0.approval"] = "always"
    app.session_state[key_widget(mcp_url)] = MCP_KEY
    app.run()
    assert not app.exception
    assert not [e.value for e in app.sidebar.error]


@pytest.mark.parametrize("approve", [True, False])
def test_approve_and_deny_on_the_page_decide_the_engine_s_call(
    app: AppTest, local: EngineServer, mcp_url: str, approve: bool
) -> None:
    open_page(app, local, mcp_url)
    app.chat_input[0].set_value("use the get weather tool for Paris").run()
    assert not app.exception
    bridge = app.session_state[BRIDGE_KEY]
    snapshot = wait_for(
        bridge,
        lambda s: any(i.type == "mcp_approval_request" for i in s.items) and finished(1)(s),
        timeout=15 * S,
    )
    (request,) = [i for i in snapshot.items if i.type == "mcp_approval_request"]
    app.run()
    assert not app.exception
    shown = texts(app)
    assert "MCP server **weather**: 4 tools found: get\\_weather, add, explode, slow." in shown
    assert "**weather** asks to run **get\\_weather**. Approve?" in shown
    label = "approve" if approve else "deny"
    app.button(key=f"rvs.mcp.{label}.{request.id}").click().run()
    assert not app.exception

    snapshot = wait_for(bridge, finished(2), timeout=15 * S)
    app.run()
    assert not app.exception
    shown = texts(app)
    assert ("Approved" if approve else "Denied") + ": **get\\_weather** on **weather**." in shown
    assert not [b for b in app.button if b.key and b.key.startswith("rvs.mcp.")]
    calls = [i for i in snapshot.items if i.type == "mcp_call"]
    if approve:
        assert "Called MCP **get\\_weather** on **weather** in " in shown
        code = [str(c.value) for c in app.get("code")]
        assert json.dumps({"city": "Paris"}, indent=2) in code
        assert "Sunny in Paris, 21 degrees." in code
        assert "Sunny in Paris, 21 degrees." in shown  # the engine said it
        assert [c.mcp.approval_request_id for c in calls if c.mcp] == [request.id]
    else:
        assert not calls and "Called MCP" not in shown
        assert "All right, I won't use the get_weather tool." in shown  # the engine's sentence
    log = app.session_state[RECORDING_KEY].log.to_jsonl()
    assert KEY not in log and MCP_KEY not in log
    assert MCP_KEY not in shown


def test_a_server_that_is_down_shows_its_listing_failed_in_words(
    app: AppTest, local: EngineServer
) -> None:
    with mcp_server() as url:
        pass  # stopped: its port refuses
    open_page(app, local, url, label="gone")
    app.chat_input[0].set_value("hello").run()  # the session starts with the first turn
    bridge = app.session_state[BRIDGE_KEY]
    wait_for(
        bridge,
        lambda s: any(i.status == "failed" for i in s.items) and bool(s.notices),
        timeout=15 * S,
    )
    app.run()
    assert not app.exception
    shown = texts(app)
    assert "MCP server **gone**: listing its tools failed." in shown
    assert "Listing the tools of MCP server 'gone' failed" in shown and "cannot connect" in shown
