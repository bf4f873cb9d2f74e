"""The published snapshot: what the page reads, built on the bridge thread."""

from __future__ import annotations

from realtime.client.core.conversation import Conversation
from realtime.client.core.snapshot import LinkState
from realtime.client.io.mic_queue import MicQueue
from realtime.client.io.publisher import MAX_NOTICES, Publisher
from realtime.client.io.tool_desk import ToolDesk


def publisher() -> tuple[Publisher, Conversation]:
    conv = Conversation()
    return Publisher(conv, ToolDesk(None), MicQueue(), clock=lambda: 7.0), conv


def test_the_snapshot_follows_the_conversation_only_when_published() -> None:
    status, conv = publisher()
    conv.text_turn("hi")
    conv.receive({"type": "response.created", "response": {"id": "r1"}})
    assert status.snapshot().turns == ()
    status.publish()
    snapshot = status.snapshot()
    assert snapshot.response_active and [t.response_id for t in snapshot.turns] == ["r1"]


def test_failing_sets_the_error_state_and_a_notice_and_a_restart_clears_the_error() -> None:
    status, _ = publisher()
    status.fail("the API key was refused")
    snapshot = status.snapshot()
    assert snapshot.state is LinkState.FAILED and snapshot.error == "the API key was refused"
    assert [(n.at, n.level) for n in snapshot.notices] == [(7.0, "error")]
    status.clear_error()
    status.set_state(LinkState.CONNECTING)
    assert status.snapshot().error is None


def test_notices_are_bounded() -> None:
    status, _ = publisher()
    for n in range(MAX_NOTICES + 10):
        status.notice("info", f"notice {n}")
    notices = status.snapshot().notices
    assert len(notices) == MAX_NOTICES and notices[-1].text == f"notice {MAX_NOTICES + 9}"
