"""A chat-completions URL as the responder (``realtime.local.stages.responders.chat_http``):
messages and tools out, text and calls back, whole or streamed as server-sent events."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from realtime.local.stages.responders import chat_http
from realtime.local.stages.responders.responder import (
    CallRequest,
    Message,
    Reply,
    ResponseRequest,
)
from realtime.protocol.errors import EngineError
from tests.support.responders import TRAVEL_TOOLS, WEATHER, user_request


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
    asked = user_request("hi", tools=(WEATHER,), max_output_tokens=50, temperature=0.6)
    chunks = list(responder.stream(asked))
    assert chunks == ["Hello", " from SSE.", CallRequest("get_weather", '{"city": "Oslo"}')]
    body = SSEHandler.bodies[-1]
    assert body["stream"] is True and body["max_tokens"] == 50 and body["temperature"] == 0.6
    assert body["tools"][0]["function"]["name"] == "get_weather"
