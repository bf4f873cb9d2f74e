"""The conversation following MCP: recorded GA turns (written from the SDK's shapes, and checked
against its models here) fed as raw frames, and the approval the user sends back."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.client.core.conversation import Conversation
from realtime.client.core.mcp_items import pending_approvals
from realtime.client.core.values import Item
from realtime.protocol.events import serialize
from tests.fixtures.loader import load_turn
from tests.support.sdk import sdk_client_event, sdk_server_event

TURNS = ("mcp_listing_ga", "mcp_call_ga", "mcp_approval_ga")


def feed(conv: Conversation, lines: list[dict[str, Any]]) -> list[Any]:
    effects: list[Any] = []
    for line in lines:
        if line["dir"] == "server":
            effects += conv.receive_frame(serialize(line["event"]), at=line["t"]).effects
    return effects


def replay(name: str) -> Conversation:
    conv = Conversation()
    feed(conv, load_turn(name))
    return conv


def item(conv: Conversation, item_id: str) -> Item:
    found = conv.items[item_id]
    assert found.mcp is not None
    return found


@pytest.mark.parametrize("name", TURNS)
def test_the_recorded_turns_are_what_the_sdk_defines(name: str) -> None:
    for line in load_turn(name):
        check = sdk_server_event if line["dir"] == "server" else sdk_client_event
        check(line["event"])


@pytest.mark.parametrize("name", TURNS)
def test_no_mcp_event_is_unknown_or_unreadable(name: str) -> None:
    conv = replay(name)
    assert not conv.unknown_events
    assert all(e.type != "protocol_error" for e in conv.errors)


def test_listing_shows_the_tools_found_and_a_failure() -> None:
    conv = replay("mcp_listing_ga")
    found, failed = item(conv, "mcpl_1"), item(conv, "mcpl_2")
    assert (found.type, found.role, found.status) == ("mcp_list_tools", "tool", "completed")
    assert found.mcp is not None and found.mcp.server_label == "docs"
    assert found.mcp.tools == ("search", "fetch")
    assert failed.status == "failed" and failed.mcp is not None
    assert failed.mcp.server_label == "down" and failed.mcp.tools == ()
    assert [e.code for e in conv.errors] == ["mcp_list_tools_failed"]
    assert conv.order == ["mcpl_1", "mcpl_2"]


def test_a_call_shows_its_arguments_result_and_duration() -> None:
    conv = replay("mcp_call_ga")
    call = item(conv, "mcp_c1")
    assert (call.type, call.name, call.status) == ("mcp_call", "search", "completed")
    assert call.text == '{"query":"realtime"}'
    assert call.mcp is not None
    assert call.mcp.server_label == "docs"
    assert call.mcp.output == "Realtime API: speech in, speech out."
    assert call.mcp.error is None
    assert call.mcp.duration_ms == pytest.approx(420.0)  # in_progress 1.35 s, completed 1.77 s
    assert conv.order == ["item_u1", "mcp_c1"]
    assert conv.responses["resp_m1"].status == "completed"
    assert not conv.calls  # no function call: nothing for the app to run


def test_arguments_stream_in_before_the_call_is_done() -> None:
    lines = load_turn("mcp_call_ga")
    conv = Conversation()
    upto = next(i for i, line in enumerate(lines) if "arguments.done" in line["event"]["type"])
    feed(conv, lines[:upto])
    call = item(conv, "mcp_c1")
    assert call.text == '{"query":"realtime"}' and call.status != "completed"
    assert call.mcp is not None and call.mcp.output is None


def test_an_approval_request_waits_for_the_user() -> None:
    lines = load_turn("mcp_approval_ga")
    conv = Conversation()
    feed(conv, [line for line in lines if line["t"] < 2.0])
    request = item(conv, "mcpr_1")
    assert (request.type, request.name) == ("mcp_approval_request", "fetch")
    assert request.text == '{"url":"https://example.com/a"}'
    assert request.mcp is not None and request.mcp.approved is None
    assert pending_approvals(conv) == (request,)
    assert conv.active_response_id is None  # the response that asked has ended


@pytest.mark.parametrize("approve", [True, False])
def test_the_answer_is_one_approval_response_after_the_request(approve: bool) -> None:
    lines = load_turn("mcp_approval_ga")
    conv = Conversation()
    feed(conv, [line for line in lines if line["t"] < 2.0])
    out = conv.mcp_approval("mcpr_1", approve)
    # The server goes on by itself (OpenAI's Agents SDK sends no response.create either).
    (event,) = out.events
    assert event["type"] == "conversation.item.create"
    assert event["previous_item_id"] == "mcpr_1"
    answer = event["item"]
    assert answer["type"] == "mcp_approval_response"
    assert answer["approval_request_id"] == "mcpr_1" and answer["approve"] is approve
    sdk_client_event(event)
    assert item(conv, "mcpr_1").mcp.approved is approve  # type: ignore[union-attr]
    assert pending_approvals(conv) == ()
    assert not conv.mcp_approval("mcpr_1", not approve).events  # a second click sends nothing
    assert not conv.mcp_approval("nope", approve).events
    assert not conv.mcp_approval("item_u1", approve).events  # not an approval request


def test_the_approved_call_that_failed_shows_its_error() -> None:
    conv = replay("mcp_approval_ga")
    assert item(conv, "mcpr_1").mcp.approved is True  # type: ignore[union-attr]
    call = item(conv, "mcp_c2")
    assert call.status == "failed"
    assert call.mcp is not None
    assert call.mcp.error == "tool_execution_error: page not found"
    assert call.mcp.approval_request_id == "mcpr_1"
    assert call.mcp.duration_ms == pytest.approx(300.0)
    echo = conv.items["mcpresp_1"]  # the server's copy of our answer
    assert echo.type == "mcp_approval_response" and echo.role == "tool"


def test_a_hostile_listing_is_bounded_and_odd_fields_do_not_crash() -> None:
    conv = Conversation()
    tools = [{"name": f"t{i}", "input_schema": {}} for i in range(5000)] + ["junk", {"x": 1}]
    conv.receive(
        {
            "type": "conversation.item.done",
            "item": {"id": "l", "type": "mcp_list_tools", "server_label": "s", "tools": tools},
        }
    )
    assert len(item(conv, "l").mcp.tools) == 200  # type: ignore[union-attr]
    conv.receive(
        {
            "type": "conversation.item.done",
            "item": {"id": "c", "type": "mcp_call", "name": "x", "error": "plain", "output": None},
        }
    )
    assert item(conv, "c").mcp.error == "plain"  # type: ignore[union-attr]
    conv.receive({"type": "response.mcp_call.completed"})  # no item_id
    assert conv.errors[-1].type == "protocol_error"
    conv.receive({"type": "response.mcp_call_arguments.delta", "item_id": "c", "delta": "x" * 10})
    assert item(conv, "c").text.endswith("x" * 10)
