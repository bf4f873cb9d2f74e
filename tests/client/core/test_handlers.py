"""The handler table: each server event's effect on the conversation, and peer input that is
wrong in some way becoming recorded state instead of an exception."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.client.core.conversation import Conversation
from realtime.client.core.handlers import HANDLERS
from realtime.client.core.values import ClientOutcome, ErrorReported
from realtime.protocol.events import BETA_TO_GA


def test_the_table_speaks_ga_names_only() -> None:
    # Beta names are folded to GA before the look-up, so a beta key could never run.
    assert not set(HANDLERS) & (set(BETA_TO_GA) - set(BETA_TO_GA.values()))


def test_beta_names_reach_their_ga_handler() -> None:
    conv = Conversation()
    item = {"id": "u1", "type": "message", "role": "user"}
    conv.receive({"type": "conversation.item.created", "item": item})
    assert conv.order == ["u1"] and not conv.unknown_events


def test_unknown_event_is_kept_and_raises_nothing() -> None:
    conv = Conversation()
    event = {"type": "response.brand_new_thing", "event_id": "e1", "payload": [1, 2]}
    assert conv.receive(event) == ClientOutcome()
    assert list(conv.unknown_events) == [event]


@pytest.mark.parametrize(
    "frame",
    [b"\xff\xfe", "not json", "[1, 2]", '{"no": "type"}', '{"type": 5}'],
)
def test_malformed_frame_is_recorded_as_a_protocol_error(frame: str | bytes) -> None:
    conv = Conversation()
    effects = conv.receive_frame(frame).effects
    assert len(effects) == 1 and isinstance(effects[0], ErrorReported)
    assert conv.errors[0].type == "protocol_error"


def test_event_with_a_wrong_shape_is_recorded_not_raised() -> None:
    conv = Conversation()
    effects = conv.receive({"type": "response.created"}).effects  # no response object
    assert isinstance(effects[0], ErrorReported)
    assert "response.created" in conv.errors[0].message
    conv.receive({"type": "response.output_audio.delta", "item_id": "a", "delta": "!!"})
    assert "base64" in conv.errors[-1].message


def test_server_error_is_surfaced_with_code_and_message() -> None:
    conv = Conversation()
    event = {
        "type": "error",
        "event_id": "event_9",
        "error": {
            "type": "invalid_request_error",
            "code": "input_audio_buffer_commit_empty",
            "message": "Error committing input audio buffer: buffer too small.",
            "param": None,
            "event_id": "event_client_3",
        },
    }
    (effect,) = conv.receive(event).effects
    assert isinstance(effect, ErrorReported)
    assert effect.error.code == "input_audio_buffer_commit_empty"
    assert effect.error.message.startswith("Error committing")
    assert effect.error.event_id == "event_client_3"


def test_errors_are_bounded() -> None:
    conv = Conversation()
    for _ in range(500):
        conv.receive_frame("garbage")
    assert len(conv.errors) == 100


def test_item_inserted_after_its_previous_item() -> None:
    conv = Conversation()
    conv.receive(
        {"type": "conversation.item.added", "item": {"id": "a", "type": "message", "role": "user"}}
    )
    conv.receive(
        {"type": "conversation.item.added", "item": {"id": "c", "type": "message", "role": "user"}}
    )
    conv.receive(
        {
            "type": "conversation.item.added",
            "previous_item_id": "a",
            "item": {"id": "b", "type": "message", "role": "assistant"},
        }
    )
    assert conv.order == ["a", "b", "c"]
    conv.receive({"type": "conversation.item.deleted", "item_id": "b"})
    assert conv.order == ["a", "c"]


def _finished_answer(conv: Conversation, text: str) -> None:
    """An assistant item whose whole answer (1000 ms of audio) arrived before any cut."""
    delta = {"type": "response.output_audio.delta", "response_id": "r1", "item_id": "a1"}
    conv.receive({**delta, "delta": "AAAA" * 16_000})  # 48 000 bytes: 1000 ms at 24 kHz
    part = {"type": "output_audio", "transcript": text}
    item = {"id": "a1", "type": "message", "role": "assistant", "content": [part]}
    conv.receive({"type": "conversation.item.done", "item": item})


def test_a_confirmed_cut_leaves_only_what_was_heard_on_screen() -> None:
    # The answer's final copy came before the truncate: nothing later rewrites the text, so the
    # confirmation itself must (the server now remembers the same cut, by the same rule).
    conv = Conversation()
    _finished_answer(conv, "one two three four")
    conv.receive(
        {"type": "conversation.item.truncated", "item_id": "a1", "content_index": 0,
         "audio_end_ms": 500}
    )  # fmt: skip
    item = conv.items["a1"]
    assert (item.text, item.heard, item.truncated_at_ms) == ("one two", "one two", 500)
    # A copy the server sends after the cut is its own and wins.
    part = {"type": "output_audio", "transcript": "one two three"}
    item_wire = {"id": "a1", "type": "message", "role": "assistant", "content": [part]}
    conv.receive({"type": "conversation.item.done", "item": item_wire})
    assert conv.items["a1"].text == "one two three"


def test_a_cut_of_an_item_with_no_audio_only_records_where() -> None:
    conv = Conversation()
    conv.receive(
        {"type": "conversation.item.truncated", "item_id": "x", "content_index": 0,
         "audio_end_ms": 300}
    )  # fmt: skip
    assert conv.items["x"].truncated_at_ms == 300 and conv.items["x"].text == ""


def test_a_cancel_that_crossed_the_responses_end_is_no_error_but_others_are() -> None:
    conv = Conversation()
    (cancel,) = conv.response_cancel().events

    def refused(event_id: str) -> dict[str, Any]:
        return {
            "type": "error",
            "event_id": "event_s1",
            "error": {
                "type": "invalid_request_error",
                "code": "response_cancel_not_active",
                "message": "Cancellation failed: no active response found.",
                "event_id": event_id,
            },
        }

    assert conv.receive(refused(cancel["event_id"])).effects == ()
    assert not conv.errors
    (effect,) = conv.receive(refused("event_someone_else")).effects  # not ours: reported
    assert isinstance(effect, ErrorReported)


# ---- rate limits and transcription logprobs --------------------------------------------------
def test_rate_limits_are_kept_as_of_their_arrival_and_replaced_by_the_next() -> None:
    conv = Conversation()
    limits = [
        {"name": "requests", "limit": 1000, "remaining": 999, "reset_seconds": 0.06},
        {"name": "tokens", "limit": 40000, "remaining": 38000, "reset_seconds": 2.5},
    ]
    conv.receive({"type": "rate_limits.updated", "event_id": "e", "rate_limits": limits}, at=7.0)
    assert [(r.name, r.remaining, r.limit, r.reset_seconds, r.at) for r in conv.rate_limits] == [
        ("requests", 999, 1000, 0.06, 7.0),
        ("tokens", 38000, 40000, 2.5, 7.0),
    ]
    conv.receive({"type": "rate_limits.updated", "rate_limits": limits[1:]}, at=9.0)
    assert [r.name for r in conv.rate_limits] == ["tokens"]


def test_hostile_rate_limits_are_bounded_or_recorded() -> None:
    conv = Conversation()
    many = [{"name": "x" * 500, "limit": "lots", "remaining": True, "reset_seconds": -1}] * 100
    conv.receive({"type": "rate_limits.updated", "rate_limits": many})
    assert len(conv.rate_limits) == 8
    assert conv.rate_limits[0] == type(conv.rate_limits[0])("x" * 40, None, None, None, 0.0)
    (effect,) = conv.receive({"type": "rate_limits.updated", "rate_limits": "no"}).effects
    assert isinstance(effect, ErrorReported) and "rate_limits" in effect.error.message


def logprob(token: str, value: float) -> dict[str, Any]:
    return {"token": token, "logprob": value, "bytes": list(token.encode())}


def test_transcription_logprobs_of_deltas_and_completed_are_kept() -> None:
    conv = Conversation()
    delta = {"type": "conversation.item.input_audio_transcription.delta", "item_id": "u1"}
    conv.receive({**delta, "delta": "Hi", "logprobs": [logprob("Hi", -0.1)]})
    conv.receive({**delta, "delta": " there", "logprobs": [logprob(" there", -2.0)]})
    assert [t.token for t in conv.items["u1"].logprobs] == ["Hi", " there"]
    done = {"type": "conversation.item.input_audio_transcription.completed", "item_id": "u1"}
    conv.receive({**done, "content_index": 0, "transcript": "Hi there"})
    assert [t.token for t in conv.items["u1"].logprobs] == ["Hi", " there"]  # the deltas' kept
    conv.receive({**done, "transcript": "Hi there", "logprobs": [logprob("Hi there", -0.5)]})
    assert [t.logprob for t in conv.items["u1"].logprobs] == [-0.5]


def test_no_logprobs_asked_none_kept_and_bad_ones_recorded() -> None:
    conv = Conversation()
    done = {"type": "conversation.item.input_audio_transcription.completed", "item_id": "u1"}
    conv.receive({**done, "transcript": "plain"})
    assert conv.items["u1"].logprobs == () and conv.items["u1"].text == "plain"
    (effect,) = conv.receive({**done, "transcript": "x", "logprobs": [{"token": 1}]}).effects
    assert isinstance(effect, ErrorReported) and "logprobs" in effect.error.message
