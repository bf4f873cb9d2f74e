"""The conversation survives: the bridge against the real engine (port 0), through a proxy the
test cuts mid-answer, with sessions that expire, and typed messages over the spoken answer.

After every reconnect the new server session must hold the earlier items with their ids
(``conversation.item.retrieve``), nothing may be left active, and the transcript on screen
must stay as it was. ``SOAK_CUTS=100`` runs the long soak (default 10 cuts); it prints its
figures.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from realtime.client.core.replay import ReplayBudget, replay_item
from realtime.client.core.snapshot import LinkState, Snapshot
from realtime.client.io.bridge import Bridge
from realtime.client.io.playback import Playback
from realtime.local.server import EngineServer
from realtime.protocol.facts import ApiVersion
from tests.support.bridge import S, config_for, finished, wait_for, wait_until
from tests.support.servers import CuttableProxy
from tests.support.speaker import RealTimeSpeaker

pytestmark = pytest.mark.engine

SOAK_CUTS = int(os.environ.get("SOAK_CUTS", "10"))
LONG_QUESTION = "Tell me everything you can do, in detail."
WHOLE = ReplayBudget(max_items=10_000, max_chars=10_000_000)  # the soak checks every item


class ServerEvents:
    """The server events the bridge received (its ``on_event`` observer), from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []

    def __call__(self, direction: str, event: dict[str, Any], at: float) -> None:
        if direction == "server":
            with self._lock:
                self.events.append(event)

    def since(self, mark: int, event_type: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events[mark:] if e.get("type") == event_type]

    @property
    def mark(self) -> int:
        with self._lock:
            return len(self.events)


def lines(snapshot: Snapshot) -> list[tuple[str, str, str, str]]:
    return [(i.id, i.role, i.text, i.status) for i in snapshot.items]


def carried(snapshot: Snapshot, version: ApiVersion) -> list[str]:
    return [i.id for i in snapshot.items if replay_item(i, version) is not None]


def held_by_server(bridge: Bridge, seen: ServerEvents, ids: list[str]) -> set[str]:
    """Ask the server for each id; the ids it returned (errors mean missing)."""
    mark = seen.mark
    for item_id in ids:
        bridge.retrieve_item(item_id)

    def answered() -> bool:
        got = seen.since(mark, "conversation.item.retrieved") + seen.since(mark, "error")
        return len(got) >= len(ids)

    wait_until(answered, timeout=20 * S, what="every retrieve to be answered")
    return {e["item"]["id"] for e in seen.since(mark, "conversation.item.retrieved")}


def test_soak_of_cuts_mid_answer_keeps_the_conversation_on_screen_and_on_the_server(
    proxy: CuttableProxy, make_bridge: Callable[..., Bridge]
) -> None:
    playback = Playback()
    seen = ServerEvents()
    bridge = make_bridge(
        config_for(proxy.url),
        playback=playback,
        # Every connection is cut before it holds (30 s or an answer done): one wait per cut,
        # else the link gives up on the run of quick drops as it should.
        reconnect_delays=(0.1,) * (SOAK_CUTS + 1),
        on_event=seen,
        replay_budget=WHOLE,
    )
    speaker = RealTimeSpeaker(playback)
    figures = dict.fromkeys(
        ("cuts", "reconnects", "crashes", "lines_lost", "lines_changed", "items_expected"), 0
    )
    figures |= dict.fromkeys(("items_present", "in_progress_left", "active_left"), 0)
    try:
        wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
        for n in range(SOAK_CUTS):
            bridge.send_text(f"{LONG_QUESTION} (turn {n + 1})")
            speaking = wait_for(
                bridge,
                lambda s: (
                    s.response_active and any(playback.played_ms(i.id) >= 100 for i in s.items[-1:])
                ),
            )
            proxy.cut()
            figures["cuts"] += 1
            cut_id = speaking.items[-1].id
            after = wait_for(
                bridge,
                lambda s, n=n: s.reconnects == n + 1 and s.state is LinkState.CONNECTED,
            )
            figures["reconnects"] = after.reconnects
            figures["crashes"] += after.state is LinkState.FAILED or not bridge.running
            # Every line shown before the cut is still there; the cut answer says what was
            # heard, a prefix of what had arrived.
            shown = {i.id: i for i in after.items}
            for item in speaking.items:
                now = shown.get(item.id)
                if now is None:
                    figures["lines_lost"] += 1
                elif item.id == cut_id:
                    ok = item.text.startswith(now.text) and now.status == "incomplete"
                    figures["lines_changed"] += not ok
                elif now.text != item.text:
                    figures["lines_changed"] += 1
            figures["active_left"] += after.response_active or playback.pending_ms > 0
            figures["in_progress_left"] += sum(t.status == "in_progress" for t in after.turns)
            expected = carried(after, ApiVersion.GA)
            held = held_by_server(bridge, seen, expected)
            figures["items_expected"] += len(expected)
            figures["items_present"] += len(held & set(expected))
            settled = bridge.snapshot()
            figures["lines_changed"] += lines(settled) != lines(after)  # echoes left it alone
            assert not settled.response_active
    finally:
        speaker.stop()
    print(f"\nsoak figures: {figures}")
    assert figures["reconnects"] == figures["cuts"] == SOAK_CUTS
    assert figures["crashes"] == figures["lines_lost"] == figures["lines_changed"] == 0
    assert figures["items_present"] == figures["items_expected"] > 0
    assert figures["in_progress_left"] == figures["active_left"] == 0
    # The next turn works at once after the last cut.
    bridge.send_text("Hello again.")
    done = wait_for(bridge, lambda s: any(i.text == "Hello again." for i in s.items))
    assert [n.text for n in done.notices if n.text.startswith("Reconnected:")]


@pytest.mark.parametrize("version", list(ApiVersion))
def test_a_session_the_server_ends_for_its_length_continues_with_the_replay(
    engine: EngineServer,
    make_bridge: Callable[..., Bridge],
    monkeypatch: pytest.MonkeyPatch,
    version: ApiVersion,
) -> None:
    # A server that does not announce expires_at: the client learns of the end from the
    # session_expired error, as from a hosted session it did not renew in time.
    monkeypatch.setattr("realtime.client.core.session_clock.SessionClock.observe", lambda *a: None)
    with EngineServer(engine=engine.engine, max_session_seconds=3 * S) as short:
        seen = ServerEvents()
        config = config_for(short.url, api_version=version, output_modalities=("text",))
        bridge = make_bridge(config, on_event=seen)
        wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
        bridge.send_text("Hello! Who are you?")
        before = wait_for(bridge, finished(1))
        renewed = wait_for(
            bridge, lambda s: s.reconnects == 1 and s.state is LinkState.CONNECTED, 10 * S
        )
        assert seen.since(0, "error")[0]["error"]["code"] == "session_expired"
        assert any("time limit" in n.text for n in renewed.notices)
        assert any(n.text == "Reconnected: 2 earlier items carried over" for n in renewed.notices)
        assert held_by_server(bridge, seen, [i.id for i in before.items]) == {
            i.id for i in before.items
        }
        bridge.send_text("Thanks!")
        after = wait_for(bridge, finished(2))
        assert lines(after)[:2] == lines(before)


def test_a_session_near_its_limit_is_renewed_before_the_server_ends_it(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    with EngineServer(engine=engine.engine, max_session_seconds=4 * S) as short:
        seen = ServerEvents()
        config = config_for(short.url, output_modalities=("text",))
        bridge = make_bridge(config, on_event=seen)
        wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
        bridge.send_text("Hello! Who are you?")
        before = wait_for(bridge, finished(1))
        renewed = wait_for(
            bridge, lambda s: s.reconnects == 1 and s.state is LinkState.CONNECTED, 10 * S
        )
        assert not seen.since(0, "error")  # renewed from expires_at, before the server's end
        assert held_by_server(bridge, seen, [i.id for i in before.items]) == {
            i.id for i in before.items
        }
        assert lines(renewed) == lines(before)


def test_a_typed_message_over_the_spoken_answer_stops_it_and_truncates_at_what_was_heard(
    engine: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    playback = Playback()
    seen = ServerEvents()
    sent: list[dict[str, Any]] = []

    def observe(direction: str, event: dict[str, Any], at: float) -> None:
        seen(direction, event, at)
        if direction == "client":
            sent.append(event)

    bridge = make_bridge(config_for(engine.url), playback=playback, on_event=observe)
    wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
    bridge.send_text(LONG_QUESTION)
    wait_for(bridge, lambda s: playback.pending_ms > 1500)
    speaker = RealTimeSpeaker(playback)
    try:
        speaking = wait_for(bridge, lambda s: playback.played_ms(s.items[-1].id) >= 600)
        answer_id = speaking.items[-1].id
        asked = time.monotonic()
        bridge.send_text("Hello again.")
        # The answer's own audio (the next one's may come at once: its opening is a clip).
        wait_until(
            lambda: playback.pending_ms_of(answer_id) == 0, timeout=1 * S, what="the audio to stop"
        )
        stopped_after = time.monotonic() - asked
        heard = playback.played_ms(answer_id)
        snapshot = wait_for(bridge, finished(2))
        time.sleep(0.2 * S)
        assert playback.played_ms(answer_id) == heard  # nothing more of it was played
    finally:
        speaker.stop()
    assert stopped_after < 0.2
    types = [e["type"] for e in sent]
    start = types.index("conversation.item.truncate")
    tail = types[start : start + 2]
    if "response.cancel" in types[start:]:
        assert tail == ["conversation.item.truncate", "response.cancel"]
    assert types[types.index("conversation.item.truncate") :].count("response.create") == 1
    truncate = sent[start]
    assert truncate["item_id"] == answer_id and abs(truncate["audio_end_ms"] - heard) <= 60
    # On screen and in the server's memory: only what was heard, a prefix of what arrived.
    arrived = speaking.items[-1].text
    item = {i.id: i for i in snapshot.items}[answer_id]
    assert item.heard is not None and arrived.startswith(item.heard)
    assert len(item.heard) < len(arrived) and item.truncated_at_ms == truncate["audio_end_ms"]
    mark = seen.mark
    bridge.retrieve_item(answer_id)
    wait_until(lambda: seen.since(mark, "conversation.item.retrieved"), what="the item")
    content = seen.since(mark, "conversation.item.retrieved")[0]["item"]["content"][0]
    assert arrived.startswith(content["transcript"]) and len(content["transcript"]) < len(arrived)
    assert item.text == content["transcript"]
    # The only error allowed: our cancel crossing the answer's own end on the wire (a race the
    # hosted API has too), and the user never sees it.
    cancels = {e["event_id"] for e in sent if e["type"] == "response.cancel"}
    for error in [e["error"] for e in seen.events if e.get("type") == "error"]:
        assert (error["code"], error["event_id"] in cancels) == ("response_cancel_not_active", True)
    assert not [n for n in bridge.snapshot().notices if "ancel" in n.text]
    assert snapshot.items[-1].role == "assistant" and snapshot.items[-2].text == "Hello again."
