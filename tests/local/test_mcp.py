"""Hosted MCP tools in the engine: a real MCP server on loopback is listed and called over
real sockets, with allowed_tools, approvals, and servers that are down, slow, garbage or
refused by the address policy."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from realtime.local import limits
from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.protocol.address_policy import AddressPolicy
from tests.support.engine_client import QUICK, Client, open_client
from tests.support.engines import instant_engine
from tests.support.mcp_server import garbage_server, mcp_server

LOOPBACK = AddressPolicy(allowed_hosts=frozenset({"127.0.0.1"}))
TEXT = {"type": "realtime", "output_modalities": ["text"]}


def tool(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "mcp", "server_label": "test", "server_url": url, **extra}


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with mcp_server() as url:
        yield url


def engine(policy: AddressPolicy = LOOPBACK) -> Engine:
    return dataclasses.replace(instant_engine(), mcp_policy=policy)


def listed(client: Client, *tools: dict[str, Any], seconds: float = QUICK) -> list[dict[str, Any]]:
    session = client.update(**TEXT, tools=list(tools))
    assert all("authorization" not in t and t.get("headers") is None for t in session["tools"])
    return client.until("conversation.item.done", seconds)


def answer(client: Client, text: str) -> list[dict[str, Any]]:
    client.say(text)
    return client.until("response.done", QUICK * 2)


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def test_tools_are_listed_and_a_named_tool_is_called_and_its_result_said(server_url: str) -> None:
    secret = tool(server_url, require_approval="never", authorization="sk-secret-1")
    secret["headers"] = {"X-Api-Key": "sk-secret-2"}
    with EngineServer(engine=engine()) as srv, open_client(srv.realtime_url()) as client:
        events = listed(client, secret)
        kinds = [e["type"] for e in events][-2:]
        assert kinds == ["mcp_list_tools.completed", "conversation.item.done"]
        item = events[-1]["item"]
        assert item["type"] == "mcp_list_tools" and item["server_label"] == "test"
        assert {t["name"] for t in item["tools"]} == {"get_weather", "add", "explode", "slow"}
        events = answer(client, "Use the get weather tool for Paris")
        done = events[-1]["response"]
        assert done["status"] == "completed"
        call, message = done["output"]
        assert call["type"] == "mcp_call" and json.loads(call["arguments"]) == {"city": "Paris"}
        assert call["output"] == "Sunny in Paris, 21 degrees." and call["error"] is None
        assert "Sunny in Paris" in message["content"][0]["text"]
        kinds = [e["type"] for e in events]
        assert (
            kinds.index("response.mcp_call_arguments.done")
            < kinds.index("response.mcp_call.in_progress")
            < kinds.index("response.mcp_call.completed")
        )
        assert "sk-secret" not in json.dumps(client.events)


def test_a_tool_that_fails_ends_in_a_failed_call_with_its_error(server_url: str) -> None:
    with EngineServer(engine=engine()) as srv, open_client(srv.realtime_url()) as client:
        listed(client, tool(server_url, require_approval="never"))
        events = answer(client, "use the explode tool")
        assert of(events, "response.mcp_call.failed")
        call = events[-1]["response"]["output"][0]
        assert call["error"]["type"] == "tool_execution_error"


def test_allowed_tools_filters_the_listing_and_the_calls(server_url: str) -> None:
    with EngineServer(engine=engine()) as srv, open_client(srv.realtime_url()) as client:
        item = listed(client, tool(server_url, allowed_tools=["add"], require_approval="never"))[-1]
        assert [t["name"] for t in item["item"]["tools"]] == ["add"]
        events = answer(client, "use the get weather tool for Paris")
        assert not of(events, "response.mcp_call.in_progress")
        events = answer(client, "use the add tool with 2 and 3")
        assert events[-1]["response"]["output"][0]["output"] == "5"


@pytest.mark.parametrize("approve", [True, False])
def test_approval_is_asked_then_the_call_proceeds_or_not(server_url: str, approve: bool) -> None:
    with EngineServer(engine=engine()) as srv, open_client(srv.realtime_url()) as client:
        listed(client, tool(server_url, require_approval={"never": {"tool_names": ["add"]}}))
        events = answer(client, "use the get weather tool for Oslo")
        (request,) = events[-1]["response"]["output"]
        assert request["type"] == "mcp_approval_request" and request["name"] == "get_weather"
        assert not of(events, "response.mcp_call.in_progress")
        response = {"type": "mcp_approval_response", "approval_request_id": request["id"]}
        client.send("conversation.item.create", item={**response, "approve": approve})
        events = client.until("response.done", QUICK * 2)
        output = events[-1]["response"]["output"]
        if approve:
            assert output[0]["type"] == "mcp_call"
            assert output[0]["approval_request_id"] == request["id"]
            assert "Sunny in Oslo" in output[1]["content"][0]["text"]
        else:
            assert [o["type"] for o in output] == ["message"]
            assert "won't use the get_weather tool" in output[0]["content"][0]["text"]
        client.send("conversation.item.create", item={**response, "approve": True})
        assert "was answered" in client.error()["message"]


def failure(url: str, policy: AddressPolicy = LOOPBACK, seconds: float = QUICK) -> str:
    with EngineServer(engine=engine(policy)) as srv, open_client(srv.realtime_url()) as client:
        events = listed(client, tool(url), seconds=seconds)
        assert of(events, "mcp_list_tools.failed")
        assert events[-1]["item"]["tools"] == []
        error = client.error()
        assert error["code"] == "mcp_list_tools_failed"
        return str(error["message"])


def test_a_server_that_is_down_fails_the_listing_plainly() -> None:
    with mcp_server() as url:
        pass  # stopped: its port refuses
    assert "cannot connect" in failure(url)


def test_a_garbage_answer_fails_the_listing() -> None:
    with garbage_server() as url:
        assert "did not answer as an MCP server" in failure(url)


def test_a_huge_answer_fails_the_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    with garbage_server(size=3 * limits.MCP_MAX_BYTES) as url:
        assert "larger than" in failure(url)


def test_a_slow_server_fails_within_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from realtime.local import connection

    monkeypatch.setattr(connection, "MCP_CALL_SECONDS", 1.0)
    with mcp_server(delay=5) as url, EngineServer(engine=engine()) as srv:
        with open_client(srv.realtime_url()) as client:
            listed(client, tool(url, require_approval="never"))
            events = answer(client, "use the slow tool")
            call = events[-1]["response"]["output"][0]
            assert "no answer within 1 s" in call["error"]["message"]


def test_a_loopback_url_is_refused_unless_the_deployment_allows_it(server_url: str) -> None:
    message = failure(server_url, AddressPolicy())
    assert "refused" in message and "REALTIME_ALLOW_PRIVATE_URLS" in message


@pytest.mark.parametrize(
    ("bad", "param", "words"),
    [
        ({"server_url": 5}, "server_url", "expected a string"),
        ({"connector_id": "connector_gmail"}, "connector_id", "server_url only"),
        ({"require_approval": "sometimes"}, "require_approval", "'sometimes'"),
        ({"allowed_tools": "add"}, "allowed_tools", "expected an object"),
        ({"headers": {"X-Key": "a\nb"}}, "headers", "one line"),
        ({"colour": 1}, "colour", "Unknown parameter"),
    ],
)
def test_a_bad_mcp_tool_is_refused_in_the_hosted_shape(
    bad: dict[str, Any], param: str, words: str
) -> None:
    with EngineServer(engine=engine()) as srv, open_client(srv.realtime_url()) as client:
        client.send("session.update", session={**TEXT, "tools": [tool("http://x", **bad)]})
        error = client.error()
        assert error["type"] == "invalid_request_error"
        assert error["param"].startswith(f"session.tools[0].{param}")
        assert words in error["message"]
        assert "a\nb" not in json.dumps(error)


def test_a_turn_sent_while_the_tools_are_listed_waits_for_them() -> None:
    # The listing takes 0.3 s; the turn comes at once, before it ends, and may still call.
    with (
        mcp_server(list_delay=0.3) as url,
        EngineServer(engine=engine()) as srv,
        open_client(srv.realtime_url()) as client,
    ):
        client.send("session.update", session={**TEXT, "tools": [tool(url)]})
        client.say("use the get weather tool for Rome")
        events = client.until("response.done", QUICK * 2)
        kinds = [e["type"] for e in events]
        assert kinds.index("response.created") < kinds.index("mcp_list_tools.completed")
        (request,) = events[-1]["response"]["output"]
        assert request["type"] == "mcp_approval_request" and request["name"] == "get_weather"
        assert json.loads(request["arguments"]) == {"city": "Rome"}


def test_a_response_waiting_for_a_server_removed_meanwhile_goes_on_without_it() -> None:
    with (
        mcp_server(list_delay=2.0) as url,
        EngineServer(engine=engine()) as srv,
        open_client(srv.realtime_url()) as client,
    ):
        client.send("session.update", session={**TEXT, "tools": [tool(url)]})
        client.say("use the get weather tool for Rome")
        client.until("response.created")
        client.send("session.update", session={"type": "realtime", "tools": []})
        events = client.until("response.done", QUICK)
        assert not of(events, "mcp_list_tools.completed")
        assert events[-1]["response"]["output"][0]["type"] == "message"


def test_request_urls_never_reach_the_log_at_info() -> None:
    # httpx2 logs each request's URL at INFO; a key in a server_url's query would follow it.
    import logging

    import realtime.local.mcp.transport  # noqa: F401 - importing it sets the level

    assert not logging.getLogger("httpx2").isEnabledFor(logging.INFO)
