"""Function calling end to end: the bridge, the tool registry and the local engine on a socket.

The engine's responder asks for a tool through real function-call events; the bridge runs the
tool off its loop, sends the output and one response.create; the spoken answer carries the
result. Failing tools (an exception, a timeout) go back to the model as error outputs and the
conversation goes on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from realtime.client.core.config import Provider, SessionConfig
from realtime.client.core.snapshot import LinkState
from realtime.client.io.bridge import Bridge
from realtime.local.server import EngineServer
from realtime.recording.eventlog import EventLog
from realtime.recording.session import SessionRecording
from realtime.tools import ToolRegistry, default_registry
from tests.support.bridge import S, assistant_texts, finished, wait_for

pytestmark = pytest.mark.engine


@pytest.fixture
def logs() -> dict[int, EventLog]:
    """The event log of each bridge ``start`` made, by ``id(bridge)``."""
    return {}


@pytest.fixture
def start(
    engine: EngineServer, logs: dict[int, EventLog]
) -> Iterator[Callable[[ToolRegistry], Bridge]]:
    bridges: list[Bridge] = []

    def make(registry: ToolRegistry, **kwargs: Any) -> Bridge:
        config = SessionConfig(
            provider=Provider.LOCAL,
            base_url=engine.url,
            voice="joe",
            output_modalities=("text",),
            tools=tuple(registry.definitions()),
        )
        recording = SessionRecording()
        bridge = Bridge(config, tools=registry, on_event=recording.observe, **kwargs)
        logs[id(bridge)] = recording.log
        bridges.append(bridge)
        bridge.start()
        wait_for(bridge, lambda s: s.state is LinkState.CONNECTED)
        return bridge

    yield make
    for bridge in bridges:
        bridge.stop()


def test_typed_travel_question_calls_the_tool_and_answers_with_its_result(
    start: Callable[..., Bridge], logs: dict[int, EventLog]
) -> None:
    bridge = start(default_registry)
    bridge.send_text("How far is it from JFK to LHR?")
    snapshot = wait_for(bridge, finished(2))
    (run,) = snapshot.tool_runs
    assert run.name == "get_flight_estimate" and run.ok
    assert json.loads(run.arguments) == {"origin": "JFK", "destination": "LHR"}
    km = json.loads(run.output or "{}")["distance_km"]
    assert abs(km - 5540) / 5540 < 0.01
    assert (
        f"{round(km):,}" in assistant_texts(snapshot)[-1]
        or str(round(km)) in assistant_texts(snapshot)[-1]
    )
    sent = [e.event for e in logs[id(bridge)].events() if e.direction == "client"]
    outputs = [
        e
        for e in sent
        if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"
    ]
    assert len(outputs) == 1 and outputs[0]["item"]["output"] == run.output


def failing_registry(behaviour: str, timeout: float = 0.3) -> ToolRegistry:
    registry = ToolRegistry(timeout=timeout)
    release = threading.Event()

    def get_local_time(place: str) -> dict[str, str]:
        """Local time of a place.

        Args:
            place: A city, airport code or time zone.
        """
        if behaviour == "raise":
            raise RuntimeError("the clock service is down")
        release.wait(5)  # far past the registry's time limit
        return {"time": "never"}

    registry.register(get_local_time)
    return registry


@pytest.mark.parametrize(
    ("behaviour", "code", "said"),
    [("raise", "tool_exception", "clock service is down"), ("hang", "timeout", "")],
)
def test_failing_tool_gives_the_model_an_error_and_the_conversation_goes_on(
    start: Callable[..., Bridge], behaviour: str, code: str, said: str
) -> None:
    bridge = start(failing_registry(behaviour))
    bridge.send_text("What time is it in Tokyo?")
    snapshot = wait_for(bridge, finished(2))
    (run,) = snapshot.tool_runs
    assert run.ok is False and json.loads(run.output or "{}")["code"] == code
    spoken = assistant_texts(snapshot)[-1]
    assert "couldn't answer" in spoken and said in spoken
    assert snapshot.state is LinkState.CONNECTED and not snapshot.notices
    bridge.send_text("Thank you!")
    snapshot = wait_for(bridge, finished(3))
    assert len(assistant_texts(snapshot)) >= 2


def test_parallel_calls_are_all_answered_before_one_response_create(
    start: Callable[..., Bridge], logs: dict[int, EventLog]
) -> None:
    bridge = start(default_registry)
    bridge.send_text("What time is it in Tokyo and in Paris?")
    snapshot = wait_for(bridge, finished(2))
    runs = snapshot.tool_runs
    assert [json.loads(r.arguments)["place"] for r in runs] == ["Tokyo", "Paris"]
    assert all(r.ok for r in runs)
    log = logs[id(bridge)]
    sent = [e.event for e in log.events() if e.direction == "client"]
    after_text = sent[[e["type"] for e in sent].index("response.create") + 1 :]
    # Both outputs go out before the single response.create that asks for the answer.
    assert [e["type"] for e in after_text] == [
        "conversation.item.create",
        "conversation.item.create",
        "response.create",
    ]
    responses = {e.event["response"]["id"] for e in log.events() if e.type == "response.done"}
    assert len(responses) == 2
    spoken = assistant_texts(snapshot)[-1]
    for run in runs:
        assert json.loads(run.output or "{}")["time"] in spoken


def test_the_session_stays_live_while_a_slow_tool_runs(start: Callable[..., Bridge]) -> None:
    registry = ToolRegistry(timeout=5.0)
    release = threading.Event()

    def get_local_time(place: str) -> dict[str, str]:
        """Local time of a place.

        Args:
            place: A city, airport code or time zone.
        """
        release.wait(5)
        return {"place": place, "time": "12:34"}

    registry.register(get_local_time)
    bridge = start(registry)
    bridge.send_text("What time is it in Tokyo?")
    wait_for(bridge, lambda s: bool(s.tool_runs) and s.tool_runs[0].ok is None)
    # The tool is still running: a settings change still goes out and its echo comes back.
    bridge.update_session(bridge.config.replace(instructions="Be brief."))
    wait_for(bridge, lambda s: s.session.get("instructions") == "Be brief.", timeout=3 * S)
    assert bridge.snapshot().tool_runs[0].ok is None
    release.set()
    snapshot = wait_for(bridge, finished(2))
    assert snapshot.tool_runs[0].ok and "12:34" in assistant_texts(snapshot)[-1]
