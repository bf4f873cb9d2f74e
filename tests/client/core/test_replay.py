"""The replay builder: the conversation so far as item-create events, GA and beta, bounded."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.client.core.conversation import Conversation
from realtime.client.core.replay import ReplayBudget, build_replay, heard_text
from realtime.client.core.values import Item
from realtime.protocol.events import Event, serialize
from realtime.protocol.facts import ApiVersion
from tests.fixtures.loader import assert_golden, load_turn

CONVERSATION = (
    Item("item_s1", role="system", text="The user is called Ada.", status="completed"),
    Item("item_u1", text="What time is it in Tokyo?", status="completed"),
    Item(
        "item_f1",
        type="function_call",
        role="tool",
        text='{"place": "Tokyo"}',
        call_id="call_1",
        name="get_local_time",
        status="completed",
    ),
    Item(
        "item_o1",
        type="function_call_output",
        role="tool",
        text='{"time": "09:30"}',
        call_id="call_1",
        status="completed",
    ),
    # Heard in full.
    Item("item_a1", role="assistant", text="It is 9:30 in Tokyo.", audio_ms=1500.0),
    Item("item_u2", text="", status="completed"),  # spoken, never transcribed: nothing to carry
    Item("item_u3", text="Tell me about Kyoto.", status="completed"),
    # Barge-in after 1.0 s of 4.0 s: the server gave no text, the share heard is estimated.
    Item(
        "item_a2",
        role="assistant",
        text="Kyoto was the capital for a thousand years and has many temples.",
        audio_ms=4000.0,
        truncated_at_ms=1000,
    ),
    # A drop cut it: the bridge kept what was heard.
    Item(
        "item_a3",
        role="assistant",
        text="The best season",
        heard="The best season",
        status="incomplete",
        audio_ms=900.0,
        truncated_at_ms=700,
    ),
)


def _without_event_ids(events: tuple[Event, ...]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "event_id"} for e in events]


@pytest.mark.parametrize("version", list(ApiVersion))
def test_replay_payloads_match_the_golden_files(version: ApiVersion) -> None:
    replay = build_replay(CONVERSATION, version)
    assert_golden(f"replay/{version.value}.json", _without_event_ids(replay.events))
    assert len({e["event_id"] for e in replay.events}) == len(replay.events)
    assert replay.item_ids == tuple(i.id for i in CONVERSATION if i.id != "item_u2")
    assert replay.notice == "Reconnected: 8 earlier items carried over"


def test_assistant_text_is_what_was_heard() -> None:
    assert heard_text(CONVERSATION[7]) == "Kyoto was the"  # 16 of 64 characters
    assert heard_text(CONVERSATION[4]) == "It is 9:30 in Tokyo."


def test_the_budget_drops_the_oldest_and_never_splits_a_call_from_its_output() -> None:
    replay = build_replay(CONVERSATION, ApiVersion.GA, ReplayBudget(max_items=5))
    # The five newest would start at the output of call_1: without its call it is left out.
    assert replay.item_ids == ("item_a1", "item_u3", "item_a2", "item_a3")
    assert replay.left_out == 4
    assert replay.notice == "Reconnected: 4 earlier items carried over (4 older ones left out)"
    by_chars = build_replay(CONVERSATION, ApiVersion.GA, ReplayBudget(max_chars=60))
    assert by_chars.item_ids == ("item_u3", "item_a2", "item_a3")
    assert sum(len(e["item"]["content"][0]["text"]) for e in by_chars.events) <= 60


def test_a_call_cut_off_before_its_output_is_not_carried() -> None:
    unanswered = (*CONVERSATION[:3], CONVERSATION[6])
    replay = build_replay(unanswered, ApiVersion.GA)
    assert replay.item_ids == ("item_s1", "item_u1", "item_u3")
    assert replay.left_out == 0


def test_the_echoes_of_a_replay_leave_the_transcript_as_it_was() -> None:
    conv = Conversation()
    for line in load_turn("barge_in_ga"):
        if line["dir"] == "server":
            conv.receive_frame(serialize(line["event"]), at=line["t"])
    before = conv.ordered_items()
    replay = conv.replay(ApiVersion.GA)
    assert replay.item_ids
    # The server echoes each item as created (heard text, completed), in its own order.
    for event in reversed(replay.events):
        item = {**event["item"], "status": "completed", "object": "realtime.item"}
        conv.receive({"type": "conversation.item.added", "event_id": "e", "item": item})
        conv.receive({"type": "conversation.item.done", "event_id": "e", "item": item})
        conv.receive({"type": "conversation.item.retrieved", "event_id": "e", "item": item})
    assert conv.ordered_items() == before
