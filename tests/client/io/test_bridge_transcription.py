"""A transcription session through the bridge against the real local engine, GA and beta:
spoken audio becomes a timed, completed segment; nothing answers; push-to-talk commits only."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from realtime.client.core.snapshot import LinkState
from realtime.client.io.bridge import Bridge
from realtime.local.server import EngineServer
from realtime.protocol.facts import ApiVersion
from realtime.protocol.wav import read_wav
from realtime.recording.subtitles import segments
from tests.support.bridge import config_for, wait_for

pytestmark = pytest.mark.engine

TOKYO = read_wav(Path(__file__).parents[2] / "fixtures" / "audio" / "what_time_tokyo.wav").pcm


@pytest.mark.parametrize("version", list(ApiVersion))
def test_spoken_audio_becomes_a_timed_segment_and_nothing_answers(
    engine: EngineServer, make_bridge: Callable[..., Bridge], version: ApiVersion
) -> None:
    config = config_for(engine.url, api_version=version, session_type="transcription")
    bridge = make_bridge(config)
    snapshot = wait_for(bridge, lambda s: s.state is LinkState.CONNECTED and bool(s.session))
    assert snapshot.session["object"] == "realtime.transcription_session"
    audio = bytes(24000) + TOKYO + bytes(72000)
    for start in range(0, len(audio), 960):
        bridge.push_audio(audio[start : start + 960])
        time.sleep(0.005)
    snapshot = wait_for(bridge, lambda s: any(g.final and g.text for g in segments(s.items)))
    (segment,) = segments(snapshot.items)
    assert "tokyo" in segment.text.lower()
    assert 0 < segment.start_ms < segment.end_ms
    assert not snapshot.turns and not snapshot.response_active and not snapshot.notices
