"""Conversation items through the session (``realtime.local.session.items``): create, delete,
retrieve, ordering, truncation, and the call a ``function_call_output`` answers."""

from __future__ import annotations

import base64

from realtime.protocol.pcm import bytes_for_ms
from tests.support.session import SessionHarness, error_of


def test_truncate_trims_audio_and_transcript() -> None:
    h = SessionHarness()
    h.text_turn("Hello")
    h.speak("One two three four.", "Five six seven eight.", ms=500)
    item_id = h.session.history.ordered()[-1].id
    outcome = h.send(
        "conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=500
    )
    assert outcome.events[0] == {
        **outcome.events[0],
        "type": "conversation.item.truncated",
        "item_id": item_id,
        "audio_end_ms": 500,
    }
    h.send("conversation.item.retrieve", item_id=item_id)
    part = h.last("conversation.item.retrieved")["item"]["content"][0]
    assert len(base64.b64decode(part["audio"])) == bytes_for_ms(500)
    assert part["transcript"] == "One two three four."  # half the audio, half the words
    too_long = error_of(
        h.send("conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=900)
    )
    assert (too_long["code"], too_long["param"]) == ("invalid_value", "audio_end_ms")
    user = h.session.history.ordered()[0].id
    wrong = error_of(
        h.send("conversation.item.truncate", item_id=user, content_index=0, audio_end_ms=0)
    )
    assert wrong["param"] == "item_id"
    assert (
        error_of(
            h.send("conversation.item.truncate", item_id="item_x", content_index=0, audio_end_ms=0)
        )["param"]
        == "item_id"
    )
    conv = h.conversation()
    assert conv.items[item_id].truncated_at_ms == 500


def test_item_create_delete_retrieve_and_ordering() -> None:
    h = SessionHarness()
    first = {
        "id": "item_a",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "a"}],
    }
    assert h.types(h.send("conversation.item.create", item=first)) == [
        "conversation.item.added",
        "conversation.item.done",
    ]
    root = {**first, "id": "item_b"}
    added = h.send("conversation.item.create", item=root, previous_item_id="root")
    assert added.events[0]["previous_item_id"] is None
    assert [i.id for i in h.session.history.ordered()] == ["item_b", "item_a"]
    assert error_of(h.send("conversation.item.create", item=first))["param"] == "item.id"
    bad_prev = error_of(
        h.send(
            "conversation.item.create", item={**first, "id": "item_c"}, previous_item_id="item_zzz"
        )
    )
    assert bad_prev["param"] == "previous_item_id"
    bad_role = error_of(h.send("conversation.item.create", item={**first, "role": "robot"}))
    assert bad_role["param"] == "item.role"
    assert h.types(h.send("conversation.item.delete", item_id="item_a")) == [
        "conversation.item.deleted"
    ]
    assert error_of(h.send("conversation.item.delete", item_id="item_a"))["param"] == "item_id"
    assert error_of(h.send("conversation.item.retrieve", item_id="item_a"))["param"] == "item_id"


def test_function_call_output_needs_a_known_call() -> None:
    h = SessionHarness()
    item = {"type": "function_call_output", "call_id": "call_nope", "output": "{}"}
    error = error_of(h.send("conversation.item.create", item=item))
    assert (error["code"], error["param"]) == ("invalid_value", "item.call_id")
