"""A real bridge and the local engine (instant stages) on 127.0.0.1: the logprobs the session's
``include`` asks for reach the snapshot's user item and mark its unsure word."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from realtime.client.io.bridge import Bridge
from realtime.local.server import EngineServer
from realtime.protocol.pcm import bytes_for_ms
from realtime.ui.render.conversation import marked_transcript
from tests.support.bridge import config_for, wait_for
from tests.support.engines import instant_engine


@pytest.fixture(scope="module")
def instant() -> Iterator[EngineServer]:
    with EngineServer(engine=instant_engine()) as running:
        yield running


def test_logprobs_reach_the_snapshot_and_mark_the_unsure_word(
    instant: EngineServer, make_bridge: Callable[..., Bridge]
) -> None:
    config = config_for(
        instant.url,
        voice="alloy",  # the instant engine lists no voice of its own
        turn_detection=None,
        transcription_logprobs=True,
        output_modalities=("text",),
    )
    bridge = make_bridge(config)
    wait_for(bridge, lambda s: s.session.get("include") is not None)
    bridge.push_audio(bytes(bytes_for_ms(300)))
    bridge.commit()
    snapshot = wait_for(bridge, lambda s: any(i.logprobs for i in s.items))
    (user,) = [i for i in snapshot.items if i.role == "user"]
    assert user.text == "What time is it in Tokyo?"
    assert marked_transcript(user) == ('What time is it in <i title="30% sure">Tokyo?</i>')
