"""Today's session fields over a real socket: the engine takes every ``session.update`` the app
builds (the golden files), echoes each field back in the client's shape, and refuses what the
hosted API refuses with the same error shape (``type``, ``code``, ``param``).

The server runs on port 0 with the default engine; no test here speaks, so no model loads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from tests.fixtures.loader import FIXTURES
from tests.support.engine_client import Client, open_client

BETA = {"OpenAI-Beta": "realtime=v1"}


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    with EngineServer(engine=Engine.default()) as running:
        yield running


def _shaped_like(value: Any, shape: Any) -> Any:
    if isinstance(shape, dict) and isinstance(value, dict):
        return {k: _shaped_like(value.get(k), v) for k, v in shape.items()}
    if isinstance(shape, list) and isinstance(value, list) and len(shape) == len(value):
        return [_shaped_like(v, s) for v, s in zip(value, shape, strict=True)]
    return value


def _as_echoed(payload: dict[str, Any]) -> dict[str, Any]:
    """What the echo holds: an MCP tool's key and header values are never sent back."""
    tools = [
        {k: v for k, v in t.items() if k != "authorization"} | {"headers": None}
        if t.get("type") == "mcp"
        else t
        for t in payload.get("tools", [])
    ]
    return payload | {"tools": tools} if "tools" in payload else payload


def _headers(path: Path) -> dict[str, str]:
    return BETA if path.stem.endswith("_beta") else {}


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "session").glob("*.json")), ids=lambda p: p.stem
)
def test_every_golden_session_update_is_echoed_field_for_field(
    server: EngineServer, path: Path
) -> None:
    payload = json.loads(path.read_text())
    with open_client(server.realtime_url(), **_headers(path)) as client:
        echoed = client.update(**payload)
    expected = _as_echoed(payload)
    assert _shaped_like(echoed, expected) == expected
    if "mcp" in path.stem:
        assert "mcp-key-planted" not in json.dumps(echoed)


def _refusal(client: Client, session: dict[str, Any]) -> tuple[str, str, str]:
    client.send("session.update", event_id="evt_x", session=session)
    error = client.error()
    assert error["event_id"] == "evt_x" and error["message"]
    return error["type"], error["code"], error["param"]


GA_REFUSED = [
    ({"audio": {"input": {"turn_detection": {"idle_timeout_ms": 100}}}}, "invalid_value",
     "session.audio.input.turn_detection.idle_timeout_ms"),
    ({"audio": {"input": {"turn_detection": {"idle_timeout_ms": 60_000}}}}, "invalid_value",
     "session.audio.input.turn_detection.idle_timeout_ms"),
    ({"audio": {"input": {"turn_detection": {"prefix_padding_ms": 6000}}}}, "invalid_value",
     "session.audio.input.turn_detection.prefix_padding_ms"),
    ({"audio": {"output": {"speed": 2.0}}}, "invalid_value", "session.audio.output.speed"),
    ({"audio": {"output": {"voice": {"id": "nobody"}}}}, "invalid_value",
     "session.audio.output.voice.id"),
    ({"audio": {"input": {"noise_reduction": {"type": "far_field", "strength": 3}}}},
     "invalid_value", "session.audio.input.noise_reduction.strength"),
    ({"audio": {"input": {"transcription": {"model": "whisper-1", "delay": "slow"}}}},
     "invalid_value", "session.audio.input.transcription.delay"),
    ({"reasoning": {"effort": "max"}}, "invalid_value", "session.reasoning.effort"),
    ({"reasoning": {"budget": 5}}, "unknown_parameter", "session.reasoning.budget"),
    ({"parallel_tool_calls": "yes"}, "invalid_type", "session.parallel_tool_calls"),
    ({"truncation": "sometimes"}, "invalid_value", "session.truncation"),
    ({"truncation": {"type": "retention_ratio", "retention_ratio": 1.5}}, "invalid_value",
     "session.truncation.retention_ratio"),
    ({"truncation": {"type": "retention_ratio"}}, "missing_required_parameter",
     "session.truncation.retention_ratio"),
    ({"prompt": {"version": "1"}}, "missing_required_parameter", "session.prompt.id"),
    ({"include": ["everything"]}, "invalid_value", "session.include[0]"),
    ({"tracing": "on"}, "invalid_value", "session.tracing"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "code", "param"), GA_REFUSED, ids=[p for *_, p in GA_REFUSED])
def test_ga_refusals_have_the_hosted_error_shape(
    server: EngineServer, fields: dict[str, Any], code: str, param: str
) -> None:
    with open_client(server.realtime_url()) as client:
        refused = _refusal(client, {"type": "realtime", **fields})
    assert refused == ("invalid_request_error", code, param)


BETA_UNKNOWN = [
    ({"reasoning": {"effort": "low"}}, "session.reasoning"),
    ({"truncation": "disabled"}, "session.truncation"),
    ({"prompt": {"id": "pmpt_1"}}, "session.prompt"),
    ({"include": []}, "session.include"),
    ({"parallel_tool_calls": True}, "session.parallel_tool_calls"),
    (
        {"input_audio_noise_reduction": {"type": "near_field", "strength": 0.5}},
        "session.input_audio_noise_reduction.strength",
    ),
    (
        {"input_audio_transcription": {"model": "whisper-1", "delay": "low"}},
        "session.input_audio_transcription.delay",
    ),
]


@pytest.mark.parametrize(("fields", "param"), BETA_UNKNOWN, ids=[p for _, p in BETA_UNKNOWN])
def test_todays_ga_fields_are_unknown_to_beta(
    server: EngineServer, fields: dict[str, Any], param: str
) -> None:
    with open_client(server.realtime_url(), **BETA) as client:
        refused = _refusal(client, fields)
    assert refused == ("invalid_request_error", "unknown_parameter", param)


def test_a_refused_update_changes_nothing_and_the_session_goes_on(server: EngineServer) -> None:
    with open_client(server.realtime_url()) as client:
        client.update(type="realtime", audio={"output": {"speed": 1.25}})
        _refusal(client, {"type": "realtime", "audio": {"output": {"speed": 0.1}}})
        echoed = client.update(type="realtime", instructions="Be brief.")
    assert echoed["audio"]["output"]["speed"] == 1.25 and echoed["instructions"] == "Be brief."
