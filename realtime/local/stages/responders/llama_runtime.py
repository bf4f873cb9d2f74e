"""One GGUF model loaded in llama.cpp's server (the ``xllamacpp`` wheel), called in process.

Runs on the worker threads of the local server (through
``realtime.local.stages.responders.llama``) and on one helper thread per streamed answer.
:meth:`Runtime.stream` runs ``Server.handle_chat_completions`` on the helper thread, whose
callback hands each chunk to the reader through a queue and returns True (stop) once the reader
has closed the stream, so a cancelled response stops generating at its next token. llama.cpp's
server always opens an HTTP listener as well: here it is a Unix socket in a private temporary
folder (mode 0700) that also wants a random key, so it answers no one and no TCP port is opened;
the folder goes with :meth:`Runtime.close`.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from realtime.protocol.errors import EngineError

__all__ = ["Runtime", "closed"]

_END = object()  # the end of one streamed call, on its queue


class Runtime:
    """One loaded model: an ``xllamacpp.Server`` with one slot, called in process."""

    def __init__(self, path: Path, n_ctx: int) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise EngineError(
                "The llama responder needs xllamacpp (a prebuilt wheel). Install it with: "
                "pip install -r requirements.txt, or use --responder rules or a chat URL."
            ) from exc
        if not path.is_file():
            raise EngineError(f"Cannot load the GGUF model {path}: no such file")
        self.folder = tempfile.mkdtemp(prefix="rvs-llama-")  # 0700: only this user reaches it
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = n_ctx
        params.n_parallel = 1  # one slot: answers queue inside the server
        threads = max(1, min(4, os.cpu_count() or 1))
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.verbosity = -1
        params.hostnames = [os.path.join(self.folder, "llama.sock")]  # no TCP port
        params.api_keys = [secrets.token_urlsafe(32)]  # and no one who lacks this key
        params.endpoint_metrics = params.endpoint_props = params.endpoint_slots = False
        try:
            self.server: Any = xllamacpp.Server(params)
        except (OSError, RuntimeError, ValueError) as exc:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise EngineError(f"Cannot load the GGUF model {path}: {exc}") from exc

    def complete(self, body: dict[str, Any]) -> str:
        """The whole answer of one chat completion."""
        result = self.server.handle_chat_completions(body)
        _raise_error(result)
        try:
            return str(result["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError) as exc:
            raise EngineError(f"llama.cpp answered in an odd shape: {result!r:.200}") from exc

    def stream(self, body: dict[str, Any]) -> Iterator[str]:
        """The text deltas of one streamed chat completion, run on a helper thread."""
        chunks: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(chunk)
            return stop.is_set()  # True ends the generation

        def run() -> None:
            try:
                self.server.handle_chat_completions(body, on_chunk)
            except Exception as exc:  # handed to the reader, which raises it as ours
                chunks.put(exc)
            finally:
                chunks.put(_END)

        thread = threading.Thread(target=run, name="llama-generate", daemon=True)
        thread.start()
        try:
            while (chunk := chunks.get()) is not _END:
                if isinstance(chunk, Exception):
                    raise EngineError(f"llama.cpp failed: {chunk}") from chunk
                _raise_error(chunk)
                for choice in chunk.get("choices") or ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield str(text)
        finally:
            stop.set()
            thread.join(timeout=10)  # ends at the next token once stopped

    def grammar(self, schema: dict[str, Any]) -> str:
        """The GBNF grammar of a JSON schema (llama.cpp's own converter)."""
        import xllamacpp

        return str(xllamacpp.json_schema_to_grammar(schema))

    def close(self) -> None:
        del self.server
        shutil.rmtree(self.folder, ignore_errors=True)


def closed(schema: Any) -> Any:
    """``schema`` with every object closed to properties it does not name: llama.cpp's grammar
    otherwise lets a small model run on adding keys of its own until the token cap."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: closed(value) for key, value in schema.items()}
    if out.get("type") == "object" or "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def _raise_error(result: Any) -> None:
    if not isinstance(result, dict):
        raise EngineError(f"llama.cpp answered in an odd shape: {result!r:.200}")
    error = result.get("error")
    if error is None and "code" in result and "message" in result:
        error = result
    if error is not None:
        message = error.get("message") if isinstance(error, dict) else error
        raise EngineError(f"llama.cpp refused the request: {message}")
