"""MCP servers in the session config: what is refused (never echoing a key), the GA tool entry
(golden, checked against the SDK's session model), and beta, which has no MCP."""

from __future__ import annotations

import pytest

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.mcp import McpServer, mcp_tool, secrets
from realtime.client.core.session_update import session_payload
from realtime.protocol.errors import ConfigError
from realtime.protocol.facts import ApiVersion
from tests.fixtures.loader import assert_golden
from tests.support.sdk import sdk_client_event, sdk_session
from tests.support.tool_schemas import TOOLS

KEY = "mcp-key-planted-0123456789"
DOCS = McpServer(
    "docs",
    "https://mcp.example.com/mcp",
    allowed_tools=("search", "fetch"),
    approval="per tool",
    ask_tools=("fetch",),
    trust_tools=("search",),
    headers=(("X-Team", "voice-studio"),),
    authorization=KEY,
)
WIKI = McpServer("wiki", "http://127.0.0.1:8931/mcp", approval="never")


def test_ga_session_carries_each_server_as_an_mcp_tool() -> None:
    config = SessionConfig(provider=Provider.OPENAI, tools=TOOLS[:1], mcp_servers=(DOCS, WIKI))
    payload = session_payload(config)
    assert_golden("session/mcp_ga.json", payload)
    model = sdk_session(payload)
    kinds = [tool.type for tool in model.tools or []]  # type: ignore[attr-defined]
    assert kinds == ["function", "mcp", "mcp"]
    sdk_client_event({"type": "session.update", "session": payload})


def test_the_tool_entry_maps_each_setting_to_its_wire_field() -> None:
    assert mcp_tool(DOCS) == {
        "type": "mcp",
        "server_label": "docs",
        "server_url": "https://mcp.example.com/mcp",
        "allowed_tools": ["search", "fetch"],
        "require_approval": {
            "always": {"tool_names": ["fetch"]},
            "never": {"tool_names": ["search"]},
        },
        "headers": {"X-Team": "voice-studio"},
        "authorization": KEY,
    }
    assert mcp_tool(WIKI) == {
        "type": "mcp",
        "server_label": "wiki",
        "server_url": "http://127.0.0.1:8931/mcp",
        "require_approval": "never",
    }
    assert mcp_tool(McpServer("a", "https://h/"))["require_approval"] == "always"


def test_beta_has_no_mcp_tools() -> None:
    with pytest.raises(ConfigError) as info:
        SessionConfig(provider=Provider.OPENAI, api_version=ApiVersion.BETA, mcp_servers=(WIKI,))
    assert info.value.field == "mcp_servers"
    assert "beta API has no MCP tools" in str(info.value)


def test_the_key_and_headers_stay_out_of_repr_and_are_the_secrets() -> None:
    config = SessionConfig(mcp_servers=(DOCS,))
    assert KEY not in repr(config) and "voice-studio" not in repr(config)
    assert set(secrets((DOCS, WIKI))) == {KEY, "voice-studio"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"label": "1abc"}, "is not a server label"),
        ({"label": "has space"}, "is not a server label"),
        ({"url": "ftp://host/mcp"}, "not an http:// or https:// URL"),
        ({"url": "https://user:pw@host/mcp"}, "not an http:// or https:// URL"),
        ({"url": "https://host:99999/"}, "not an http:// or https:// URL"),
        ({"url": "https:///nohost"}, "not an http:// or https:// URL"),
        ({"url": " https://host/"}, "not an http:// or https:// URL"),
        ({"allowed_tools": ("ok", "bad name")}, "'bad name' is not a tool name"),
        ({"approval": "sometimes"}, "is not an approval choice"),
        ({"approval": "always", "ask_tools": ("x",)}, "only with 'per tool'"),
        ({"approval": "per tool"}, "'per tool' needs tool names"),
        (
            {"approval": "per tool", "ask_tools": ("x",), "trust_tools": ("x",)},
            "both asks and does not ask",
        ),
        ({"headers": (("Bad Name", "v"),)}, "is not a header name"),
        ({"headers": (("A", "1"), ("a", "2"))}, "distinct names"),
    ],
)
def test_a_refused_entry_says_why(changes: dict[str, object], expected: str) -> None:
    fields: dict[str, object] = {"label": "docs", "url": "https://mcp.example.com/mcp"}
    fields.update(changes)
    with pytest.raises(ConfigError) as info:
        McpServer(**fields)  # type: ignore[arg-type]
    assert expected in str(info.value)
    assert info.value.field.startswith("mcp_servers")


@pytest.mark.parametrize(
    "secret", ["two words", "line\nbreak", "tab\there", "", "é-not-ascii-0123456789"]
)
def test_a_bad_key_or_header_value_is_refused_without_being_echoed(secret: str) -> None:
    with pytest.raises(ConfigError) as key_info:
        McpServer("docs", "https://h/", authorization=secret)
    assert "the key was refused" in str(key_info.value)
    if secret:
        assert secret not in str(key_info.value)
    if "\n" in secret or "\t" in secret or "é" in secret:
        with pytest.raises(ConfigError) as header_info:
            McpServer("docs", "https://h/", headers=(("X-Key", secret),))
        assert "header X-Key" in str(header_info.value) and secret not in str(header_info.value)


def test_labels_are_distinct_and_servers_few() -> None:
    with pytest.raises(ConfigError, match="share a label"):
        SessionConfig(mcp_servers=(WIKI, WIKI))
    many = tuple(McpServer(f"s{i}", "https://h/") for i in range(9))
    with pytest.raises(ConfigError, match="9 servers"):
        SessionConfig(mcp_servers=many)
