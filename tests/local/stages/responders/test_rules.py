"""The rule-based responder (``realtime.local.stages.responders.rules``): travel questions become
tool calls, chat gets short honest replies, tool outputs are read back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime.local.stages.responders.responder import (
    Message,
    Reply,
    ResponseRequest,
)
from realtime.local.stages.responders.rules import (
    PREAMBLES,
    RuleBasedResponder,
    find_intent,
    find_intents,
)
from tests.support.responders import TRAVEL_TOOLS


def ask(text: str, *, tools: tuple[Any, ...] = TRAVEL_TOOLS, choice: str = "auto") -> Reply:
    request = ResponseRequest((Message("message", "user", text),), tools=tools, tool_choice=choice)
    return RuleBasedResponder().respond(request)


@pytest.mark.parametrize(
    ("question", "name", "arguments"),
    [
        ("What time is it in Tokyo?", "get_local_time", {"place": "Tokyo"}),
        ("what's the time in new york right now", "get_local_time", {"place": "New York"}),
        ("Good morning! What time is it in Paris please?", "get_local_time", {"place": "Paris"}),
        ("What time is it in. Tokyo right now?", "get_local_time", {"place": "Tokyo"}),
        ("what time it is in? Lisbon", "get_local_time", {"place": "Lisbon"}),
        (
            "How far is it from Paris to New York?",
            "get_flight_estimate",
            {"origin": "Paris", "destination": "New York"},
        ),
        (
            "How far is Tokyo from London?",
            "get_flight_estimate",
            {"origin": "London", "destination": "Tokyo"},
        ),
        (
            "How long is the flight from London to Sydney?",
            "get_flight_estimate",
            {"origin": "London", "destination": "Sydney"},
        ),
        (
            "How many miles between Boston and Chicago?",
            "get_flight_estimate",
            {"origin": "Boston", "destination": "Chicago"},
        ),
        ("Which airport is LHR?", "find_airport", {"query": "LHR"}),
        ("What airports are there in Lisbon?", "find_airport", {"query": "Lisbon"}),
    ],
)
def test_travel_questions_become_tool_calls(
    question: str, name: str, arguments: dict[str, str]
) -> None:
    reply = ask(question)
    assert reply.text == PREAMBLES[name]  # said while the tool runs
    (call,) = reply.calls
    assert (call.name, json.loads(call.arguments)) == (name, arguments)


@pytest.mark.parametrize("question", ["Tell me a joke", "from here to there, how far?", ""])
def test_other_questions_get_no_tool_call(question: str) -> None:
    # "here" and "there" are vague places: the rules must not turn them into a flight estimate
    assert find_intent(question) is None
    assert find_intents(question) == ()
    assert ask(question).calls == ()


def test_a_tool_the_session_does_not_offer_is_named_not_called() -> None:
    for reply in (ask("What time is it in Tokyo?", tools=()), ask("Time in Oslo?", choice="none")):
        assert reply.calls == () and "get_local_time" in reply.text


def test_chat_replies_are_short_and_honest() -> None:
    assert ask("Hello!").text.startswith("Hello!")
    assert "offline voice assistant" in ask("Who are you?").text
    assert ask("Thanks a lot").text == "You're welcome!"
    fallback = ask("Write me a poem about the sea")
    assert "local time" in fallback.text and fallback.calls == ()
    assert "didn't catch" in ask("   ").text


def test_function_outputs_are_spoken_from_their_fields() -> None:
    output = json.dumps(
        {
            "place": "Tokyo",
            "time": "14:05",
            "weekday": "Friday",
            "date": "2025-03-07",
            "time_zone": "Asia/Tokyo",
            "utc_offset": "+09:00",
        }
    )
    messages = (
        Message("message", "user", "What time is it in Tokyo?"),
        Message("function_call", text='{"place": "Tokyo"}', name="get_local_time", call_id="c1"),
        Message("function_call_output", text=output, call_id="c1"),
    )
    reply = RuleBasedResponder().respond(ResponseRequest(messages, tools=TRAVEL_TOOLS))
    assert reply.calls == ()
    assert reply.text == (
        "In Tokyo it is 14:05 on Friday, March 7. The time zone is Asia/Tokyo, UTC+09:00."
    )


def test_several_places_become_parallel_calls() -> None:
    assert find_intents("What time is it in Tokyo and in Paris?") == (
        ("get_local_time", '{"place": "Tokyo"}'),
        ("get_local_time", '{"place": "Paris"}'),
    )
    assert len(find_intents("what time is it in Tokyo, London and New York")) == 3
    assert len(find_intents("What time is it in Tokyo?")) == 1
    assert find_intents("Tell me a joke") == ()


@pytest.mark.parametrize(
    "request_text",
    [
        "How do I say thank you in Spanish?",
        "Say hello to my mother for me",
        "Can you help me boil an egg?",
        "Write a goodbye letter to my old job",
        "What does cheers mean in British English?",
        "How are you going to get there?",
        "Oh, how are you so sure?",
    ],
)
def test_a_phrase_inside_a_longer_request_is_not_small_talk(request_text: str) -> None:
    assert (
        RuleBasedResponder().answer(ResponseRequest((Message("message", "user", request_text),)))
        is None
    )


@pytest.mark.parametrize(
    ("said", "start"),
    [
        ("Thank you so much!", "You're welcome!"),
        ("Okay, thanks!", "You're welcome!"),
        ("Hi there", "Hello!"),
        ("Hello, how are you?", "Hello!"),
        ("How are you?", "I'm well, thanks!"),
        ("Oh, how are you doing?", "I'm well, thanks!"),
        ("Ok bye then", "Goodbye!"),
        ("What can you do?", "I'm an offline voice assistant,"),
    ],
)
def test_small_talk_as_a_whole_utterance_still_gets_its_reply(said: str, start: str) -> None:
    assert ask(said).text.startswith(start)
