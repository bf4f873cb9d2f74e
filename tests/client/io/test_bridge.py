"""The bridge against the real local engine on 127.0.0.1 (port 0), GA and beta.

Spoken and typed turns, live session.update, barge-in with a real-time playback consumer, the
server dropping the socket mid-answer (through a loopback proxy the test can cut), a wrong
key, stop from the bridge's own thread, and nothing left running after stop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from realtime.client.core.config import ServerVad
from realtime.client.core.snapshot import LinkState, Snapshot
from realtime.client.io.bridge import Bridge
from realtime.client.io.playback import Playback
from realtime.local.server import EngineServer
from realtime.protocol.facts import ApiVersion
from realtime.protocol.wav import read_wav
from realtime.recording.session import SessionRecording
from realtime.tools import default_registry
from tests.support.bridge import (
    S,
    assistant_texts,
    config_for,
    finished,
    wait_for,
    wait_until,
)
from tests.support.servers import CuttableProxy
from tests.support.speaker import RealTimeSpeaker

pytestmark = pytest.mark.engine

FIXTURES = Path(__file__).parents[2] / "fixtures"
TOKYO = read_wav(FIXTURES / "audio" / "what_time_tokyo.wav").pcm


def answered(snapshot: Snapshot, count: int = 1) -> bool:
    return finished(count)(snapshot)


def speak(bridge: Bridge, pcm: bytes, *, silence_s: float = 1.5, pace: float = 4.0) -> None:
    """Stream speech then silence in 20 ms chunks, ``pace`` times faster than real time."""
    audio = bytes(24000) + pcm + bytes(int(48000 * silence_s))
    for start in range(0, len(audio), 960):
        bridge.push_audio(audio[start : start + 960])
        time.sleep(0.02 / pace)


@pytest.mark.parametrize("version", list(ApiVersion))
def test_typed_turn_gets_a_typed_answer(
    engine: EngineServer, make_bridge: Callable[..., Bridge], version: ApiVersion
) -> None:
    bridge = make_bridge(config_for(engine.url, api_version=version, output_modalities=("text",)))
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    bridge.send_text("Hello! Who are you?")
    snapshot = wait_for(bridge, answered)
    assert [i.role for i in snapshot.items][:2] == ["user", "assistant"]
    assert snapshot.items[0].text == "Hello! Who are you?"
    assert assistant_texts(snapshot) and len(assistant_texts(snapshot)[0]) > 10
    assert snapshot.usage.total_tokens > 0


def test_spoken_turn_transcribes_and_answers_with_audio(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    playback = Playback()
    bridge = make_bridge(config_for(engine.url, tools=()), playback=playback)
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    speak(bridge, TOKYO)
    snapshot = wait_for(bridge, answered, timeout=60 * S)
    user = [i for i in snapshot.items if i.role == "user"][0]
    assert "tokyo" in user.text.lower() and "time" in user.text.lower()
    assert assistant_texts(snapshot)
    assert playback.pending_ms > 300  # the spoken answer waits for the speaker
    turn = snapshot.turns[0]
    assert turn.latency("first_audio") is not None and turn.latency("first_audio") > 0
    assert snapshot.dropped_audio_chunks == 0


def test_spoken_travel_question_runs_the_tool_and_speaks_its_result(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    tools = tuple(default_registry.definitions())
    bridge = make_bridge(config_for(engine.url, tools=tools), tools=default_registry)
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    speak(bridge, TOKYO)
    snapshot = wait_for(bridge, lambda s: answered(s, 2), timeout=60 * S)
    (run,) = snapshot.tool_runs
    assert run.name == "get_local_time" and run.ok and '"Tokyo"' in run.arguments
    assert run.output is not None
    import json

    local = json.loads(run.output)
    spoken = assistant_texts(snapshot)[-1]
    hour, minute = local["time"].split(":")[:2]
    assert f"{int(hour) % 12 or 12}:{minute}" in spoken or f"{hour}:{minute}" in spoken


def test_live_session_update_applies_without_reconnecting(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    config = config_for(engine.url)
    bridge = make_bridge(config)
    wait_for(bridge, lambda s: s.session.get("instructions") == config.instructions)
    bridge.update_session(config.replace(instructions="Be terse.", output_modalities=("text",)))
    snapshot = wait_for(bridge, lambda s: s.session.get("instructions") == "Be terse.")
    assert snapshot.session["output_modalities"] == ["text"]
    assert snapshot.reconnects == 0


def test_barge_in_truncates_at_what_was_heard(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    playback = Playback()
    recording = SessionRecording()
    config = config_for(engine.url, turn_detection=ServerVad(interrupt_response=True))
    bridge = make_bridge(config, playback=playback, on_event=recording.observe)
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    bridge.send_text("Tell me everything you can do, in detail.")
    wait_for(bridge, lambda s: playback.pending_ms > 1500)
    speaker = RealTimeSpeaker(playback)
    try:
        # The user hears about 600 ms, then talks over it.
        wait_for(bridge, lambda s: any(playback.played_ms(i.id) >= 600 for i in s.items))
        speak(bridge, TOKYO, silence_s=0.2)
        snapshot = wait_for(bridge, lambda s: any(i.truncated_at_ms for i in s.items))
    finally:
        speaker.stop()
    (truncated,) = [i for i in snapshot.items if i.truncated_at_ms is not None]
    heard = playback.played_ms(truncated.id)
    sent = [e.event for e in recording.log.events() if e.type == "conversation.item.truncate"]
    assert sent and sent[0]["item_id"] == truncated.id
    assert abs(sent[0]["audio_end_ms"] - heard) <= 60  # one or two 20 ms frames in flight
    assert 400 <= sent[0]["audio_end_ms"] < truncated.audio_ms
    assert playback.pending_ms == 0
    # The engine synthesises faster than real time, so its response is usually complete while
    # the speaker still plays it: the truncation is what makes its memory match what was heard.
    confirmed = [e.event for e in recording.log.events() if e.type == "conversation.item.truncated"]
    assert confirmed and confirmed[0]["audio_end_ms"] == sent[0]["audio_end_ms"]


def test_server_closing_mid_answer_reconnects_and_keeps_the_transcript(
    proxy: CuttableProxy, make_bridge: Callable[..., Bridge]
) -> None:
    playback = Playback()
    recording = SessionRecording()
    bridge = make_bridge(
        config_for(proxy.url),
        playback=playback,
        reconnect_delays=(0.1,) * 5,
        on_event=recording.observe,
    )
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    bridge.send_text("Hello there.")
    wait_for(bridge, answered)
    bridge.send_text("Tell me everything you can do, in detail.")
    wait_for(bridge, lambda s: s.response_active and playback.pending_ms > 200)
    proxy.cut()
    snapshot = wait_for(bridge, lambda s: s.reconnects == 1 and s.state is LinkState.CONNECTED)
    assert snapshot.items[0].text == "Hello there."  # the transcript survived
    assert any("reconnecting" in n.text for n in snapshot.notices)
    bridge.send_text("Are you still there?")
    snapshot = wait_for(bridge, lambda s: any(i.text == "Are you still there?" for i in s.items))
    sent = [e.event for e in recording.log.events() if e.type == "session.update"]
    assert len(sent) >= 2  # the session was sent again after reconnecting


def test_wrong_key_fails_clearly_without_retrying(
    make_bridge: Callable[..., Bridge],
) -> None:
    attempts = []
    with EngineServer(api_key="right-key-123") as locked:
        from realtime.client.io.transport import open_transport

        async def counting_open(url: str, headers: dict[str, str]) -> Any:
            attempts.append(url)
            return await open_transport(url, headers)

        bridge = make_bridge(
            config_for(locked.url), api_key="wrong-key-456", open_transport=counting_open
        )
        snapshot = wait_for(bridge, lambda s: s.state is LinkState.FAILED, timeout=10 * S)
        wait_until(lambda: not bridge.running, what="the bridge thread to end")
    assert snapshot.error is not None and "API key was refused" in snapshot.error
    assert "wrong-key-456" not in snapshot.error
    assert len(attempts) == 1 and not bridge.running


def test_unreachable_server_retries_with_backoff_then_fails(
    make_bridge: Callable[..., Bridge],
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bridge = make_bridge(config_for(f"ws://127.0.0.1:{port}/v1"), reconnect_delays=(0.05, 0.1, 0.2))
    snapshot = wait_for(bridge, lambda s: s.state is LinkState.FAILED, timeout=10 * S)
    assert "connection refused" in (snapshot.error or "")
    assert sum("retrying" in n.text for n in snapshot.notices) == 3


def test_stop_from_the_bridge_thread_and_nothing_left_running(
    proxy: CuttableProxy,
) -> None:
    holder: dict[str, Bridge] = {}

    def stop_on_first_server_event(direction: str, event: Any, at: float) -> None:
        if direction == "server":
            holder["bridge"].stop()  # runs on the bridge thread: must not self-join

    bridge = Bridge(config_for(proxy.url), on_event=stop_on_first_server_event)
    holder["bridge"] = bridge
    bridge.start()
    wait_until(lambda: not bridge.running, what="the bridge thread to end")
    assert bridge.snapshot().state is LinkState.STOPPED
    wait_until(lambda: proxy.open_connections == 0, timeout=2 * S, what="the socket to close")
    assert not [t for t in threading.enumerate() if t.name == "realtime-bridge"]


def test_stop_is_prompt_idempotent_and_restartable(
    proxy: CuttableProxy, make_bridge: Callable[..., Bridge]
) -> None:
    bridge = make_bridge(config_for(proxy.url))
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    started = time.monotonic()
    bridge.stop()
    assert time.monotonic() - started < 1.0 * S
    bridge.stop()
    assert not bridge.running
    wait_until(lambda: proxy.open_connections == 0, timeout=1 * S, what="the socket to close")
    bridge.start()
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    assert proxy.accepted == 2


def test_api_key_never_enters_the_event_log_or_snapshot(
    make_bridge: Callable[..., Bridge],
) -> None:
    key = "sk-local-test-key-987654"
    recording = SessionRecording(secrets=[key])  # as the studio registers the key it hands over
    with EngineServer(api_key=key) as locked:
        config = config_for(locked.url, output_modalities=("text",))
        bridge = make_bridge(config, api_key=key, on_event=recording.observe)
        wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
        bridge.send_text(f"My key is {key}, please remember it.")
        snapshot = wait_for(bridge, answered)
    assert key not in recording.log.to_jsonl()
    assert any(e.type == "conversation.item.create" for e in recording.log.events())
    assert key not in repr(snapshot.notices) and key not in repr(snapshot.session)


def test_the_bridge_loop_is_uvloop_where_it_is_installed() -> None:
    uvloop = pytest.importorskip("uvloop")  # in requirements.txt except on Windows
    from realtime.client.io.bridge import new_event_loop

    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
