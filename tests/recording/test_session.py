"""SessionRecording: the bridge's hooks feed the event log, item clock and audio recorder."""

from __future__ import annotations

from realtime.client.core.config import SessionConfig
from realtime.client.core.mcp import McpServer, secrets
from realtime.client.core.session_update import session_payload
from realtime.protocol.events import client_event
from realtime.recording.session import SessionRecording

KEY = "plain words 4815162342 as a key"  # not key-shaped: only registration scrubs it


def test_observed_events_reach_the_log_and_the_item_clock_with_keys_scrubbed() -> None:
    recording = SessionRecording(secrets=[KEY])
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": KEY}]}
    recording.observe("client", client_event("conversation.item.create", item=item), 10.0)
    added = {"type": "conversation.item.added", "item": {"id": "u1", **item}}
    recording.observe("server", added, 10.25)
    assert [e.type for e in recording.log.events()] == [
        "conversation.item.create",
        "conversation.item.added",
    ]
    assert KEY not in recording.log.to_jsonl()
    assert recording.item_times.times() == {"u1": 0.25}


def test_a_key_registered_later_is_scrubbed_from_then_on() -> None:
    recording = SessionRecording()
    recording.add_secret(KEY)
    recording.observe("server", {"type": "error", "error": {"message": KEY}}, 1.0)
    assert KEY not in recording.log.to_jsonl()


def test_both_sides_audio_lands_on_one_timeline() -> None:
    now = [100.0]
    recording = SessionRecording(clock=lambda: now[0])
    recording.hear_user(bytes(4800), at=100.0)  # 100 ms of microphone audio
    now[0] = 100.5
    recording.hear_assistant(bytes(2400))  # 50 ms played half a second later
    assert recording.audio.duration_s == 0.55


def test_mcp_keys_and_headers_never_reach_the_log_even_when_echoed_in_text() -> None:
    server = McpServer(
        "docs",
        "https://mcp.example.com/mcp",
        headers=(("X-Api", "header words 0123456789"),),
        authorization="mcp-key-planted-0123456789",
    )
    recording = SessionRecording(secrets=secrets((server,)))
    payload = session_payload(SessionConfig(mcp_servers=(server,)))
    recording.observe("client", client_event("session.update", session=payload), 1.0)
    echo = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "bad header header words 0123456789"},
    }
    recording.observe("server", echo, 1.1)
    jsonl = recording.log.to_jsonl()
    assert "mcp-key-planted" not in jsonl and "header words" not in jsonl
    assert '"X-Api": "[redacted]"' in jsonl and "mcp.example.com" in jsonl
