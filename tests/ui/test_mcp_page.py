"""MCP through Streamlit's AppTest: the sidebar's servers (a refused private URL explained
before anything connects, the key never shown), and the voice page's Approve / Deny buttons
sending the answer over a real socket to a scripted Realtime server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.config import Provider, SessionConfig
from realtime.protocol.facts import ApiVersion
from realtime.ui.mcp_settings import key_widget
from realtime.ui.session import BRIDGE_KEY, CONFIG_KEY, RECORDING_KEY
from realtime.ui.session import key_widget as api_key_widget
from tests.support.approval_server import ApprovalServer
from tests.support.apptest import KEY, open_app, texts
from tests.support.bridge import S, wait_for, wait_until
from tests.support.sdk import sdk_client_event

UNSET = (
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "REALTIME_API_KEY",
    "REALTIME_ALLOW_PRIVATE_URLS",
    "REALTIME_ALLOWED_HOSTS",
)
MCP_KEY = "mcp-key-planted-0123456789abcdef"
PUBLIC = "https://93.184.215.14/mcp"  # a public address literal: checked without DNS


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_app(monkeypatch, UNSET, timeout=30)


def server_fields(app: AppTest, label: str, url: str, key: str | None = None) -> None:
    # AppTest keeps only what app.py draws after st.navigation past the first run, so the
    # sidebar's values are set before it.
    app.session_state["rvs.provider"] = Provider.OPENAI
    app.session_state["rvs.mcp.count"] = 1
    app.session_state["rvs.mcp.0.label"] = label
    app.session_state["rvs.mcp.0.url"] = url
    if key is not None:
        app.session_state[key_widget(url)] = key


def test_a_private_server_url_is_refused_in_the_sidebar_before_anything_connects(
    app: AppTest,
) -> None:
    server_fields(app, "inside", "http://127.0.0.1:8931/mcp")
    app.run()
    assert not app.exception
    errors = [e.value for e in app.sidebar.error]
    assert any(
        "mcp_servers.inside" in e
        and "not allowed here" in e
        and "loopback" in e
        and "REALTIME_ALLOW_PRIVATE_URLS" in e
        for e in errors
    ), errors
    config = app.session_state[CONFIG_KEY] if CONFIG_KEY in app.session_state else None
    assert config is None or not config.mcp_servers  # never sent anywhere


def test_the_deployment_may_allow_it(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REALTIME_ALLOWED_HOSTS", "127.0.0.1")
    server_fields(app, "inside", "http://127.0.0.1:8931/mcp")
    app.run()
    assert not app.exception
    assert not [e.value for e in app.sidebar.error]
    assert [s.label for s in app.session_state[CONFIG_KEY].mcp_servers] == ["inside"]


def test_a_server_with_a_key_goes_into_the_session_and_the_key_never_shows(app: AppTest) -> None:
    server_fields(app, "docs", PUBLIC, key=MCP_KEY)
    app.run()
    assert not app.exception
    config: SessionConfig = app.session_state[CONFIG_KEY]
    (server,) = config.mcp_servers
    assert (server.label, server.url, server.authorization) == ("docs", PUBLIC, MCP_KEY)
    # The password field holds what was typed (the browser shows dots); nothing else shows it.
    shown = texts(app).replace(MCP_KEY, "", 1)
    assert MCP_KEY not in shown and MCP_KEY[-8:] not in shown
    assert "Remote MCP servers" in [n.label for n in app.sidebar.number_input]


def test_a_key_typed_for_one_url_is_not_sent_to_another(app: AppTest) -> None:
    other = "https://93.184.215.15/mcp"
    assert key_widget(other) != key_widget(PUBLIC) == key_widget(f" {PUBLIC} ")
    server_fields(app, "docs", other)
    app.session_state[key_widget(PUBLIC)] = MCP_KEY  # typed while the URL was PUBLIC
    app.run()
    assert not app.exception
    (server,) = app.session_state[CONFIG_KEY].mcp_servers
    assert server.url == other and server.authorization is None


def test_beta_says_it_has_no_mcp(app: AppTest) -> None:
    server_fields(app, "docs", PUBLIC)
    app.session_state["rvs.provider"] = Provider.AZURE
    app.session_state["rvs.api_version"] = ApiVersion.BETA
    app.run()
    assert not app.exception
    assert any("beta API has no MCP tools" in c.value for c in app.sidebar.caption)
    assert "Remote MCP servers" not in [n.label for n in app.sidebar.number_input]
    assert any("beta API has no MCP tools" in c.value for c in app.sidebar.caption)


@pytest.fixture
def approval_server() -> Iterator[ApprovalServer]:
    server = ApprovalServer()
    yield server
    server.stop()


@pytest.mark.parametrize("approve", [True, False])
def test_approve_and_deny_send_the_answer_and_the_server_goes_on(
    app: AppTest, approval_server: ApprovalServer, monkeypatch: pytest.MonkeyPatch, approve: bool
) -> None:
    monkeypatch.setenv("REALTIME_ALLOW_PRIVATE_URLS", "1")  # the scripted server is on loopback
    app.session_state["rvs.provider"] = Provider.CUSTOM
    app.session_state["rvs.base_url"] = approval_server.url
    app.session_state[api_key_widget(Provider.CUSTOM)] = KEY
    app.run()
    assert not app.exception
    app.chat_input[0].set_value("Fetch the page, please.").run()
    bridge = app.session_state[BRIDGE_KEY]
    wait_for(
        bridge,
        lambda s: any(i.type == "mcp_approval_request" for i in s.items) and not s.response_active,
        timeout=10 * S,
    )
    app.run()
    assert not app.exception
    assert "**docs** asks to run **fetch**. Approve?" in texts(app)
    label = "approve" if approve else "deny"
    app.button(key=f"rvs.mcp.{label}.mcpr_1").click().run()
    assert not app.exception

    def answers() -> list[dict[str, object]]:
        created = approval_server.events("conversation.item.create")
        return [e for e in created if e["item"]["type"] == "mcp_approval_response"]

    wait_until(lambda: bool(answers()), what="the answer on the wire")
    (answer,) = answers()
    assert answer["previous_item_id"] == "mcpr_1"
    assert answer["item"]["approval_request_id"] == "mcpr_1"
    assert answer["item"]["approve"] is approve
    sdk_client_event(answer)
    # The server went on by itself: its next response finished, and no response.create was sent.
    wait_for(bridge, lambda s: len([t for t in s.turns if t.done_at]) >= 2)
    assert len(approval_server.events("response.create")) == 1  # the typed turn's only
    snapshot = bridge.snapshot()
    assert any(i.type == "mcp_call" for i in snapshot.items) is approve
    app.run()
    shown = texts(app)
    assert ("Approved" if approve else "Denied") + ": **fetch** on **docs**." in shown
    assert not [b for b in app.button if b.key and b.key.startswith("rvs.mcp.")]
    assert KEY not in app.session_state[RECORDING_KEY].log.to_jsonl()
