"""A responder over any OpenAI-compatible chat-completions endpoint, streamed.

Runs on a worker thread of the local server, one call per response; ``stream`` yields text
deltas as the model generates them (the server speaks each sentence as it completes). What
flows through: the conversation (``ResponseRequest``) becomes chat-completions ``messages``
(user and assistant text, ``tool_calls`` for function calls, ``tool`` messages for their
outputs) and ``tools``; the answer's ``content`` and ``tool_calls`` become text deltas and
``CallRequest`` items. :class:`ChatCompletionsResponder` POSTs to ``URL/chat/completions`` with
``urllib`` (no extra dependency), streamed as server-sent events: llama.cpp's server, Ollama,
vLLM, or any other compatible endpoint.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

from realtime.local.stages.no_redirect import Opener, endpoint, open_url
from realtime.local.stages.responders.responder import CallRequest, Chunk, Reply, ResponseRequest
from realtime.protocol.errors import EngineError

__all__ = [
    "ChatCompletionsResponder",
    "chat_messages",
    "chat_tools",
    "reply_from_message",
    "sse_data",
]


def chat_messages(request: ResponseRequest) -> list[dict[str, Any]]:
    """The conversation as chat-completions messages (calls and outputs as tool messages)."""
    out: list[dict[str, Any]] = []
    if request.instructions:
        out.append({"role": "system", "content": request.instructions})
    for message in request.messages:
        if message.type == "function_call":
            call = {
                "id": message.call_id,
                "type": "function",
                "function": {"name": message.name, "arguments": message.text or "{}"},
            }
            last = out[-1] if out else None
            if last and last["role"] == "assistant" and last.get("tool_calls"):
                last["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif message.type == "function_call_output":
            out.append({"role": "tool", "tool_call_id": message.call_id, "content": message.text})
        elif message.images:  # the OpenAI chat format's image parts, after the words
            parts: list[dict[str, Any]] = [{"type": "text", "text": message.text}]
            parts += [{"type": "image_url", "image_url": {"url": url}} for url in message.images]
            out.append({"role": message.role or "user", "content": parts[not message.text :]})
        elif message.text:
            out.append({"role": message.role or "user", "content": message.text})
    return out


def chat_tools(request: ResponseRequest) -> list[dict[str, Any]]:
    allowed = request.callable_tools
    return [
        {
            "type": "function",
            "function": {
                "name": tool["name"],
                "description": tool.get("description", ""),
                "parameters": tool.get("parameters") or {"type": "object", "properties": {}},
            },
        }
        for tool in request.tools
        if tool.get("name") in allowed
    ]


def reply_from_message(message: Any) -> Reply:
    """A ``Reply`` from a chat-completions ``choices[0].message``."""
    if not isinstance(message, dict):
        raise EngineError("The chat endpoint answered without a message.")
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments = function.get("arguments") or "{}"
        if not isinstance(arguments, str):  # some servers send an object
            arguments = json.dumps(arguments)
        calls.append(CallRequest(str(function.get("name", "")), arguments))
    return Reply(str(message.get("content") or "").strip(), tuple(calls))


class ChatCompletionsResponder:
    """A :class:`~realtime.local.stages.responders.responder.Responder` backed by a
    chat-completions URL.

    ``url`` is the base (``http://127.0.0.1:8080/v1``) or the full ``.../chat/completions``.
    A turn's images go to it as ``image_url`` parts: a vision model sees them.
    """

    sees_images = True

    def __init__(
        self,
        url: str,
        *,
        model: str = "local",
        api_key: str | None = None,
        timeout: float = 60.0,
        opener: Opener = open_url,
    ) -> None:
        self.url = endpoint(url, "/chat/completions")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self._open = opener

    def respond(self, request: ResponseRequest) -> Reply:
        try:
            with self._post(self._body(request, stream=False)) as answer:
                data = json.loads(answer.read().decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise EngineError(f"The chat endpoint {self.url} did not answer JSON: {exc}") from exc
        except OSError as exc:
            raise EngineError(f"Cannot reach the chat endpoint {self.url}: {exc}") from exc
        try:
            return reply_from_message(data["choices"][0]["message"])
        except (KeyError, IndexError, TypeError) as exc:
            raise EngineError(f"The chat endpoint {self.url} answered an odd shape.") from exc

    def stream(self, request: ResponseRequest) -> Iterator[Chunk]:
        """The answer as server-sent events: ``content`` deltas as they come, then the calls
        (their ``arguments`` arrive in pieces, joined by ``index``)."""
        answer = self._post(self._body(request, stream=True))
        calls: dict[int, dict[str, str]] = {}
        try:
            for data in sse_data(answer):
                for choice in data.get("choices") or ():
                    delta = choice.get("delta") or {}
                    if delta.get("content"):
                        yield str(delta["content"])
                    for part in delta.get("tool_calls") or ():
                        call = calls.setdefault(int(part.get("index", 0)), {"name": "", "args": ""})
                        function = part.get("function") or {}
                        call["name"] += function.get("name") or ""
                        arguments = function.get("arguments") or ""
                        call["args"] += (
                            arguments if isinstance(arguments, str) else json.dumps(arguments)
                        )
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise EngineError(f"The chat endpoint {self.url} broke off its stream: {exc}") from exc
        finally:
            answer.close()
        for _, call in sorted(calls.items()):
            yield CallRequest(call["name"], call["args"] or "{}")

    def _body(self, request: ResponseRequest, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": chat_messages(request)}
        if stream:
            body["stream"] = True
        tools = chat_tools(request)
        if tools:
            body["tools"] = tools
            body["tool_choice"] = "required" if request.tool_choice == "required" else "auto"
        if request.max_output_tokens:
            body["max_tokens"] = request.max_output_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def _post(self, body: Mapping[str, Any]) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        http = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            return self._open(http, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            raise EngineError(f"The chat endpoint {self.url} refused the request: {exc}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise EngineError(f"Cannot reach the chat endpoint {self.url}: {exc}") from exc


def sse_data(stream: Any) -> Iterator[dict[str, Any]]:
    """The JSON ``data:`` payloads of a server-sent event stream, up to ``data: [DONE]``."""
    for raw in stream:
        line = raw.decode("utf-8").strip() if isinstance(raw, bytes) else str(raw).strip()
        if not line.startswith("data:"):
            continue  # blank separators, comments, event names
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            return
        try:
            data = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise EngineError(
                f"A chat stream sent something that is not JSON: {payload[:80]!r}"
            ) from exc
        if isinstance(data, dict):
            yield data
