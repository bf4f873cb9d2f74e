"""The engine takes a client's replay as the hosted API does: assistant text, function calls and
outputs with client-chosen ids, GA and beta; retrieve returns them; responders read them."""

from __future__ import annotations

import pytest

from realtime.client.core.replay import build_replay
from realtime.client.core.values import Item
from realtime.local.session.beta import beta_event
from realtime.local.session.jobs import Respond
from realtime.local.session.server_session import ServerSession
from realtime.local.stages.responders.rules import RuleBasedResponder
from realtime.protocol.facts import ApiVersion

TOOLS = [{"type": "function", "name": "get_local_time", "parameters": {"type": "object"}}]
CONVERSATION = (
    Item("item_u1", text="What time is it in Tokyo?"),
    Item(
        "item_f1",
        type="function_call",
        role="tool",
        text='{"place": "Tokyo"}',
        call_id="call_1",
        name="get_local_time",
    ),
    Item(
        "item_o1",
        type="function_call_output",
        role="tool",
        text='{"place": "Tokyo", "time": "09:30", "timezone": "Asia/Tokyo"}',
        call_id="call_1",
    ),
)
ANSWER = Item("item_a1", role="assistant", text="It is nine thirty in Tokyo.", audio_ms=2000.0)


@pytest.mark.parametrize("version", list(ApiVersion))
def test_a_replayed_conversation_is_held_with_its_ids_and_read_by_the_responder(
    version: ApiVersion,
) -> None:
    session = ServerSession(version=version)
    session.start()
    session.receive({"type": "session.update", "session": _tools(version)})
    replay = build_replay((*CONVERSATION, ANSWER), version)
    for event in replay.events:
        out = session.receive(event)
        assert [e["type"] for e in out.events] == [
            "conversation.item.added",
            "conversation.item.done",
        ]
    for item_id in replay.item_ids:
        (retrieved,) = session.receive(
            {"type": "conversation.item.retrieve", "item_id": item_id}
        ).events
        assert retrieved["type"] == "conversation.item.retrieved"
        assert retrieved["item"]["id"] == item_id
    answer = session.receive({"type": "conversation.item.retrieve", "item_id": "item_a1"}).events
    wire = beta_event(answer[0]) if version is ApiVersion.BETA else answer[0]
    assert wire is not None
    kind = "text" if version is ApiVersion.BETA else "output_text"
    assert wire["item"]["content"] == [{"type": kind, "text": "It is nine thirty in Tokyo."}]
    # Without the answer the replay ends on the tool's output: the responder speaks from it.
    fresh = ServerSession(version=version)
    fresh.start()
    fresh.receive({"type": "session.update", "session": _tools(version)})
    for event in build_replay(CONVERSATION, version).events:
        fresh.receive(event)
    (job,) = [j for j in fresh.receive({"type": "response.create"}).jobs if isinstance(j, Respond)]
    assert [m.type for m in job.request.messages] == [
        "message",
        "function_call",
        "function_call_output",
    ]
    assert "9:30" in RuleBasedResponder().respond(job.request).text


def _tools(version: ApiVersion) -> dict[str, object]:
    session: dict[str, object] = {"tools": TOOLS}
    if version is ApiVersion.GA:
        session["type"] = "realtime"
    return session
