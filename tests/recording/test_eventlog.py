"""The event log: bounded ring, counts, sanitising, queries, JSONL in the fixtures' shape."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest

from realtime.protocol.errors import ProtocolError
from realtime.recording.eventlog import DEFAULT_CAPACITY, EventLog, fan_out
from realtime.recording.metrics import turn_metrics
from tests.fixtures.loader import FIXTURES, load_turn

KEY = "sk-proj-Zq8vT3xLm2Np7Rw4Ks9Hy6Bd1Fg5Jc0"
REGISTERED = "azure-0123456789abcdef0123456789abcdef"  # a key with no tell-tale shape


def turn_text(name: str) -> str:
    return (FIXTURES / "turns" / f"{name}.jsonl").read_text(encoding="utf-8")


def event(n: int, event_type: str = "response.output_text.delta") -> dict[str, Any]:
    return {"type": event_type, "event_id": f"event_{n}", "delta": f"word{n} "}


# ---- the ring ------------------------------------------------------------------------------
def test_default_capacity_is_5000() -> None:
    assert EventLog().capacity == DEFAULT_CAPACITY == 5000


def test_ring_drops_oldest_first_and_keeps_counts_right() -> None:
    log = EventLog(capacity=3)
    for n in range(1, 6):
        log.record("server", event(n, "a" if n % 2 else "b"), float(n))
    log.record("client", {"type": "response.create"}, 6.0)
    kept = log.events()
    assert [e.seq for e in kept] == [4, 5, 6]  # 1, 2, 3 dropped, oldest first
    assert [e.event.get("event_id") for e in kept] == ["event_4", "event_5", None]
    assert log.dropped == 3 and len(log) == 3 and log.last_seq == 6
    # Counts cover every event recorded, the dropped ones included.
    assert log.counts() == {"a": 3, "b": 2, "response.create": 1}
    assert log.counts("server") == {"a": 3, "b": 2}
    assert log.direction_counts() == {"server": 5, "client": 1}
    stats = log.stats()
    assert (stats.capacity, stats.kept, stats.recorded, stats.dropped) == (3, 3, 6, 3)


def test_since_gives_the_increment_for_a_live_view() -> None:
    log = EventLog(capacity=4)
    for n in range(1, 4):
        log.record("server", event(n), float(n))
    assert [e.seq for e in log.since(1)] == [2, 3]
    assert log.since(log.last_seq) == []
    for n in range(4, 10):
        log.record("server", event(n), float(n))
    assert [e.seq for e in log.since(3)] == [6, 7, 8, 9]  # 4 and 5 were dropped meanwhile


def test_concurrent_records_are_all_counted() -> None:
    log = EventLog(capacity=100)

    def writer(direction: str) -> None:
        for n in range(500):
            log.record(direction, event(n), float(n))

    threads = [threading.Thread(target=writer, args=(d,)) for d in ("client", "server") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert log.direction_counts() == {"client": 1000, "server": 1000}
    assert log.dropped == 1900 and len(log) == 100
    assert [e.seq for e in log.events()] == list(range(1901, 2001))


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        EventLog(capacity=0)


# ---- audio elided --------------------------------------------------------------------------
def test_audio_payloads_are_replaced_by_byte_count_and_duration() -> None:
    log = EventLog()
    pcm = bytes(4800)  # 100 ms of PCM16 24 kHz mono: 4800 bytes / 48 bytes per ms
    b64 = base64.b64encode(pcm).decode()
    log.record("client", {"type": "input_audio_buffer.append", "audio": b64}, 0.0)
    log.record("server", {"type": "response.output_audio.delta", "delta": b64}, 0.1)
    log.record("server", {"type": "response.audio.delta", "delta": b64}, 0.2)  # beta name
    item = {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": b64}]}
    log.record("client", {"type": "conversation.item.create", "item": item}, 0.3)
    log.record("server", {"type": "response.output_text.delta", "delta": "not audio"}, 0.4)
    summary = "<audio: 4800 bytes, 100.0 ms>"
    append, ga, beta, create, text = log.events()
    assert append.event["audio"] == ga.event["delta"] == beta.event["delta"] == summary
    assert create.event["item"]["content"][0]["audio"] == summary
    assert text.event["delta"] == "not audio"
    assert [e.audio_bytes for e in log.events()] == [4800, 4800, 4800, 4800, 0]
    assert b64[:40] not in log.to_jsonl()


def test_recorded_voice_turn_audio_is_elided_with_the_right_sizes() -> None:
    log = EventLog.from_jsonl(turn_text("voice_ga"))
    deltas = log.query(types={"response.output_audio.delta"}, newest_first=False)
    # 25600, 25600 and 19200 base64 characters carry 3/4 as many bytes: 19200, 19200, 14400;
    # at 48 bytes per ms that is 400 + 400 + 300 = 1100 ms, the item's audio_ms.
    assert [e.event["delta"] for e in deltas] == [
        "<audio: 19200 bytes, 400.0 ms>",
        "<audio: 19200 bytes, 400.0 ms>",
        "<audio: 14400 bytes, 300.0 ms>",
    ]
    assert sum(e.audio_bytes for e in deltas) == 1100 * 48


# ---- nothing secret ------------------------------------------------------------------------
def planted_session() -> EventLog:
    log = EventLog(secrets=[REGISTERED])
    instructions = f"Use {KEY} if asked. Also {REGISTERED}."
    log.record("client", {"type": "session.update", "session": {"instructions": instructions}}, 0)
    headers = {"Authorization": f"Bearer {KEY}", "api-key": REGISTERED, "OpenAI-Beta": "x"}
    log.record("client", {"type": "debug.handshake", "headers": headers}, 0.1)
    log.record("server", {"type": "error", "error": {"message": f"Bearer {KEY} refused"}}, 0.2)
    secret = {"client_secret": {"value": "ek_68af1b2c3d4e5f60718293a4b5c6d7e8"}}
    log.record("server", {"type": "session.created", "session": secret}, 0.3)
    log.record("server", {"type": "(malformed frame)", "raw": f'{{"key": "{REGISTERED}'}, 0.4)
    return log


def test_secrets_never_enter_the_log_or_its_jsonl() -> None:
    log = planted_session()
    dumps = [e.text for e in log.events()] + [repr(log.events()), log.to_jsonl()]
    for text in dumps:
        assert KEY not in text
        assert REGISTERED not in text
        assert "ek_68af1b2c3d4e5f60718293a4b5c6d7e8" not in text
        assert "Bearer sk-" not in text
    assert log.events()[1].event["headers"]["OpenAI-Beta"] == "x"  # the rest is kept
    assert log.query(search=KEY[:20]) == []


def test_a_key_registered_later_is_scrubbed_from_then_on() -> None:
    log = EventLog()
    log.add_secret(REGISTERED)
    log.record("client", {"type": "x", "note": REGISTERED}, 0)
    assert REGISTERED not in log.to_jsonl()


# ---- queries -------------------------------------------------------------------------------
def test_queries_filter_by_direction_type_and_search_newest_first() -> None:
    log = EventLog.from_jsonl(turn_text("text_ga"))
    newest = log.query()
    assert newest[0].type == "response.done" and newest[-1].type == "session.created"
    client = log.query(directions={"client"})
    assert [e.type for e in client] == ["response.create", "conversation.item.create"]
    deltas = log.query(types={"response.output_text.delta"}, newest_first=False)
    assert [e.event["delta"] for e in deltas] == ["Bonjour", " !"]
    assert [e.type for e in log.query(search="HELLO IN FRENCH")] == [
        "conversation.item.done",
        "conversation.item.added",
        "conversation.item.create",
    ]
    assert len(log.query(limit=2)) == 2
    assert "response.output_text.delta" in log.types_seen()
    assert log.types_seen() == sorted(log.types_seen())


# ---- JSONL ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["voice_ga", "text_ga", "function_call_beta", "barge_in_ga"])
def test_jsonl_round_trip(name: str) -> None:
    first = EventLog.from_jsonl(turn_text(name))
    download = first.to_jsonl()
    again = EventLog.from_jsonl(download)
    assert again.to_jsonl() == download
    assert [(e.t, e.direction, e.event) for e in again.events()] == [
        (e.t, e.direction, e.event) for e in first.events()
    ]
    # Same lines as the recording, audio payloads aside.
    lines = [json.loads(line) for line in download.splitlines()]
    recorded = load_turn(name)
    assert [set(line) for line in lines] == [{"t", "dir", "event"}] * len(recorded)
    assert [(x["t"], x["dir"], x["event"]["type"]) for x in lines] == [
        (x["t"], x["dir"], x["event"]["type"]) for x in recorded
    ]


def test_a_live_log_downloads_with_times_from_its_first_event_and_replays() -> None:
    log = EventLog()
    for line in load_turn("voice_ga"):  # as the bridge would: its monotonic clock
        log.record(line["dir"], line["event"], 5000.25 + line["t"])
    download = [json.loads(line) for line in log.to_jsonl().splitlines()]
    assert [x["t"] for x in download] == [x["t"] for x in load_turn("voice_ga")]
    assert turn_metrics(download) == turn_metrics(load_turn("voice_ga"))


def test_a_filtered_selection_downloads_in_order() -> None:
    log = EventLog.from_jsonl(turn_text("text_ga"))
    picked = log.query(directions={"client"})  # newest first
    lines = [json.loads(line) for line in log.to_jsonl(picked).splitlines()]
    assert [x["event"]["type"] for x in lines] == ["conversation.item.create", "response.create"]


@pytest.mark.parametrize(
    "bad", ["not json", '{"t": 0, "dir": "server"}', '{"t": 0, "dir": "server", "event": 3}']
)
def test_a_bad_line_names_its_number(bad: str) -> None:
    with pytest.raises(ProtocolError, match="line 2"):
        EventLog.from_jsonl('{"t": 0, "dir": "server", "event": {"type": "x"}}\n' + bad)


def test_fan_out_calls_every_observer_and_survives_one_that_raises() -> None:
    log = EventLog()
    seen: list[str] = []

    def broken(direction: str, event: Any, at: float) -> None:
        raise RuntimeError("observer bug")

    observe = fan_out(broken, log.record, lambda d, e, at: seen.append(e["type"]))
    observe("server", {"type": "session.created"}, 0.0)
    assert seen == ["session.created"] and len(log) == 1
