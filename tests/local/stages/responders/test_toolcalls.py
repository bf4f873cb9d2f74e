"""Function calls by a model that cannot choose to make them
(``realtime.local.stages.responders.toolcalls``): the arguments checked against the tool."""

from __future__ import annotations

import json

import pytest

from realtime.local.stages.responders import toolcalls
from realtime.protocol.errors import EngineError
from tests.support.responders import WEATHER


def test_call_arguments_are_checked_against_the_parameters() -> None:
    tools = (WEATHER,)
    ok = toolcalls.parse_call('{"name":"get_weather","arguments":{"city":"Rome"}}', tools)
    assert json.loads(ok.arguments) == {"city": "Rome"}
    for bad in (
        '{"name":"get_weather","arguments":{"city":3}}',
        '{"name":"get_weather","arguments":{"city":"Rome","unit":"kelvin"}}',
        '{"name":"get_time","arguments":{}}',
        "not json",
    ):
        with pytest.raises(EngineError):
            toolcalls.parse_call(bad, tools)
    assert toolcalls.relevant_tools("will the weather be nice", tools) == tools
    assert toolcalls.relevant_tools("tell me a joke", tools) == ()
