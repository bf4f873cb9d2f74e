"""Answers stopped early (``Conversation.end_cut_response``, ``Conversation.typed_interrupt``): by a
lost connection (closed as heard), or by a typed message."""

from __future__ import annotations

from realtime.client.core.conversation import Conversation
from realtime.client.core.values import AudioOut, ClientOutcome, ResponseFinished
from realtime.protocol.pcm import encode_pcm16_base64


def _speaking(conv: Conversation) -> None:
    """A response streaming 1 s of audio and its transcript for item_a1."""
    conv.receive({"type": "response.created", "response": {"id": "resp_1"}})
    item = {"id": "item_a1", "type": "message", "role": "assistant", "status": "in_progress"}
    conv.receive({"type": "response.output_item.added", "response_id": "resp_1", "item": item})
    conv.receive(
        {
            "type": "response.output_audio_transcript.delta",
            "response_id": "resp_1",
            "item_id": "item_a1",
            "delta": "one two three four five six seven eight",
        }
    )
    audio = encode_pcm16_base64(bytes(48_000))  # 1000 ms
    conv.receive(
        {
            "type": "response.output_audio.delta",
            "response_id": "resp_1",
            "item_id": "item_a1",
            "delta": audio,
        }
    )


def test_a_cut_answer_ends_interrupted_with_the_text_heard_and_nothing_active() -> None:
    conv = Conversation()
    _speaking(conv)
    cut = conv.end_cut_response(lambda item_id: 500.0, at=9.0)
    assert cut.effects == (ResponseFinished("resp_1", "cancelled"),) and not cut.events
    item = conv.items["item_a1"]
    assert (item.status, item.text, item.heard, item.truncated_at_ms) == (
        "incomplete",
        "one two three four",
        "one two three four",
        500,
    )
    assert conv.active_response_id is None and conv.speaking_item_id is None
    assert conv.responses["resp_1"].status == "cancelled"
    assert conv.responses["resp_1"].status_reason == "connection_lost"
    assert conv.turns["resp_1"].status == "cancelled" and conv.turns["resp_1"].done_at == 9.0
    # Audio of the old response still in flight is never played.
    late = conv.receive(
        {
            "type": "response.output_audio.delta",
            "response_id": "resp_1",
            "item_id": "item_a1",
            "delta": encode_pcm16_base64(bytes(960)),
        }
    )
    assert not [e for e in late.effects if isinstance(e, AudioOut)]
    assert conv.end_cut_response(None, at=10.0) == ClientOutcome()  # nothing left to close


def test_a_typed_interrupt_truncates_at_what_was_heard_then_cancels() -> None:
    conv = Conversation()
    _speaking(conv)
    out = conv.typed_interrupt(lambda item_id: 250.0, audio_pending=True)
    assert [e["type"] for e in out.events] == ["conversation.item.truncate", "response.cancel"]
    assert out.events[0]["item_id"] == "item_a1" and out.events[0]["audio_end_ms"] == 250
    assert out.events[1]["response_id"] == "resp_1"
    assert conv.items["item_a1"].heard == "one two"
    assert conv.speaking_item_id is None


def test_a_typed_message_after_the_audio_ended_cancels_only() -> None:
    conv = Conversation()
    _speaking(conv)
    out = conv.typed_interrupt(lambda item_id: 1000.0, audio_pending=False)
    assert [e["type"] for e in out.events] == ["response.cancel"]
