"""The sans-I/O conversation state, replayed from recorded turns (GA and beta names)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime.client.core.conversation import Conversation
from realtime.client.core.values import (
    AudioOut,
    CallsReady,
    ClientOutcome,
    FunctionCall,
    SpeechStarted,
)
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import serialize
from tests.fixtures.loader import load_turn

TURNS = ("voice", "text", "function_call", "barge_in")


def replay(name: str) -> tuple[Conversation, list[Any]]:
    """Feed a recording's server events as raw frames, the way the bridge receives them."""
    conv = Conversation()
    effects: list[Any] = []
    for line in load_turn(name):
        if line["dir"] == "server":
            effects += conv.receive_frame(serialize(line["event"]), at=line["t"]).effects
    return conv, effects


def pending(conv: Conversation) -> tuple[FunctionCall, ...]:
    """Calls whose arguments are complete and whose output has not been sent."""
    return tuple(c for c in conv.calls.values() if c.done and c.output is None)


def summary(conv: Conversation) -> dict[str, Any]:
    return {
        "items": [(i.id, i.type, i.role, i.text, i.status) for i in conv.ordered_items()],
        "usage": conv.usage_total,
        "responses": {r.id: (r.status, r.status_reason) for r in conv.responses.values()},
        "calls": [(c.call_id, c.name, c.parsed) for c in conv.calls.values()],
        "errors": list(conv.errors),
    }


@pytest.mark.parametrize("name", TURNS)
def test_ga_and_beta_recordings_give_the_same_state(name: str) -> None:
    ga, ga_effects = replay(f"{name}_ga")
    beta, beta_effects = replay(f"{name}_beta")
    assert summary(ga) == summary(beta)
    assert [type(e) for e in ga_effects] == [type(e) for e in beta_effects]
    assert not ga.errors and not ga.unknown_events


def test_voice_turn_transcripts_order_usage_and_audio() -> None:
    conv, effects = replay("voice_ga")
    items = conv.ordered_items()
    assert [(i.id, i.role) for i in items] == [("item_u1", "user"), ("item_a1", "assistant")]
    # The user transcript arrived after the answer had started; it still lands on its item.
    assert items[0].text == "Hi, who are you?"
    assert items[1].text == "I'm a voice assistant."
    assert items[1].audio_ms == pytest.approx(1100)
    audio = [e for e in effects if isinstance(e, AudioOut)]
    assert sum(len(e.pcm) for e in audio) == 1100 * 48
    assert conv.usage_total.input_tokens == 155
    assert conv.usage_total.output_audio_tokens == 48
    assert conv.usage_total.cached_tokens == 64
    assert conv.responses["resp_1"].status == "completed"
    assert conv.active_response_id is None
    assert isinstance(effects[0], SpeechStarted) and not effects[0].response_streaming


def test_voice_turn_latency_marks_come_from_the_event_times() -> None:
    conv, _ = replay("voice_ga")
    lines = [line for line in load_turn("voice_ga") if line["dir"] == "server"]

    def first(event_type: str) -> float:
        return next(line["t"] for line in lines if line["event"]["type"] == event_type)

    turn = conv.turns["resp_1"]
    stopped = first("input_audio_buffer.speech_stopped")
    assert turn.started_at == stopped
    assert turn.latency("first_audio") == pytest.approx(
        first("response.output_audio.delta") - stopped
    )
    assert turn.latency("first_text") == pytest.approx(
        first("response.output_audio_transcript.delta") - stopped
    )
    assert turn.latency("done") == pytest.approx(first("response.done") - stopped)


def test_text_turn_streams_text_and_produces_the_client_events() -> None:
    conv, _ = replay("text_ga")
    assert [i.text for i in conv.ordered_items()] == ["Say hello in French.", "Bonjour !"]
    sent = Conversation().text_turn("Say hello in French.").events
    assert [e["type"] for e in sent] == ["conversation.item.create", "response.create"]
    assert sent[0]["item"]["content"] == [{"type": "input_text", "text": "Say hello in French."}]
    assert sent[0]["event_id"] != sent[1]["event_id"]


def test_text_deltas_are_visible_while_streaming() -> None:
    conv = Conversation()
    lines = [line["event"] for line in load_turn("text_ga") if line["dir"] == "server"]
    seen = []
    for event in lines:
        conv.receive(event)
        if event["type"] == "response.output_text.delta":
            seen.append(conv.transcript("item_a1"))
    assert seen == ["Bonjour", "Bonjour !"]


def test_function_call_turn_gives_one_pending_call_with_parsed_arguments() -> None:
    conv, effects = replay("function_call_ga")
    waiting = pending(conv)
    assert len(waiting) == 1
    call = waiting[0]
    assert (call.call_id, call.name, call.parsed) == (
        "call_1",
        "get_local_time",
        {"place": "Tokyo"},
    )
    ready = [e for e in effects if isinstance(e, CallsReady)]
    assert len(ready) == 1 and ready[0].calls == (call,)
    tool_item = conv.items["item_f1"]
    assert (tool_item.role, tool_item.name, tool_item.call_id) == (
        "tool",
        "get_local_time",
        "call_1",
    )

    sent = conv.function_output("call_1", json.dumps({"time": "09:30"})).events
    assert [e["type"] for e in sent] == ["conversation.item.create", "response.create"]
    assert sent[0]["item"] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": '{"time": "09:30"}',
    }
    assert pending(conv) == ()


def test_parallel_calls_ask_for_one_response_after_the_last_output() -> None:
    conv = Conversation()
    conv.receive({"type": "response.created", "response": {"id": "r1"}})
    for n in (1, 2):
        item = {"id": f"f{n}", "type": "function_call", "name": "find_airport", "call_id": f"c{n}"}
        conv.receive({"type": "response.output_item.added", "response_id": "r1", "item": item})
        conv.receive(
            {
                "type": "response.function_call_arguments.done",
                "response_id": "r1",
                "item_id": f"f{n}",
                "call_id": f"c{n}",
                "name": "find_airport",
                "arguments": json.dumps({"query": "LHR"}),
            }
        )
    effects = conv.receive(
        {"type": "response.done", "response": {"id": "r1", "status": "completed"}}
    ).effects
    assert [len(e.calls) for e in effects if isinstance(e, CallsReady)] == [2]
    first = conv.function_output("c1", "{}").events
    second = conv.function_output("c2", "{}").events
    assert [e["type"] for e in first] == ["conversation.item.create"]
    assert [e["type"] for e in second] == ["conversation.item.create", "response.create"]


def test_barge_in_truncates_at_the_audio_actually_played() -> None:
    conv = Conversation()
    lines = load_turn("barge_in_ga")
    truncate_sent = None
    for line in lines:
        if line["dir"] == "client":
            continue
        effects = conv.receive(line["event"], at=line["t"]).effects
        started = [e for e in effects if isinstance(e, SpeechStarted)]
        if started and started[0].response_streaming:
            # The caller measured 800 ms of the assistant's audio as heard.
            (truncate_sent,) = conv.barge_in(800).events
    recorded = next(line["event"] for line in lines if line["dir"] == "client")
    assert truncate_sent is not None
    assert truncate_sent["type"] == "conversation.item.truncate"
    for key in ("item_id", "content_index", "audio_end_ms"):
        assert truncate_sent[key] == recorded[key]
    assert conv.items["item_a1"].truncated_at_ms == 800
    assert conv.responses["resp_1"].status == "cancelled"
    assert conv.responses["resp_1"].status_reason == "turn_detected"


def test_truncate_never_exceeds_the_item_audio() -> None:
    conv, _ = replay("barge_in_ga")  # item_a1 carries 1500 ms of audio
    assert conv.truncate("item_a1", 99_000).events[0]["audio_end_ms"] == 1500
    assert conv.truncate("item_a1", -5).events[0]["audio_end_ms"] == 0
    assert conv.truncate("unknown", 300).events[0]["audio_end_ms"] == 0


def test_barge_in_with_cancel_sends_response_cancel_first() -> None:
    conv = Conversation()
    conv.receive({"type": "response.created", "response": {"id": "r1"}})
    conv.receive(
        {
            "type": "response.output_audio.delta",
            "response_id": "r1",
            "item_id": "a1",
            "delta": "AAAA" * 1200,
        }
    )
    sent = conv.barge_in(50, cancel=True).events
    assert [e["type"] for e in sent] == ["response.cancel", "conversation.item.truncate"]
    assert sent[0]["response_id"] == "r1"
    assert sent[1]["audio_end_ms"] == 50


def test_commit_refuses_less_than_100_ms() -> None:
    conv = Conversation()
    conv.append_audio(b"\0" * 48 * 60)
    with pytest.raises(ProtocolError, match="at least 100 ms"):
        conv.commit()
    conv.append_audio(b"\0" * 48 * 40)
    sent = conv.commit().events
    assert [e["type"] for e in sent] == ["input_audio_buffer.commit", "response.create"]
    assert conv.buffered_ms == 0


def test_append_audio_encodes_pcm_as_base64() -> None:
    (event,) = Conversation().append_audio(b"\x01\x00\x02\x00").events
    assert event["type"] == "input_audio_buffer.append" and event["audio"] == "AQACAA=="


def test_every_call_hands_back_one_outcome_shape() -> None:
    conv, _ = replay("function_call_ga")
    conv.append_audio(b"\0" * 48 * 120)
    outcomes = [
        conv.receive({"type": "rate_limits.updated"}),
        conv.receive_frame("not json"),
        conv.text_turn("hi"),
        conv.append_audio(b"\0\0"),
        conv.commit(),
        conv.clear_audio(),
        conv.response_create(),
        conv.response_cancel(),
        conv.truncate("item_f1", 0),
        conv.barge_in(0),
        conv.function_output("call_1", "{}"),
        conv.session_update({"type": "realtime"}),
    ]
    assert all(type(outcome) is ClientOutcome for outcome in outcomes)
    assert all(isinstance(e, dict) for outcome in outcomes for e in outcome.events)


@pytest.mark.parametrize(
    ("name", "trigger", "status", "model"),
    [
        ("voice_ga", "speech", "completed", "gpt-realtime"),
        ("voice_beta", "speech", "completed", "gpt-4o-realtime-preview"),
        ("barge_in_ga", "speech", "cancelled", "gpt-realtime"),
    ],
)
def test_turns_say_how_they_started_and_ended(
    name: str, trigger: str, status: str, model: str
) -> None:
    conv, _ = replay(name)
    (turn,) = conv.turns.values()
    assert (turn.index, turn.trigger, turn.status, turn.model) == (1, trigger, status, model)
    assert turn.usage is not None and turn.usage == conv.responses[turn.response_id].usage


def test_a_client_response_create_starts_the_next_turn() -> None:
    conv = Conversation()
    conv.text_turn("Hello", at=5.0)
    conv.receive({"type": "response.created", "response": {"id": "r1"}}, at=5.1)
    conv.receive({"type": "response.done", "response": {"id": "r1"}}, at=5.5)
    turn = conv.turns["r1"]
    assert (turn.trigger, turn.started_at, turn.done_latency) == ("client", 5.0, 0.5)


def test_turns_are_bounded_and_keep_their_index() -> None:
    conv = Conversation(max_turns=2)
    for n in range(1, 4):
        conv.response_create(at=n * 10.0)
        conv.receive({"type": "response.created", "response": {"id": f"r{n}"}}, at=n * 10.0)
    conv.receive(
        {"type": "response.output_text.delta", "response_id": "r3", "item_id": "a", "delta": "x"},
        at=30.5,
    )
    turns = list(conv.turns.values())
    assert [(t.index, t.response_id, t.status) for t in turns] == [
        (2, "r2", "in_progress"),
        (3, "r3", "in_progress"),
    ]
    assert turns[-1].first_text_latency == 0.5 and turns[-1].done_latency is None
