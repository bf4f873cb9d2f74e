"""The hybrid responder (``realtime.local.stages.responders.hybrid``): the rules first, then a
model (``tests.support.responders.FakeModel``), which fills in calls to the session's own tools."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime.local.stages.responders import toolcalls
from realtime.local.stages.responders.hybrid import HybridResponder
from realtime.local.stages.responders.responder import (
    CallRequest,
    Reply,
    ResponseRequest,
    collect,
    start_reply,
)
from realtime.local.stages.responders.rules import RuleBasedResponder
from tests.support.responders import TRAVEL_TOOLS, WEATHER, FakeModel, user_request


@pytest.mark.parametrize(
    "text",
    ["What time is it in Tokyo?", "Hello!", "Who are you?", "Thanks!", "Which airport is LHR?"],
)
def test_the_hybrid_gives_the_rules_answers_unchanged(text: str) -> None:
    model = FakeModel("never")
    asked = user_request(text, tools=TRAVEL_TOOLS)
    assert HybridResponder(model).stream(asked) == RuleBasedResponder().respond(asked)
    assert model.requests == []


def test_what_no_rule_knows_goes_to_the_model_with_the_session_settings() -> None:
    model = FakeModel("Why did the cat sit on the computer? To keep an eye on the mouse.")
    asked = user_request("Tell me a joke about cats", instructions="Be funny.", temperature=0.7)
    reply = collect(start_reply(HybridResponder(model), asked))
    assert reply.text.startswith("Why did the cat")
    assert model.requests == [asked]


def test_an_own_tool_is_called_through_the_model_and_checked() -> None:
    class Caller(FakeModel):
        def call(self, req: ResponseRequest, tools: tuple[Any, ...]) -> CallRequest:
            return toolcalls.parse_call(
                json.dumps({"name": "get_weather", "arguments": {"city": "Oslo"}}), tools
            )

    reply = HybridResponder(Caller("")).stream(user_request("Weather in Oslo?", tools=(WEATHER,)))
    assert reply == Reply(calls=(CallRequest("get_weather", '{"city": "Oslo"}'),))
    # a question that does not meet the tool's words is a chat turn
    chat = HybridResponder(Caller("Sure.")).stream(user_request("Tell me a joke", tools=(WEATHER,)))
    assert collect(chat).text == "Sure."


def test_a_model_that_cannot_call_says_so() -> None:
    class Mute(FakeModel):
        calls_tools = False

    reply = HybridResponder(Mute("sunny")).stream(
        user_request("Weather in Oslo?", tools=(WEATHER,))
    )
    assert isinstance(reply, Reply) and not reply.calls
    assert "cannot call tools" in reply.text and "sunny" not in reply.text

    class Broken(FakeModel):
        def call(self, req: ResponseRequest, tools: tuple[Any, ...]) -> CallRequest:
            return toolcalls.parse_call('{"name": "get_weather", "arguments": {}}', tools)

    reply = HybridResponder(Broken("")).stream(user_request("Weather in Oslo?", tools=(WEATHER,)))
    assert isinstance(reply, Reply) and "could not fill in" in reply.text
