"""Pure tests of the tool registry: schemas from typed functions, validation, calls, timeouts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Literal, Optional

import pytest

from realtime.protocol.errors import ConfigError
from realtime.tools import ToolCall, ToolFailure, ToolRegistry, ToolResult, build_spec
from realtime.tools.schema import parse_docstring

MS = 0.001  # one scaled time unit for every wait in this file
CALLS: list[str] = []  # cities plan_trip was called with


@pytest.fixture
def registry() -> Iterator[ToolRegistry]:
    with ToolRegistry(timeout=2.0) as registry:
        yield registry


def plan_trip(
    city: str,
    nights: int,
    budget: float = 1000.0,
    pace: Literal["slow", "normal", "fast"] = "normal",
    pets: bool = False,
    note: str | None = None,
    stops: Optional[int] = None,  # noqa: UP045  the typing.Optional spelling is under test
    tags: list[str] | None = None,
) -> dict[str, object]:
    """Plan a trip to a city
    for a number of nights.

    This second paragraph is for people, not for the model.

    Args:
        city: Destination city.
        nights (int): How many nights,
            at least one.
        budget: Total budget in euros.
        pace: How busy the days are.
        pets: Whether pets come along.
        note: Free text for the planner.
        tags: Interests, e.g. ["food", "art"].

    Returns:
        The arguments as received.
    """
    CALLS.append(city)
    return {
        "city": city, "nights": nights, "budget": budget, "pace": pace, "pets": pets,
        "note": note, "stops": stops, "tags": tags,
    }  # fmt: skip


PLAN_TRIP_PARAMETERS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "Destination city."},
        "nights": {"type": "integer", "description": "How many nights, at least one."},
        "budget": {"type": "number", "description": "Total budget in euros.", "default": 1000.0},
        "pace": {
            "type": "string",
            "enum": ["slow", "normal", "fast"],
            "description": "How busy the days are.",
            "default": "normal",
        },
        "pets": {"type": "boolean", "description": "Whether pets come along.", "default": False},
        "note": {
            "type": ["string", "null"],
            "description": "Free text for the planner.",
            "default": None,
        },
        "stops": {"type": ["integer", "null"], "default": None},
        "tags": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "description": 'Interests, e.g. ["food", "art"].',
            "default": None,
        },
    },
    "required": ["city", "nights"],
    "additionalProperties": False,
}


def test_definition_from_typed_function(registry: ToolRegistry) -> None:
    registry.register(plan_trip)
    (definition,) = registry.definitions()
    assert definition == {
        "type": "function",
        "name": "plan_trip",
        "description": "Plan a trip to a city for a number of nights.",
        "parameters": PLAN_TRIP_PARAMETERS,
    }
    assert json.loads(json.dumps(definition)) == definition


def test_optional_literal_and_no_parameters() -> None:
    def pick(level: Literal[1, 2, 3] | None) -> int:
        """Pick a level."""
        return level or 0

    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert build_spec(pick).parameters["properties"]["level"] == {
        "type": ["integer", "null"],
        "enum": [1, 2, 3, None],
    }
    assert build_spec(pick).parameters["required"] == ["level"]
    assert build_spec(ping).parameters == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_parse_docstring_sections() -> None:
    summary, params = parse_docstring(plan_trip.__doc__)
    assert summary == "Plan a trip to a city for a number of nights."
    assert params["nights"] == "How many nights, at least one."
    assert set(params) == {"city", "nights", "budget", "pace", "pets", "note", "tags"}


def test_valid_arguments_are_coerced_and_defaults_applied(registry: ToolRegistry) -> None:
    registry.register(plan_trip)
    result = registry.call(
        "plan_trip", '{"city": "Oslo", "nights": 2.0, "budget": 5, "note": null}', call_id="c1"
    )
    assert result.ok and result.error is None and result.code is None
    expected = {"city": "Oslo", "nights": 2, "budget": 5.0, "note": None}
    assert result.arguments == expected
    assert isinstance(result.arguments["nights"], int)
    assert isinstance(result.arguments["budget"], float)
    assert json.loads(result.output) == {
        **expected, "pace": "normal", "pets": False, "stops": None, "tags": None,
    }  # fmt: skip
    assert result.item() == {
        "type": "function_call_output",
        "call_id": "c1",
        "output": result.output,
    }
    assert result.duration_ms >= 0


@pytest.mark.parametrize(
    ("arguments", "code", "param"),
    [
        ("{not json", "invalid_json", None),
        ('{"city": "Oslo", "nights": NaN}', "invalid_json", None),
        ("[1, 2]", "invalid_arguments", None),
        ('"Oslo"', "invalid_arguments", None),
        ('{"city": 5, "nights": 2}', "invalid_type", "city"),
        ('{"city": null, "nights": 2}', "invalid_type", "city"),
        ('{"city": "Oslo", "nights": true}', "invalid_type", "nights"),
        ('{"city": "Oslo", "nights": 2.5}', "invalid_type", "nights"),
        ('{"city": "Oslo", "nights": "2"}', "invalid_type", "nights"),
        ('{"city": "Oslo", "nights": 2, "pets": "yes"}', "invalid_type", "pets"),
        ('{"city": "Oslo", "nights": 2, "tags": "food"}', "invalid_type", "tags"),
        ('{"city": "Oslo", "nights": 2, "tags": ["food", 3]}', "invalid_type", "tags[1]"),
        ('{"nights": 2}', "missing_required_parameter", "city"),
        ("{}", "missing_required_parameter", "city"),
        ('{"city": "Oslo", "nights": 2, "extra": 1}', "unknown_parameter", "extra"),
        ('{"city": "Oslo", "nights": 2, "pace": "warp"}', "invalid_value", "pace"),
    ],
)
def test_bad_arguments_give_an_error_result(
    registry: ToolRegistry, arguments: str, code: str, param: str | None
) -> None:
    CALLS.clear()
    registry.register(plan_trip)
    result = registry.call("plan_trip", arguments, call_id="c9")
    assert not result.ok
    assert result.code == code
    assert result.arguments is None
    assert result.call_id == "c9"
    payload = json.loads(result.output)
    assert payload["code"] == code
    assert payload["error"] == result.error
    assert payload.get("param") == param
    assert CALLS == []  # the function never ran


def test_empty_arguments_count_as_an_empty_object(registry: ToolRegistry) -> None:
    @registry.tool
    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert registry.call("ping", "").output == '"pong"'
    assert registry.call("ping", "{}").output == '"pong"'


def test_unknown_tool(registry: ToolRegistry) -> None:
    registry.register(plan_trip)
    result = registry.call("book_hotel", "{}", call_id="c2")
    assert (result.ok, result.code, result.arguments) == (False, "unknown_tool", None)
    payload = json.loads(result.output)
    assert "book_hotel" in payload["error"] and "plan_trip" in payload["error"]


def test_raising_tool_gives_its_message(registry: ToolRegistry) -> None:
    @registry.tool
    def divide(a: int, b: int) -> float:
        """Divide a by b."""
        if b == 0:
            raise ValueError("cannot divide by zero")
        return a / b

    result = registry.call("divide", '{"a": 1, "b": 0}')
    assert not result.ok
    assert result.arguments == {"a": 1, "b": 0}
    assert result.error == "cannot divide by zero"
    assert json.loads(result.output) == {
        "error": "cannot divide by zero",
        "code": "tool_exception",
        "exception": "ValueError",
    }
    assert registry.call("divide", '{"a": 1, "b": 4}').output == "0.25"


def test_tool_failure_carries_code_and_details(registry: ToolRegistry) -> None:
    @registry.tool
    def lookup(key: str) -> str:
        """Look a key up."""
        raise ToolFailure(f"no key {key!r}", code="not_found", suggestions=["alpha"])

    result = registry.call("lookup", '{"key": "alfa"}')
    assert (result.ok, result.code, result.error) == (False, "not_found", "no key 'alfa'")
    assert json.loads(result.output) == {
        "error": "no key 'alfa'",
        "code": "not_found",
        "suggestions": ["alpha"],
    }


def test_output_that_is_not_json(registry: ToolRegistry) -> None:
    @registry.tool
    def numbers() -> object:
        """Return a set, which JSON cannot hold."""
        return {1, 2}

    result = registry.call("numbers", "{}")
    assert (result.ok, result.code) == (False, "invalid_output")


def test_timeout_returns_an_error_result(registry: ToolRegistry) -> None:
    release = threading.Event()

    @registry.tool
    def slow() -> str:
        """Wait until released."""
        release.wait(timeout=5.0)
        return "late"

    try:
        result = registry.call("slow", "{}", call_id="c3", timeout=50 * MS)
    finally:
        release.set()
    assert (result.ok, result.code, result.call_id) == (False, "timeout", "c3")
    assert result.arguments == {}
    assert result.duration_ms >= 50
    assert json.loads(result.output) == {
        "error": "slow did not finish within 0.05 s",
        "code": "timeout",
    }


def test_call_many_runs_calls_concurrently_in_order(registry: ToolRegistry) -> None:
    barrier = threading.Barrier(3, timeout=2.0)  # only passes if three calls run at once

    @registry.tool
    def meet(who: str) -> str:
        """Wait for the others, then greet."""
        barrier.wait()
        return f"hi {who}"

    calls = [
        ToolCall("meet", '{"who": "a"}', "c1"),
        ToolCall("nope", "{}", "c2"),
        ToolCall("meet", '{"who": "b"}', "c3"),
        ToolCall("meet", '{"who": 3}', "c4"),
        ToolCall("meet", '{"who": "c"}', "c5"),
    ]
    results = registry.call_many(calls)
    assert [r.call_id for r in results] == ["c1", "c2", "c3", "c4", "c5"]
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert [r.output for r in results if r.ok] == ['"hi a"', '"hi b"', '"hi c"']
    assert [r.code for r in results if not r.ok] == ["unknown_tool", "invalid_type"]
    assert all(isinstance(r, ToolResult) for r in results)


def test_call_many_one_timeout_does_not_spoil_the_rest(registry: ToolRegistry) -> None:
    release = threading.Event()

    @registry.tool
    def wait(quick: bool) -> bool:
        """Return at once when quick, else wait until released."""
        if not quick:
            release.wait(timeout=5.0)
        return quick

    try:
        results = registry.call_many(
            [ToolCall("wait", '{"quick": false}'), ToolCall("wait", '{"quick": true}')],
            timeout=50 * MS,
        )
    finally:
        release.set()
    assert [r.code for r in results] == ["timeout", None]


def test_definitions_for_enabled_tools(registry: ToolRegistry) -> None:
    registry.register(plan_trip)

    @registry.tool(name="ping-v2")
    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert registry.names() == ["plan_trip", "ping-v2"]
    assert "ping-v2" in registry and len(registry) == 2
    assert [d["name"] for d in registry.definitions(["ping-v2"])] == ["ping-v2"]
    assert registry.definitions([]) == []
    with pytest.raises(ConfigError, match="unknown tool 'weather'"):
        registry.definitions(["weather", "ping-v2"])
    with pytest.raises(ConfigError, match="unknown tool"):
        registry.spec("weather")


def _no_hint(city) -> str:  # type: ignore[no-untyped-def]  # the missing hint is under test
    """Has a parameter without a type hint."""
    return str(city)


def _varargs(*cities: str) -> str:
    """Takes *args."""
    return ""


def _dict_param(options: dict[str, str]) -> str:
    """Takes a dict."""
    return ""


def _mixed_union(value: int | str) -> str:
    """Takes a union."""
    return ""


def _no_docstring(city: str) -> str:
    return city


def _documents_ghost(city: str) -> str:
    """Documents a parameter it does not have.

    Args:
        town: Not a parameter.
    """
    return city


@pytest.mark.parametrize(
    ("func", "message"),
    [
        (_no_hint, "needs a type hint"),
        (_varargs, r"\*args"),
        (_dict_param, "unsupported type"),
        (_mixed_union, "only 'X | None' unions"),
        (_no_docstring, "needs a docstring"),
        (_documents_ghost, "does not have"),
    ],
)
def test_functions_that_cannot_be_described(func: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ToolRegistry().register(func)  # type: ignore[arg-type]  # each is a deliberately bad tool


def test_bad_name_and_duplicates(registry: ToolRegistry) -> None:
    with pytest.raises(ConfigError, match="tool name"):
        registry.register(plan_trip, name="plan trip")
    registry.register(plan_trip)
    registry.register(plan_trip)  # the same function again (a reload) replaces it
    with pytest.raises(ConfigError, match="already registered"):
        registry.register(
            _documents_ghost.__wrapped__ if False else _other_plan_trip, name="plan_trip"
        )


def _other_plan_trip(city: str) -> str:
    """Another tool that wants the same name."""
    return city


def test_warm_runs_each_warm_up_once_on_the_pool_without_waiting() -> None:
    registry = ToolRegistry()
    gate, loaded = threading.Event(), []

    def load() -> str:
        gate.wait(5)
        loaded.append(threading.current_thread().name)
        return "ready"

    registry.add_warm_up(load)
    try:
        futures = registry.warm()  # returns while the load is still blocked
        assert len(futures) == 1 and not futures[0].done()
        assert registry.warm() == []  # once per registry
        gate.set()
        assert futures[0].result(5) == "ready"
        assert loaded and loaded[0].startswith("realtime-tool")
    finally:
        registry.close()


def test_the_default_registry_warms_the_travel_tables() -> None:
    from realtime.tools import airports, default_registry, travel

    airports._index = None  # noqa: SLF001 - cold, as in a fresh app process
    travel._zone_keys.cache_clear()  # noqa: SLF001
    default_registry._warmed = False  # noqa: SLF001
    for future in default_registry.warm():
        future.result(60)
    assert airports._index is not None  # noqa: SLF001
    assert travel._zone_keys.cache_info().currsize == 1  # noqa: SLF001
