"""The voice page's conversation through Streamlit's AppTest: an unchanged snapshot costs no
rendering work, and a long conversation draws a bounded number of bubbles per rerun.

The script below is the page's drawing of the conversation (``render_history`` in the full
run, ``render_live`` in a fragment) over a real ``Publisher``. AppTest cannot fire a fragment's
``run_every``; a full run calls the fragment's body the same way, so the counts hold for both."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from realtime.client.core.conversation import Conversation
from realtime.client.io.link import BUSY
from realtime.client.io.mic_queue import MicQueue
from realtime.client.io.publisher import Publisher
from realtime.client.io.tool_desk import ToolDesk
from realtime.ui.render import conversation as render
from realtime.ui.render.conversation import LIVE_KEEP, LIVE_MAX


def page() -> None:
    import streamlit as st

    from realtime.ui.render.conversation import render_history, render_live
    from realtime.ui.session import conversation_view

    publisher = st.session_state["publisher"]
    view = conversation_view()
    render_history(publisher.snapshot(), view)

    @st.fragment
    def live() -> None:
        render_live(publisher.snapshot(), view)

    live()


def say(publisher: Publisher, conv: Conversation, turns: int, start: int = 0) -> None:
    """``turns`` questions and answers, as the server would create them."""
    for n in range(start, start + turns):
        user = {"type": "input_text", "text": f"question {n}"}
        answer = {"type": "output_audio", "transcript": f"answer {n}"}
        for item_id, role, content in (("u", "user", user), ("a", "assistant", answer)):
            item = {"id": f"{item_id}{n}", "type": "message", "role": role,
                    "status": "completed", "content": [content]}  # fmt: skip
            with publisher.changing():
                conv.receive({"type": "conversation.item.added", "item": item})


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each call of the live renderer worked on."""
    calls: list[int] = []
    real: Callable[..., Any] = render.live_drawing

    def counting(snapshot: Any, items: tuple[Any, ...], **kwargs: Any) -> Any:
        calls.append(len(items))
        return real(snapshot, items, **kwargs)

    monkeypatch.setattr(render, "live_drawing", counting)
    return calls


def app_with(
    turns: int, script: Callable[[], None] = page
) -> tuple[AppTest, Publisher, Conversation]:
    conv = Conversation()
    publisher = Publisher(conv, ToolDesk(None), MicQueue(), clock=lambda: 0.0)
    say(publisher, conv, turns)
    at = AppTest.from_function(script, default_timeout=30)
    at.session_state["publisher"] = publisher
    return at, publisher, conv


def bubbles(at: AppTest) -> list[str]:
    return [str(b.markdown[0].value) for b in at.get("chat_message")]


def test_a_rerun_with_an_unchanged_snapshot_does_no_rendering_work(counted: list[int]) -> None:
    at, publisher, conv = app_with(3)
    at.run()
    assert not at.exception and counted == [6]
    first = bubbles(at)
    at.run()
    at.run()
    assert counted == [6] and bubbles(at) == first  # drawn again, from what was worked out
    say(publisher, conv, 1, start=3)
    at.run()
    assert counted == [6, 8] and bubbles(at)[-1] == "answer 3"


def test_a_thousand_turns_draw_a_bounded_number_of_bubbles(counted: list[int]) -> None:
    at, publisher, conv = app_with(1000)
    at.run()
    assert not at.exception
    assert counted == [LIVE_KEEP] and len(bubbles(at)) == LIVE_KEEP
    assert bubbles(at)[-1] == "answer 999"
    (history,) = at.expander
    assert history.label == f"Earlier in this conversation ({2000 - LIVE_KEEP} items)"
    assert "**You:** question 0" in history.markdown[0].value
    # Live turns pile up between full runs, never past LIVE_MAX bubbles.
    say(publisher, conv, LIVE_MAX, start=1000)
    at.run()
    assert counted[-1] <= LIVE_MAX and len(bubbles(at)) <= LIVE_MAX
    assert bubbles(at)[-1] == f"answer {999 + LIVE_MAX}"


def page_with_an_expander_below() -> None:
    import streamlit as st

    from tests.ui.render.test_conversation_view import page

    page()
    with st.expander("Export the conversation"):
        st.write("files")


def test_what_follows_the_conversation_keeps_its_place_when_the_history_appears() -> None:
    # The browser keeps an expander open by its place in the page: the history taking a new
    # place once the conversation grew past LIVE_KEEP closed an open "Export" expander below.
    at, publisher, conv = app_with(1, page_with_an_expander_below)

    def place() -> int:
        at.run()
        assert not at.exception
        children = at.main.children.items()
        (index,) = [
            i for i, node in children if getattr(node, "label", "") == "Export the conversation"
        ]
        return index

    before = place()
    say(publisher, conv, LIVE_KEEP, start=1)
    assert place() == before and at.expander[0].label.startswith("Earlier in this conversation")


def test_past_live_max_the_view_asks_for_a_full_run() -> None:
    conv = Conversation()
    publisher = Publisher(conv, ToolDesk(None), MicQueue(), clock=lambda: 0.0)
    view = render.ConversationView(history_len=0)
    say(publisher, conv, LIVE_MAX // 2)
    assert not view.history_due(publisher.snapshot())
    say(publisher, conv, 1, start=LIVE_MAX // 2)
    snapshot = publisher.snapshot()
    assert view.history_due(snapshot) and len(view.live_items(snapshot)) == LIVE_MAX


def test_a_full_server_shows_as_one_plain_sentence() -> None:
    at, publisher, _ = app_with(0)
    publisher.fail(BUSY)
    at.run()
    assert [e.value for e in at.error] == ["All voices are busy; try again in a minute."]
    assert not at.info and not at.warning  # once, not again as a notice


def test_a_tool_calls_expander_keeps_its_key_when_a_notice_comes_above_it() -> None:
    # The browser keeps a keyed expander open when what is above it changes; an unkeyed one
    # snapped shut (a notice above it moved it; CI's browser test read no tool result).
    at, publisher, conv = app_with(0)
    hostile = 'c2"><script>' + "x" * 5000  # the server's id: any length, any characters
    for item_id in ("c1", hostile):
        item = {"id": item_id, "type": "function_call", "name": "get_local_time",
                "call_id": item_id[:8], "arguments": "{}", "status": "completed"}  # fmt: skip
        with publisher.changing():
            conv.receive({"type": "conversation.item.added", "item": item})
    at.run()
    assert not at.exception
    keys = [expander.key for expander in at.expander]
    assert len(keys) == 2 and len(set(keys)) == 2
    assert all(re.fullmatch(r"item-[0-9a-f]{16}", str(key)) for key in keys)
    publisher.notice("warning", "The microphone went quiet.")
    at.run()
    assert at.warning and [expander.key for expander in at.expander] == keys
