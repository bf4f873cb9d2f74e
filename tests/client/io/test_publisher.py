"""The published snapshot: what the page reads, built when read after a change."""

from __future__ import annotations

import threading

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


def test_a_snapshot_is_built_when_read_after_a_change_and_not_again_without_one() -> None:
    status, conv = publisher()
    first = status.snapshot()
    assert status.snapshot() is first and status.builds == 0  # nothing changed yet
    for n in range(100):
        with status.changing():
            conv.receive({"type": "response.created", "response": {"id": f"r{n}"}})
    assert status.builds == 0  # changes step the version; nobody has read
    snapshot = status.snapshot()
    assert status.builds == 1 and len(snapshot.turns) == 100 and snapshot.version > first.version
    assert status.snapshot() is snapshot and status.builds == 1
    status.notice("info", "a notice")
    assert status.snapshot() is not snapshot and status.builds == 2


def test_a_reader_never_sees_a_change_half_made() -> None:
    status, conv = publisher()
    stop, seen = threading.Event(), []

    def read() -> None:
        while not stop.is_set():
            snapshot = status.snapshot()  # a change in progress would break the build
            seen.append(len(snapshot.items))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(2000):
            item = {"id": f"u{n}", "type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": f"turn {n}"}]}  # fmt: skip
            with status.changing():
                conv.receive({"type": "conversation.item.added", "item": item})
    finally:
        stop.set()
        reader.join()
    assert seen == sorted(seen) and status.snapshot().items[-1].text == "turn 1999"
