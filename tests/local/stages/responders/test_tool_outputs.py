"""Tool outputs read back as sentences (``realtime.local.stages.responders.tool_outputs``), from
the fields the travel tools' own types name."""

from __future__ import annotations

import ast
import inspect
import json
from typing import get_type_hints

from realtime.local.stages.responders import tool_outputs
from realtime.local.stages.responders.tool_outputs import describe_output
from realtime.tools import default_registry, travel


def test_real_tool_outputs_read_well() -> None:
    flight = default_registry.call(
        "get_flight_estimate", json.dumps({"origin": "Paris", "destination": "Tokyo"})
    )
    text = describe_output("get_flight_estimate", flight.output)
    data = json.loads(flight.output)
    assert f"{data['distance_km']:,} kilometres" in text and "Tokyo is 8 hours ahead" in text
    airport = default_registry.call("find_airport", json.dumps({"query": "LHR"}))
    assert "Heathrow" in describe_output("find_airport", airport.output)
    missing = default_registry.call("get_local_time", json.dumps({"place": "Londn"}))
    assert "Did you mean" in describe_output("get_local_time", missing.output)
    ambiguous = default_registry.call("get_local_time", json.dumps({"place": "Portland"}))
    said = describe_output("get_local_time", ambiguous.output)
    assert "Oregon" in said and "Maine" in said and "call again" not in said


def test_odd_outputs_are_read_back_not_invented() -> None:
    assert describe_output("x", "plain text") == "The x tool returned: plain text."
    assert describe_output("get_local_time", "{}") == "The get_local_time tool returned: {}."
    assert describe_output("t", json.dumps({"error": "boom", "code": "e"})) == (
        "The t tool couldn't answer: boom."
    )


def test_the_reader_reads_only_fields_the_travel_tools_output() -> None:
    # The fields read back are the travel tools' own (their types in realtime.tools.travel, which
    # tests/tools/test_travel.py ties to the real outputs), or those of a failure's output.
    tree = ast.parse(inspect.getsource(tool_outputs))
    read = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    } | {
        node.slice.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
    }
    read = {key for key in read if isinstance(key, str)}
    types = (travel.AirportMatches, travel.LocalTime, travel.FlightEstimate, travel.AirportSummary)
    fields = {name for shape in types for name in get_type_hints(shape)}
    assert read and read - fields <= {"error", "code", "suggestions", "candidates"}
