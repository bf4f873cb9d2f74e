"""Streaming answers: sentences out of deltas, SSE from a chat URL, the hybrid responder's
routing, grammar-call checks, and the first audio of a streamed answer over a real socket.

Everything here runs without the optional language-model extra: the model is a fake that
streams fixed text slowly, or a loopback HTTP server that speaks chat-completions SSE.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from realtime.local.engine import Engine
from realtime.local.server import EngineServer
from realtime.local.stages.responders import chat_http, llama, toolcalls
from realtime.local.stages.responders.hybrid import HybridResponder
from realtime.local.stages.responders.responder import (
    CallRequest,
    Chunk,
    Message,
    Reply,
    ResponseRequest,
    collect,
    start_reply,
)
from realtime.local.stages.responders.rules import RuleBasedResponder
from realtime.local.stages.text.sentences import sentences
from realtime.local.stages.text.streaming import SentenceBuffer
from realtime.protocol.errors import EngineError
from realtime.tools import default_registry
from tests.local.test_server import TEXT_ONLY, TURN, of_type, open_client

TRAVEL = tuple(default_registry.definitions())
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    },
}


def request(text: str, **fields: Any) -> ResponseRequest:
    return ResponseRequest((Message("message", "user", text),), **fields)


# ---- pure ---------------------------------------------------------------------------------
def test_sentence_buffer_hands_back_each_sentence_once_it_has_ended() -> None:
    buffer = SentenceBuffer()
    out: list[str] = []
    for delta in ["Hel", "lo there", ". Dr", ". Smith is ", "in. How", " are you?", " Fine"]:
        out += buffer.feed(delta)
    assert out == ["Hello there.", "Dr. Smith is in.", "How are you?"]
    assert buffer.flush() == ["Fine"]
    assert buffer.flush() == []


LONG_OPENING = (
    "I'm the offline voice assistant of Realtime Voice Studio, running on this computer. "
    "Ask me the time."
)


def test_a_long_first_sentence_hands_back_its_first_clause_before_it_ends() -> None:
    buffer = SentenceBuffer()
    first = LONG_OPENING.index(",") + 1
    assert buffer.feed(LONG_OPENING[: first + 5]) == []  # too few words after the comma yet
    assert buffer.feed(LONG_OPENING[first + 5 : first + 16]) == [LONG_OPENING[:first]]
    rest = buffer.feed(LONG_OPENING[first + 16 :]) + buffer.flush()
    assert rest == ["running on this computer.", "Ask me the time."]


@pytest.mark.parametrize("step", [1, 3, 7, len(LONG_OPENING)])
def test_the_pieces_are_the_same_however_the_text_is_streamed(step: int) -> None:
    buffer = SentenceBuffer()
    out: list[str] = []
    for start in range(0, len(LONG_OPENING), step):
        out += buffer.feed(LONG_OPENING[start : start + step])
    out += buffer.flush()
    assert out == [
        "I'm the offline voice assistant of Realtime Voice Studio,",
        "running on this computer.",
        "Ask me the time.",
    ]
    assert " ".join(out) == LONG_OPENING  # nothing lost, nothing doubled


def test_only_the_first_sentence_is_split() -> None:
    buffer = SentenceBuffer()
    text = "Sure. " + LONG_OPENING
    assert buffer.feed(text) + buffer.flush() == ["Sure.", *sentences(LONG_OPENING)]


class FakeModel:
    """Streams ``text`` word by word, ``pause`` seconds apart; records when it finished."""

    def __init__(self, text: str, pause: float = 0.0) -> None:
        self.text, self.pause = text, pause
        self.requests: list[ResponseRequest] = []
        self.finished_at: float | None = None

    def respond(self, request: ResponseRequest) -> Reply:
        return collect(self.stream(request))

    def stream(self, request: ResponseRequest) -> Iterator[Chunk]:
        self.requests.append(request)
        for index, word in enumerate(self.text.split(" ")):
            time.sleep(self.pause)
            yield word if index == 0 else " " + word
        self.finished_at = time.monotonic()


@pytest.mark.parametrize(
    "text",
    ["What time is it in Tokyo?", "Hello!", "Who are you?", "Thanks!", "Which airport is LHR?"],
)
def test_the_hybrid_gives_the_rules_answers_unchanged(text: str) -> None:
    model = FakeModel("never")
    asked = request(text, tools=TRAVEL)
    assert HybridResponder(model).stream(asked) == RuleBasedResponder().respond(asked)
    assert model.requests == []


def test_what_no_rule_knows_goes_to_the_model_with_the_session_settings() -> None:
    model = FakeModel("Why did the cat sit on the computer? To keep an eye on the mouse.")
    asked = request("Tell me a joke about cats", instructions="Be funny.", temperature=0.7)
    reply = collect(start_reply(HybridResponder(model), asked))
    assert reply.text.startswith("Why did the cat")
    assert model.requests == [asked]


def test_an_own_tool_is_called_through_the_model_and_checked() -> None:
    class Caller(FakeModel):
        def call(self, req: ResponseRequest, tools: tuple[Any, ...]) -> CallRequest:
            return toolcalls.parse_call(
                json.dumps({"name": "get_weather", "arguments": {"city": "Oslo"}}), tools
            )

    reply = HybridResponder(Caller("")).stream(request("Weather in Oslo?", tools=(WEATHER,)))
    assert reply == Reply(calls=(CallRequest("get_weather", '{"city": "Oslo"}'),))
    # a question that does not meet the tool's words is a chat turn
    chat = HybridResponder(Caller("Sure.")).stream(request("Tell me a joke", tools=(WEATHER,)))
    assert collect(chat).text == "Sure."


def test_a_model_that_cannot_call_says_so() -> None:
    class Mute(FakeModel):
        calls_tools = False

    reply = HybridResponder(Mute("sunny")).stream(request("Weather in Oslo?", tools=(WEATHER,)))
    assert isinstance(reply, Reply) and not reply.calls
    assert "cannot call tools" in reply.text and "sunny" not in reply.text

    class Broken(FakeModel):
        def call(self, req: ResponseRequest, tools: tuple[Any, ...]) -> CallRequest:
            return toolcalls.parse_call('{"name": "get_weather", "arguments": {}}', tools)

    reply = HybridResponder(Broken("")).stream(request("Weather in Oslo?", tools=(WEATHER,)))
    assert isinstance(reply, Reply) and "could not fill in" in reply.text


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


# ---- a chat URL streamed as server-sent events -----------------------------------------
class SSEHandler(http.server.BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SSEHandler.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        deltas: list[dict[str, Any]] = [
            {"content": "Hello"},
            {"content": " from SSE."},
            {"tool_calls": [{"index": 0, "function": {"name": "get_weather", "arguments": ""}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": ' "Oslo"}'}}]},
        ]
        for delta in deltas:
            self.wfile.write(f"data: {json.dumps({'choices': [{'delta': delta}]})}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture
def sse_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SSEHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_chat_url_streams_text_and_calls(sse_url: str) -> None:
    responder = chat_http.ChatCompletionsResponder(sse_url, model="m")
    asked = request("hi", tools=(WEATHER,), max_output_tokens=50, temperature=0.6)
    chunks = list(responder.stream(asked))
    assert chunks == ["Hello", " from SSE.", CallRequest("get_weather", '{"city": "Oslo"}')]
    body = SSEHandler.bodies[-1]
    assert body["stream"] is True and body["max_tokens"] == 50 and body["temperature"] == 0.6
    assert body["tools"][0]["function"]["name"] == "get_weather"


# ---- over a real socket: the first audio leaves before the model is done ----------------
SLOW = "The first sentence is short. Then a second one follows. And a third one ends it."


@pytest.mark.engine
def test_first_audio_of_a_streamed_answer_comes_before_generation_ends() -> None:
    model = FakeModel(SLOW, pause=0.15)  # about 2.4 s of generation
    engine = replace(Engine.default(responder="rules"), responder=HybridResponder(model))
    with EngineServer(engine=engine) as server, open_client(server.realtime_url()) as client:
        client.say("Tell me something long")
        first_audio = None
        while (event := client.recv(TURN))["type"] != "response.done":
            if event["type"] == "response.output_audio.delta" and first_audio is None:
                first_audio = time.monotonic()
        events = client.events
    assert first_audio is not None and model.finished_at is not None
    assert first_audio < model.finished_at - 0.5  # the model had more than a second to go
    assert events[-1]["response"]["status"] == "completed"
    transcript = events[-1]["response"]["output"][0]["content"][0]["transcript"]
    assert transcript == SLOW


@pytest.mark.engine
def test_a_streamed_text_answer_arrives_sentence_by_sentence() -> None:
    model = FakeModel(SLOW)
    engine = replace(Engine.default(responder="rules"), responder=HybridResponder(model))
    with EngineServer(engine=engine) as server, open_client(server.realtime_url()) as client:
        client.update(**TEXT_ONLY)
        client.say("Tell me something long")
        events = client.until("response.done", TURN)
    deltas = [e["delta"] for e in of_type(events, "response.output_text.delta")]
    assert deltas == [
        "The first sentence is short.",
        " Then a second one follows.",
        " And a third one ends it.",
    ]
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == SLOW


def test_the_model_reads_calls_as_text_and_the_history_is_cut_to_the_context() -> None:
    turns = (
        Message("message", "user", "first question " * 30),
        Message("message", "assistant", "first answer"),
        Message("function_call", name="get_weather", text='{"city": "Oslo"}', call_id="c1"),
        Message("function_call_output", text='{"sky": "clear"}', call_id="c1"),
        Message("message", "user", "and now?"),
    )
    messages = llama.llama_messages(ResponseRequest(turns, instructions="Be brief."))
    assert messages[0]["role"] == "system" and messages[0]["content"].startswith("Be brief.")
    assert [m["role"] for m in messages[1:]] == ["user", "assistant", "user"]
    assert "get_weather" in messages[2]["content"] and "clear" in messages[3]["content"]

    class Words:  # a tokenizer of one token per word
        def tokenize(self, text: bytes, add_bos: bool = False) -> list[int]:
            return [0] * len(text.split())

    fitted = llama.LlamaCppResponder(n_ctx=120)._fit(Words(), messages, 20)
    assert fitted[0] == messages[0] and fitted[-1] == messages[-1]
    assert messages[1] not in fitted  # the oldest, longest turn went first
