"""Event names, the beta -> GA table, and the frame <-> dict edge."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import (
    BETA_CLIENT_EVENTS,
    BETA_SERVER_EVENTS,
    BETA_TO_GA,
    GA_CLIENT_EVENTS,
    GA_SERVER_EVENTS,
    client_event,
    decode_frame,
    parse_server_event,
    serialize,
    to_beta,
    to_ga,
)

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


def protocol_tables() -> dict[str, set[str]]:
    """Event names per table of docs/PROTOCOL.md, the project's wire reference (it must exist)."""
    assert PROTOCOL.is_file(), f"{PROTOCOL} is missing: the wire reference belongs to the repo"
    tables: dict[str, set[str]] = {}
    current = None
    for line in PROTOCOL.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"### (GA|Beta) (server|client) events", line)
        if heading:
            current = f"{heading[1].lower()} {heading[2]}"
            tables[current] = set()
        elif line.startswith("### "):
            current = None
        elif current and (name := re.match(r"\| `([a-z_.]+)` \|", line)):
            tables[current].add(name[1])
    return tables


def test_every_event_name_of_the_protocol_reference_is_known() -> None:
    tables = protocol_tables()
    assert tables["ga server"] == GA_SERVER_EVENTS
    assert tables["ga client"] == GA_CLIENT_EVENTS
    assert tables["beta server"] == BETA_SERVER_EVENTS
    assert tables["beta client"] == BETA_CLIENT_EVENTS


def test_every_beta_server_event_maps_to_a_ga_event() -> None:
    for name in BETA_SERVER_EVENTS - {"transcription_session.updated"}:
        assert to_ga(name) in GA_SERVER_EVENTS, name
    assert to_ga("response.audio.delta") == "response.output_audio.delta"
    assert to_ga("conversation.item.created") == "conversation.item.added"
    assert to_ga("something.new") == "something.new"


def test_ga_to_beta_is_the_reverse_and_drops_ga_only_events() -> None:
    for beta, ga in BETA_TO_GA.items():
        assert to_beta(ga) == beta
    assert to_beta("conversation.item.done") is None
    assert to_beta("response.done") == "response.done"


def test_parse_server_event_normalises_beta_names_from_text_and_bytes() -> None:
    frame = json.dumps({"type": "response.audio_transcript.delta", "delta": "hi"})
    assert parse_server_event(frame)["type"] == "response.output_audio_transcript.delta"
    assert parse_server_event(frame.encode())["delta"] == "hi"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "JSON object"),
        ("{}", "'type'"),
        ('{"type": ""}', "'type'"),
        (b"\xc3\x28", "UTF-8"),
    ],
)
def test_parse_refuses_malformed_frames(frame: str | bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_server_event(frame)


def test_client_event_has_a_fresh_event_id_and_round_trips() -> None:
    a = client_event("response.create")
    b = client_event("response.create")
    assert a["event_id"] != b["event_id"] and a["event_id"].startswith("event_")
    event = client_event("conversation.item.truncate", item_id="x", content_index=0, audio_end_ms=5)
    assert decode_frame(serialize(event)) == event


def test_client_event_refuses_server_names() -> None:
    with pytest.raises(ValueError, match="not a client event"):
        client_event("response.done")


def test_serialize_keeps_unicode() -> None:
    assert "été" in serialize({"type": "x", "text": "été"})


@pytest.mark.parametrize(
    "event",
    [
        client_event("input_audio_buffer.append", audio=base64.b64encode(bytes(1920)).decode()),
        client_event("input_audio_buffer.append", audio=""),
        {"type": "input_audio_buffer.append", "event_id": 'x"y', "audio": "AAAA"},  # escaped
        {"type": "input_audio_buffer.append", "event_id": "e1", "audio": "AA\\u0022"},
        {"type": "input_audio_buffer.append", "event_id": "e1", "audio": 7},
        {"type": "input_audio_buffer.append", "audio": "AAAA", "event_id": "e1", "x": 1},
        {"type": "input_audio_buffer.append", "audio": "AAAA", "event_id": "e1"},  # other order
    ],
)
def test_appends_written_directly_are_the_text_the_general_path_writes(event: dict) -> None:
    assert serialize(event) == json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(serialize(event)) == event
