"""MCP end to end: a real MCP server on loopback, the bundled engine as its client (instant
stages, its address policy from its environment) and a real Bridge whose session carries the
server. The snapshot shows the listing, the call with its arguments and result, approval
requests answered through ``Bridge.mcp_approval``, and a server that is down, in words."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from realtime.client.core.mcp import McpServer
from realtime.client.core.snapshot import Snapshot
from realtime.client.core.values import Item
from realtime.client.io.bridge import Bridge
from realtime.local.server import EngineServer
from tests.support.bridge import S, assistant_texts, config_for, finished, wait_for
from tests.support.engines import instant_engine
from tests.support.mcp_server import mcp_server

MCP_KEY = "mcp-key-e2e-0123456789abcdef"
ASK = "use the get weather tool for Paris"


@pytest.fixture(scope="module")
def mcp_url() -> Iterator[str]:
    with mcp_server() as url:
        yield url


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineServer]:
    """The engine, allowed to reach the loopback MCP server by its environment (read when the
    engine is built), as the app's engine child is by the deployment's settings."""
    monkeypatch.delenv("REALTIME_ALLOW_PRIVATE_URLS", raising=False)
    monkeypatch.setenv("REALTIME_ALLOWED_HOSTS", "127.0.0.1")
    with EngineServer(engine=instant_engine()) as server:
        yield server


def of(snapshot: Snapshot, kind: str) -> list[Item]:
    return [i for i in snapshot.items if i.type == kind]


def listed(snapshot: Snapshot) -> bool:
    return any(i.status in ("completed", "failed") for i in of(snapshot, "mcp_list_tools"))


def start(
    make_bridge: Callable[..., Bridge], local: EngineServer, server: McpServer, **changes: object
) -> tuple[Bridge, Snapshot]:
    # The instant engine speaks with the hosted voices (its silent synthesizer has no "joe").
    config = config_for(local.url, voice="alloy", mcp_servers=(server,), **changes)
    bridge = make_bridge(config)
    return bridge, wait_for(bridge, listed, timeout=15 * S)


def test_a_typed_turn_naming_a_tool_lists_calls_and_says_the_result(
    make_bridge: Callable[..., Bridge], local: EngineServer, mcp_url: str
) -> None:
    server = McpServer(
        "weather",
        mcp_url,
        approval="never",
        headers=(("X-Team", "voice"),),
        authorization=MCP_KEY,
    )
    bridge, snapshot = start(make_bridge, local, server)
    (listing,) = of(snapshot, "mcp_list_tools")
    assert listing.status == "completed"
    assert listing.mcp is not None and listing.mcp.server_label == "weather"
    assert set(listing.mcp.tools) == {"get_weather", "add", "explode", "slow"}
    (echoed,) = [t for t in snapshot.session["tools"] if t.get("type") == "mcp"]
    assert "authorization" not in echoed and echoed.get("headers") is None
    assert MCP_KEY not in json.dumps(snapshot.session)

    bridge.send_text(ASK)
    snapshot = wait_for(bridge, finished(1), timeout=15 * S)
    (call,) = of(snapshot, "mcp_call")
    assert (call.name, call.status) == ("get_weather", "completed")
    assert json.loads(call.text) == {"city": "Paris"}
    assert call.mcp is not None and call.mcp.server_label == "weather"
    assert call.mcp.output == "Sunny in Paris, 21 degrees."
    assert call.mcp.error is None and call.mcp.approval_request_id is None
    assert call.mcp.duration_ms is not None and call.mcp.duration_ms >= 0
    assert not of(snapshot, "mcp_approval_request")
    (said,) = [i for i in snapshot.items if i.role == "assistant"]
    assert "Sunny in Paris, 21 degrees." in said.text
    assert said.audio_ms > 0  # spoken too: the session's default modalities are audio + text
    order = [i.type for i in snapshot.items]
    assert order.index("mcp_call") < order.index("message", order.index("mcp_call"))
    assert not [n for n in snapshot.notices if n.level == "error"]


def test_a_failing_tool_shows_its_error(
    make_bridge: Callable[..., Bridge], local: EngineServer, mcp_url: str
) -> None:
    server = McpServer("weather", mcp_url, approval="never")
    bridge, _ = start(make_bridge, local, server, output_modalities=("text",))
    bridge.send_text("use the explode tool")
    snapshot = wait_for(bridge, finished(1), timeout=15 * S)
    (call,) = of(snapshot, "mcp_call")
    assert (call.name, call.status) == ("explode", "failed")
    assert call.mcp is not None and call.mcp.output is None
    assert call.mcp.error is not None and "tool_execution_error" in call.mcp.error
    assert "Error executing tool explode" in call.mcp.error  # the MCP server's own words
    assert assistant_texts(snapshot)


def asked(snapshot: Snapshot) -> bool:
    return bool(of(snapshot, "mcp_approval_request")) and not snapshot.response_active


@pytest.mark.parametrize("approve", [True, False])
def test_approval_is_asked_then_the_answer_decides(
    make_bridge: Callable[..., Bridge], local: EngineServer, mcp_url: str, approve: bool
) -> None:
    server = McpServer("weather", mcp_url, approval="always")
    bridge, _ = start(make_bridge, local, server, output_modalities=("text",))
    bridge.send_text(ASK)
    snapshot = wait_for(bridge, asked, timeout=15 * S)
    (request,) = of(snapshot, "mcp_approval_request")
    assert request.name == "get_weather" and json.loads(request.text) == {"city": "Paris"}
    assert request.mcp is not None and request.mcp.server_label == "weather"
    assert request.mcp.approved is None
    assert not of(snapshot, "mcp_call")  # nothing runs before the answer

    bridge.mcp_approval(request.id, approve)
    snapshot = wait_for(bridge, finished(2), timeout=15 * S)
    (request,) = of(snapshot, "mcp_approval_request")
    assert request.mcp is not None and request.mcp.approved is approve
    (answer,) = of(snapshot, "mcp_approval_response")
    assert answer.mcp is not None and answer.mcp.approved is approve
    said = assistant_texts(snapshot)
    if approve:
        (call,) = of(snapshot, "mcp_call")
        assert (call.name, call.status) == ("get_weather", "completed")
        assert call.mcp is not None and call.mcp.output == "Sunny in Paris, 21 degrees."
        assert call.mcp.approval_request_id == request.id
        assert any("Sunny in Paris" in text for text in said)
    else:
        assert not of(snapshot, "mcp_call")
        assert said == ["All right, I won't use the get_weather tool."]
    # A second click sends nothing: no third response, no second answer.
    bridge.mcp_approval(request.id, not approve)
    bridge.send_text("thanks")
    snapshot = wait_for(bridge, finished(3), timeout=15 * S)
    assert len(of(snapshot, "mcp_approval_response")) == 1
    assert len(of(snapshot, "mcp_call")) == int(approve)
    assert not [n for n in snapshot.notices if n.level == "error"]


def test_a_server_that_is_down_fails_the_listing_in_words(
    make_bridge: Callable[..., Bridge], local: EngineServer
) -> None:
    with mcp_server() as url:
        pass  # stopped: its port refuses
    bridge, _ = start(make_bridge, local, McpServer("gone", url), output_modalities=("text",))
    snapshot = wait_for(bridge, lambda s: listed(s) and bool(s.notices), 5 * S)
    (listing,) = of(snapshot, "mcp_list_tools")
    assert listing.status == "failed"
    assert listing.mcp is not None and listing.mcp.tools == ()
    words = [n.text for n in snapshot.notices]
    assert any("Listing the tools of MCP server 'gone' failed" in w for w in words), words
    assert any("cannot connect" in w for w in words), words


def test_allowed_tools_and_approval_per_tool_pass_through_the_engine(
    make_bridge: Callable[..., Bridge], local: EngineServer, mcp_url: str
) -> None:
    server = McpServer(
        "calc",
        mcp_url,
        allowed_tools=("add", "get_weather"),
        approval="per tool",
        ask_tools=("get_weather",),
        trust_tools=("add",),
    )
    bridge, snapshot = start(make_bridge, local, server, output_modalities=("text",))
    (listing,) = of(snapshot, "mcp_list_tools")
    assert listing.mcp is not None and set(listing.mcp.tools) == {"add", "get_weather"}
    bridge.send_text("use the add tool with 2 and 3")
    snapshot = wait_for(bridge, finished(1), timeout=15 * S)
    (call,) = of(snapshot, "mcp_call")  # trusted: no request first
    assert call.name == "add" and json.loads(call.text) == {"a": 2, "b": 3}
    assert call.mcp is not None and call.mcp.output == "5"
    assert not of(snapshot, "mcp_approval_request")
    bridge.send_text(ASK)  # this one asks
    snapshot = wait_for(bridge, lambda s: asked(s) and finished(2)(s), timeout=15 * S)
    (request,) = of(snapshot, "mcp_approval_request")
    assert request.name == "get_weather"
    bridge.send_text("use the explode tool")  # not allowed: never called
    snapshot = wait_for(bridge, finished(3), timeout=15 * S)
    assert [c.name for c in of(snapshot, "mcp_call")] == ["add"]


def test_a_server_added_mid_session_is_listed_then_called(
    make_bridge: Callable[..., Bridge], local: EngineServer, mcp_url: str
) -> None:
    config = config_for(local.url, voice="alloy", output_modalities=("text",))
    bridge = make_bridge(config)
    wait_for(bridge, lambda s: bool(s.session), timeout=10 * S)
    server = McpServer("weather", mcp_url, approval="never")
    bridge.update_session(config.replace(mcp_servers=(server,)))
    wait_for(bridge, listed, timeout=15 * S)
    bridge.send_text(ASK)
    snapshot = wait_for(bridge, finished(1), timeout=15 * S)
    assert snapshot.reconnects == 0  # a live session.update, not a new connection
    (call,) = of(snapshot, "mcp_call")
    assert call.mcp is not None and call.mcp.output == "Sunny in Paris, 21 degrees."


def test_a_turn_typed_before_the_listing_ends_still_calls_the_tool(
    make_bridge: Callable[..., Bridge], local: EngineServer
) -> None:
    with mcp_server(list_delay=0.3) as url:
        server = McpServer("weather", url, approval="never")
        config = config_for(
            local.url, voice="alloy", output_modalities=("text",), mcp_servers=(server,)
        )
        bridge = make_bridge(config)
        bridge.send_text(ASK)  # at once: the engine waits for the tools it is listing
        snapshot = wait_for(bridge, finished(1), timeout=15 * S)
    (call,) = of(snapshot, "mcp_call")
    assert call.mcp is not None and call.mcp.output == "Sunny in Paris, 21 degrees."
    assert any("Sunny in Paris" in text for text in assistant_texts(snapshot))
