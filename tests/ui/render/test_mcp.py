"""What the conversation shows of MCP, from the recorded GA turns fed to a real Conversation:
the tools found or the failure, a call with its arguments, result and duration, an approval
request with its buttons until it is answered; peer text never renders as Markdown."""

from __future__ import annotations

from realtime.client.core.conversation import Conversation
from realtime.client.core.snapshot import Snapshot
from realtime.client.core.values import Item, McpInfo
from realtime.protocol.events import serialize
from realtime.ui.render.conversation import live_drawing
from realtime.ui.render.mcp import mcp_history_line, mcp_parts, plain
from tests.fixtures.loader import load_turn


def conversation(name: str, before: float = 1e9) -> Conversation:
    conv = Conversation()
    for line in load_turn(name):
        if line["dir"] == "server" and line["t"] < before:
            conv.receive_frame(serialize(line["event"]), at=line["t"])
    return conv


def lines_of(conv: Conversation, item_id: str) -> str:
    parts = mcp_parts(conv.items[item_id])
    assert parts is not None
    return " ".join(text for _, text in parts[0])


def test_listing_names_the_tools_found_or_says_it_failed() -> None:
    conv = conversation("mcp_listing_ga")
    assert lines_of(conv, "mcpl_1") == "MCP server **docs**: 2 tools found: search, fetch."
    assert lines_of(conv, "mcpl_2") == "MCP server **down**: listing its tools failed."
    busy = conversation("mcp_listing_ga", before=0.4)
    assert "listing its tools…" in lines_of(busy, "mcpl_1")


def test_a_call_shows_server_tool_duration_arguments_and_result() -> None:
    conv = conversation("mcp_call_ga")
    parts = mcp_parts(conv.items["mcp_c1"])
    assert parts is not None
    (line,), code, approval = parts
    assert line == ("markdown", "Called MCP **search** on **docs** in 420 ms.")
    assert code == ('{\n  "query": "realtime"\n}', "Realtime API: speech in, speech out.")
    assert approval is None
    running = conversation("mcp_call_ga", before=1.5)
    assert lines_of(running, "mcp_c1") == "Calling MCP **search** on **docs**…"


def test_a_failed_call_shows_its_error() -> None:
    conv = conversation("mcp_approval_ga")
    text = lines_of(conv, "mcp_c2")
    why = "tool\\_execution\\_error: page not found"
    assert text == f"MCP **fetch** on **docs** failed in 300 ms: {why}"
    assert mcp_history_line(conv.items["mcp_c2"]).startswith("🛠 MCP **fetch**")


def test_a_pending_request_has_buttons_and_an_answered_one_says_the_answer() -> None:
    conv = conversation("mcp_approval_ga", before=2.0)
    snapshot = Snapshot(items=conv.ordered_items())
    (bubble,) = live_drawing(snapshot, snapshot.items, transcribing=True).bubbles
    assert bubble.approval == "mcpr_1"
    assert bubble.lines == (("markdown", "**docs** asks to run **fetch**. Approve?"),)
    conv.mcp_approval("mcpr_1", False)
    snapshot = Snapshot(items=conv.ordered_items())
    (bubble,) = live_drawing(snapshot, snapshot.items, transcribing=True).bubbles
    assert bubble.approval is None
    assert bubble.lines == (("markdown", "Denied: **fetch** on **docs**."),)


def test_the_answer_item_itself_draws_nothing() -> None:
    conv = conversation("mcp_approval_ga")
    assert mcp_parts(conv.items["mcpresp_1"]) is None


def test_peer_text_is_plain_one_line_and_bounded() -> None:
    assert plain("[click](javascript:x) `code` *b*\n# h") == (
        "\\[click\\]\\(javascript:x\\) \\`code\\` \\*b\\* \\# h"
    )
    assert len(plain("x" * 1000)) == 200
    hostile = Item(
        id="c",
        type="mcp_call",
        role="tool",
        name="![img](http://evil/)",
        mcp=McpInfo(server_label="**s**"),
    )
    text = lines_of_item(hostile)
    assert "![img]" not in text and "\\!\\[img\\]" in text


def lines_of_item(item: Item) -> str:
    parts = mcp_parts(item)
    assert parts is not None
    return parts[0][0][1]
