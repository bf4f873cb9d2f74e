"""Per-turn latency, tokens and cost from recorded turns, against hand-computed values."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from realtime.client.core.conversation import Conversation
from realtime.client.core.values import Turn, Usage
from realtime.protocol.events import serialize
from realtime.recording.eventlog import EventLog
from realtime.recording.metrics import chart_rows, price_turns, totals, turn_metrics
from realtime.recording.pricing import PRICES, cost_of, model_family, price_for
from tests.fixtures.loader import FIXTURES, load_turn


def only(name: str) -> Any:
    (turn,) = turn_metrics(load_turn(name))
    return turn


# ---- latency -------------------------------------------------------------------------------
def test_voice_turn_latency_equals_the_hand_computed_values() -> None:
    turn = only("voice_ga")
    assert turn.trigger == "speech" and turn.status == "completed"
    # voice_ga.jsonl: speech_stopped at t=2.1; first output_audio_transcript.delta at 2.229;
    # first output_audio.delta at 2.239; response.done at 2.583.
    assert turn.first_text_latency == 0.129  # 2.229 - 2.1
    assert turn.first_audio_latency == 0.139  # 2.239 - 2.1
    assert turn.done_latency == 0.483  # 2.583 - 2.1


def test_typed_turn_latency_starts_at_the_clients_response_create() -> None:
    turn = only("text_ga")
    assert turn.trigger == "client"
    # text_ga.jsonl: the client's response.create at t=0.532; first output_text.delta at 0.694;
    # no audio (text-only); response.done at 0.817.
    assert turn.first_text_latency == 0.162  # 0.694 - 0.532
    assert turn.first_audio_latency is None
    assert turn.done_latency == 0.285  # 0.817 - 0.532


def test_interrupted_turn_keeps_its_marks_and_status() -> None:
    turn = only("barge_in_ga")
    # barge_in_ga.jsonl: speech_stopped 2.1, first transcript delta 2.529, first audio 2.539,
    # response.done (cancelled) 3.08.
    assert (turn.first_text_latency, turn.first_audio_latency) == (0.429, 0.439)
    assert turn.done_latency == 0.98  # 3.08 - 2.1
    assert turn.status == "cancelled"


@pytest.mark.parametrize("name", ["voice", "text", "function_call", "barge_in"])
def test_beta_names_give_the_same_marks(name: str) -> None:
    ga, beta = only(f"{name}_ga"), only(f"{name}_beta")
    marks = ("started_at", "first_text_at", "first_audio_at", "done_at", "usage", "status")
    assert [getattr(ga, m) for m in marks] == [getattr(beta, m) for m in marks]


@pytest.mark.parametrize("name", ["voice_ga", "text_ga", "function_call_ga", "barge_in_ga"])
def test_marks_agree_with_the_conversation_state(name: str) -> None:
    conv = Conversation()
    for line in load_turn(name):
        if line["dir"] == "server":
            conv.receive_frame(serialize(line["event"]), at=line["t"])
        elif line["event"]["type"] == "response.create":
            conv.response_create(at=line["t"])
    for turn in turn_metrics(load_turn(name)):
        mark = conv.turns[turn.response_id]
        assert (turn.started_at, turn.first_text_at, turn.first_audio_at, turn.done_at) == (
            mark.started_at,
            mark.first_text_at,
            mark.first_audio_at,
            mark.done_at,
        )


def test_the_audio_elided_log_gives_the_same_metrics() -> None:
    text = (FIXTURES / "turns" / "voice_ga.jsonl").read_text(encoding="utf-8")
    log = EventLog.from_jsonl(text)
    assert turn_metrics(log.events()) == turn_metrics(load_turn("voice_ga"))


# ---- tokens and cost -----------------------------------------------------------------------
def test_tokens_come_from_response_done_usage() -> None:
    usage = only("voice_ga").usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (155, 60, 215)
    assert (usage.input_text_tokens, usage.input_audio_tokens) == (120, 35)
    assert (usage.cached_text_tokens, usage.cached_audio_tokens) == (64, 0)
    assert (usage.output_text_tokens, usage.output_audio_tokens) == (12, 48)


def test_voice_turn_cost_equals_the_hand_computed_value() -> None:
    turn = only("voice_ga")
    assert turn.model == "gpt-realtime"  # from session.created
    # gpt-realtime, USD per 1M tokens: text in 4, cached text 0.40, audio in 32, text out 16,
    # audio out 64. usage: text in 120 of which 64 cached, audio in 35 (0 cached), out 12 text
    # and 48 audio.
    #   (120 - 64) * 4    = 224
    #   64 * 0.40         =  25.6
    #   35 * 32           = 1120
    #   12 * 16           = 192
    #   48 * 64           = 3072
    #   total 4633.6 per 1M tokens = 0.0046336 USD
    assert turn.cost.total == pytest.approx(0.0046336, abs=1e-12)
    assert turn.cost.cached_text_in == pytest.approx(0.0000256, abs=1e-12)


def test_typed_turn_cost_equals_the_hand_computed_value() -> None:
    # text_ga: 18 text tokens in, none cached, 5 text tokens out on gpt-realtime:
    #   18 * 4 + 5 * 16 = 72 + 80 = 152 per 1M tokens = 0.000152 USD
    assert only("text_ga").cost.total == pytest.approx(0.000152, abs=1e-12)


def test_cached_tokens_are_billed_at_the_cached_rate_only() -> None:
    usage = Usage(input_text_tokens=1000, cached_text_tokens=1000)
    usage_audio = Usage(input_audio_tokens=1000, cached_audio_tokens=400)
    # 1000 cached text tokens: 1000 * 0.40 / 1M = 0.0004 (not 1000 * (4 + 0.40) / 1M).
    text_cost, audio_cost = cost_of(usage, "gpt-realtime"), cost_of(usage_audio, "gpt-realtime")
    assert text_cost is not None and text_cost.total == pytest.approx(0.0004, abs=1e-12)
    # 600 uncached audio * 32 + 400 cached * 0.40 = 19200 + 160 = 19360 per 1M = 0.01936.
    assert audio_cost is not None and audio_cost.total == pytest.approx(0.01936, abs=1e-12)


def test_mini_prices_and_dated_snapshots() -> None:
    usage = Usage(
        input_text_tokens=100,
        cached_text_tokens=40,
        input_audio_tokens=200,
        cached_audio_tokens=100,
        output_text_tokens=10,
        output_audio_tokens=50,
    )
    # gpt-realtime-mini: text in 0.60, cached text 0.06, audio in 10, cached audio 0.30,
    # text out 2.40, audio out 20:
    #   60 * 0.60 + 40 * 0.06 + 100 * 10 + 100 * 0.30 + 10 * 2.40 + 50 * 20
    #   = 36 + 2.4 + 1000 + 30 + 24 + 1000 = 2092.4 per 1M = 0.0020924 USD
    cost = cost_of(usage, "gpt-realtime-mini-2025-10-06")
    assert cost is not None and cost.total == pytest.approx(0.0020924, abs=1e-12)
    assert model_family("gpt-realtime-2025-08-28") == "gpt-realtime"
    assert price_for("gpt-realtime-2025-08-28") is PRICES["gpt-realtime"]
    assert price_for("gpt-realtime-mini") is PRICES["gpt-realtime-mini"]


@pytest.mark.parametrize("model", ["gpt-4o-realtime-preview", "local", "my-azure-deployment", None])
def test_unknown_models_show_tokens_without_cost(model: str | None) -> None:
    assert cost_of(Usage(input_text_tokens=10), model) is None


def test_beta_recording_on_a_preview_model_has_tokens_but_no_cost() -> None:
    turn = only("voice_beta")
    assert turn.model == "gpt-4o-realtime-preview"
    assert turn.usage.total_tokens == 215 and turn.cost is None


def test_the_given_model_prices_a_stream_without_session_events() -> None:
    lines = [line for line in load_turn("text_ga") if line["event"]["type"] != "session.created"]
    (turn,) = turn_metrics(lines, model="gpt-realtime-mini")
    # 18 * 0.60 + 5 * 2.40 = 10.8 + 12 = 22.8 per 1M = 0.0000228 USD
    assert turn.cost is not None and turn.cost.total == pytest.approx(0.0000228, abs=1e-12)


# ---- series and totals ---------------------------------------------------------------------
def two_turns() -> list[dict[str, Any]]:
    """voice_ga, then text_ga 10 s later as the session's second response."""
    second = json.loads(json.dumps(load_turn("text_ga")).replace("resp_1", "resp_2"))
    shifted = [{**line, "t": round(line["t"] + 10, 6)} for line in second[1:]]
    return load_turn("voice_ga") + shifted


def test_chart_rows_accumulate_tokens_and_cost() -> None:
    rows = chart_rows(turn_metrics(two_turns()))
    assert [row["turn"] for row in rows] == [1, 2]
    assert [row["first_audio_ms"] for row in rows] == [139.0, None]
    assert [row["done_ms"] for row in rows] == [483.0, 285.0]
    assert [row["cumulative_tokens"] for row in rows] == [215, 238]  # 215 + 23
    # 0.0046336 + 0.000152 = 0.0047856
    assert rows[1]["cumulative_cost_usd"] == pytest.approx(0.0047856, abs=1e-12)


def test_totals_for_the_live_strip() -> None:
    summary = totals(turn_metrics(two_turns()))
    assert summary.turns == 2 and summary.last is not None
    assert summary.last.response_id == "resp_2" and summary.last.done_latency == 0.285
    assert summary.usage.total_tokens == 238
    assert summary.cost == pytest.approx(0.0047856, abs=1e-12)
    assert totals([]).cost is None and totals([]).last is None


def test_the_turn_in_progress_is_shown_and_numbered() -> None:
    lines: list[dict[str, Any]] = []
    for n in range(1, 4):
        lines.append({"t": n * 10.0, "dir": "client", "event": {"type": "response.create"}})
        created = {"type": "response.created", "response": {"id": f"r{n}"}}
        lines.append({"t": n * 10.0, "dir": "server", "event": created})
    delta = {"type": "response.output_text.delta", "response_id": "r3", "item_id": "a"}
    lines.append({"t": 30.5, "dir": "server", "event": {**delta, "delta": "Hi"}})
    turns = turn_metrics(lines)
    assert [(t.index, t.response_id, t.status) for t in turns] == [
        (1, "r1", "in_progress"),
        (2, "r2", "in_progress"),
        (3, "r3", "in_progress"),
    ]
    assert turns[-1].first_text_latency == 0.5 and turns[-1].done_latency is None
    assert turns[-1].trigger == "client" and turns[-1].cost is None


def test_malformed_events_and_unseen_starts_are_skipped() -> None:
    lines = [
        {"t": 1.0, "dir": "server", "event": {"type": "response.done", "response": "nonsense"}},
        {"t": 1.0, "dir": "server", "event": {"type": "response.created"}},
        {"t": 2.0, "dir": "server", "event": {"type": "response.done", "response": {"id": "r9"}}},
    ]
    (turn,) = turn_metrics(lines)
    assert turn.response_id == "r9" and turn.started_at is None and turn.done_latency is None


def test_unpriced_servers_show_tokens_without_cost() -> None:
    usage = Usage(input_text_tokens=18, output_text_tokens=5, total_tokens=23)
    done = Turn("r1", 1, "client", 0.0, done_at=0.5, status="completed", usage=usage)
    (priced,) = price_turns([done], model="gpt-realtime")
    (local,) = price_turns([done], model="gpt-realtime", priced=False)
    assert priced.cost is not None and priced.cost.total == pytest.approx(0.000152, abs=1e-12)
    assert local.cost is None and local.usage == usage and local.model == "gpt-realtime"


def test_image_tokens_at_an_unknown_image_rate_leave_the_cost_unknown() -> None:
    usage = Usage.from_wire(
        {
            "input_tokens": 300,
            "input_token_details": {
                "text_tokens": 10,
                "audio_tokens": 0,
                "image_tokens": 290,
                "cached_tokens": 100,
                "cached_tokens_details": {"image_tokens": 100},
            },
        }
    )
    assert (usage.input_image_tokens, usage.cached_image_tokens) == (290, 100)
    assert cost_of(usage, "gpt-realtime") is None  # no verified image rate: never a guess
    assert cost_of(Usage(input_text_tokens=10), "gpt-realtime") is not None


def test_a_billed_turn_without_a_price_makes_the_running_cost_unknown() -> None:
    first, second = turn_metrics(two_turns())
    renamed = dataclasses.replace(first, model="gpt-realtime-2", cost=None)  # no verified price
    mixed = price_turns([renamed, second])
    assert mixed[0].price_unknown and not mixed[1].price_unknown
    assert totals(mixed).unpriced == 1 and totals(turn_metrics(two_turns())).unpriced == 0
    rows = chart_rows(mixed)
    assert [row["cumulative_cost_usd"] for row in rows] == [None, None]  # never a partial sum
    assert rows[0]["input_audio_tokens"] > 0 and rows[0]["output_audio_tokens"] > 0
