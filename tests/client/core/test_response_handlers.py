"""The ``response.*`` handlers: streamed audio and text, function-call arguments, and what a
finished response asks the client to do."""

from __future__ import annotations

import pytest

from realtime.client.core.conversation import Conversation
from realtime.client.core.values import AudioOut, CallsReady, ErrorReported, ResponseFinished


def test_malformed_function_arguments_are_recorded_not_raised() -> None:
    conv = Conversation()
    conv.receive(
        {
            "type": "response.function_call_arguments.done",
            "call_id": "c1",
            "name": "x",
            "arguments": '{"place": ',
        }
    )
    call = conv.calls["c1"]
    assert call.parsed is None and call.parse_error and "JSON" in call.parse_error


def test_cancelled_response_does_not_run_its_calls() -> None:
    conv = Conversation()
    conv.receive({"type": "response.created", "response": {"id": "r1"}})
    conv.receive(
        {
            "type": "response.function_call_arguments.done",
            "response_id": "r1",
            "call_id": "c1",
            "name": "x",
            "arguments": "{}",
        }
    )
    effects = conv.receive(
        {"type": "response.done", "response": {"id": "r1", "status": "cancelled"}}
    ).effects
    assert [type(e) for e in effects] == [ResponseFinished]


def test_an_audio_delta_is_played_and_counted_in_milliseconds() -> None:
    conv = Conversation()
    delta = {"type": "response.output_audio.delta", "response_id": "r1", "item_id": "a1"}
    (effect,) = conv.receive({**delta, "delta": "AAAA" * 1200}, at=1.0).effects  # 3600 bytes
    assert isinstance(effect, AudioOut) and len(effect.pcm) == 3600
    assert conv.items["a1"].audio_ms == pytest.approx(75) and conv.speaking_item_id == "a1"
    assert conv.turns["r1"].first_audio_at == 1.0


def test_an_odd_length_audio_delta_is_recorded_not_played() -> None:
    conv = Conversation()
    delta = {"type": "response.output_audio.delta", "item_id": "a1", "delta": "AAA="}  # 2 bytes
    assert [type(e) for e in conv.receive(delta).effects] == [AudioOut]
    (effect,) = conv.receive({**delta, "delta": "AA=="}).effects  # 1 byte: half a sample
    assert isinstance(effect, ErrorReported) and "whole number" in effect.error.message


def test_a_completed_response_hands_over_its_finished_calls() -> None:
    conv = Conversation()
    conv.receive({"type": "response.created", "response": {"id": "r1"}})
    args = {"type": "response.function_call_arguments.done", "response_id": "r1", "name": "x"}
    conv.receive({**args, "call_id": "c1", "arguments": "{}"})
    done = conv.receive({"type": "response.done", "response": {"id": "r1"}}).effects
    assert [type(e) for e in done] == [ResponseFinished, CallsReady]
    assert isinstance(done[1], CallsReady) and [c.call_id for c in done[1].calls] == ["c1"]
