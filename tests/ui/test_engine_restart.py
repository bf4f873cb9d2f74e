"""The engine child killed mid-answer (``kill -9``): the supervisor starts it again on the same
port, the bridge reconnects and replays, and the conversation goes on as if nothing happened.

A real engine child (Piper speaks, the rules answer) and a real bridge over loopback.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from realtime.client.core.snapshot import LinkState
from realtime.client.io.bridge import Bridge
from realtime.client.io.playback import Playback
from realtime.ui.engine_process import EngineProcess
from tests.support.bridge import S, config_for, finished, wait_for
from tests.support.speaker import RealTimeSpeaker

pytestmark = pytest.mark.engine

KEY = "restart-test-key-" + "y" * 20
LONG_QUESTION = "Tell me everything you can do, in detail."


@pytest.fixture
def engine() -> Iterator[EngineProcess]:
    process = EngineProcess(key=KEY, args=("--responder", "rules")).start()
    yield process
    process.stop()


def test_an_engine_killed_mid_answer_comes_back_with_the_conversation(
    engine: EngineProcess,
) -> None:
    first = engine.ready(120 * S)
    playback = Playback()
    bridge = Bridge(
        config_for(first.url), api_key=KEY, playback=playback, reconnect_delays=(0.5,) * 120
    )
    speaker = RealTimeSpeaker(playback)
    bridge.start()
    try:
        wait_for(bridge, lambda s: s.state is LinkState.CONNECTED, timeout=30 * S)
        bridge.send_text("Hello there.")
        # The greeting heard to its end, so the next question does not cut it.
        greeted = wait_for(bridge, lambda s: finished(1)(s) and playback.pending_ms == 0)
        bridge.send_text(LONG_QUESTION)
        speaking = wait_for(
            bridge,
            lambda s: s.response_active and any(playback.played_ms(i.id) >= 100 for i in s.items),
            timeout=30 * S,
        )
        os.kill(first.pid, signal.SIGKILL)
        back = wait_for(
            bridge,
            lambda s: s.reconnects >= 1 and s.state is LinkState.CONNECTED,
            timeout=60 * S,
        )
        assert engine.restarts == 1
        assert engine.ready(60 * S).url == first.url
        # Every line shown before the kill is still there, with its text (the cut answer as
        # heard), and the next turn is answered by the new engine child.
        shown = {i.id: i for i in back.items}
        for item in greeted.items:
            assert shown[item.id].text == item.text
        cut = speaking.items[-1]
        assert cut.text.startswith(shown[cut.id].text)
        assert not back.response_active
        bridge.send_text("Hello again.")
        after = wait_for(bridge, finished(3))
        assert after.items[-1].role == "assistant" and after.items[-1].text
        assert any(n.text.startswith("Reconnected:") for n in after.notices)
    finally:
        speaker.stop()
        bridge.stop()
