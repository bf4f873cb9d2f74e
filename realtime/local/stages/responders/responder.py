"""The responder stage: a conversation in, the assistant's answer (text and/or tool calls) out.

Runs on a worker thread of the local server, once per response, never on the event loop. The
session hands it a frozen :class:`ResponseRequest` (the items in order, instructions, the tools
the session offers) and turns its :class:`Reply` into the wire events: text is spoken or
streamed, each :class:`CallRequest` becomes a ``function_call`` output item. The engine never
runs a tool itself: the client does and answers with ``function_call_output`` items, and the
next response reads those outputs like any other item.

This module holds the types every responder shares and imports none of them; which responder
answers is chosen in ``realtime.local.stages.responders.factory``.

A responder that can stream also has ``stream(request)`` (:class:`StreamingResponder`): it
returns either a whole :class:`Reply` (an answer known at once, such as a rule's) or an
iterator of text deltas and :class:`CallRequest` items as the model generates them; the
server sends the text and synthesises it sentence by sentence as sentences complete.
:func:`start_reply` calls whichever the responder has.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "CallRequest",
    "Message",
    "Reply",
    "Responder",
    "ResponseRequest",
    "StreamingResponder",
    "callable_tools",
    "collect",
    "start_reply",
]


@dataclass(frozen=True)
class Message:
    """One conversation item as a responder reads it.

    ``type`` is ``message``, ``function_call``, ``function_call_output`` or ``mcp_call``;
    ``text`` is the message text (or the transcript of spoken audio), the call's JSON
    arguments, the JSON output the client sent back, or an MCP call's output (or error).
    """

    type: str
    role: str = ""
    text: str = ""
    name: str = ""
    call_id: str = ""
    images: tuple[str, ...] = ()  # a user message's images, as data URIs


@dataclass(frozen=True)
class ResponseRequest:
    messages: tuple[Message, ...]
    instructions: str = ""
    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: str = "auto"  # auto | none | required
    forced_tool: str | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None  # the session's (beta); None: the backend's default
    # The MCP tools the session listed and allows: {"server_label", "name", "description",
    # "parameters"}; a call to one is a CallRequest with its server_label (the engine runs it).
    mcp_tools: tuple[Mapping[str, Any], ...] = ()

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
    server_label: str = ""  # an MCP server's tool: the engine calls it, not the client


@dataclass(frozen=True)
class Reply:
    text: str = ""
    calls: tuple[CallRequest, ...] = ()


class Responder(Protocol):
    """Answers one response; may block (it runs on a worker thread) and raise EngineError."""

    def respond(self, request: ResponseRequest) -> Reply: ...


Chunk = str | CallRequest  # a text delta, or a function call the model asked for


class StreamingResponder(Responder, Protocol):
    """A responder that can also stream (see the module docstring); the iterator runs on the
    worker thread and is closed early when the response is cancelled."""

    def stream(self, request: ResponseRequest) -> Reply | Iterator[Chunk]: ...


def start_reply(responder: Responder, request: ResponseRequest) -> Reply | Iterator[Chunk]:
    """``responder.stream(request)`` when it streams, else its whole ``respond(request)``."""
    stream = getattr(responder, "stream", None)
    if callable(stream):
        result: Reply | Iterator[Chunk] = stream(request)
        return result
    return responder.respond(request)


def collect(result: Reply | Iterator[Chunk]) -> Reply:
    """A whole :class:`Reply` from what :func:`start_reply` returned (for ``respond``)."""
    if isinstance(result, Reply):
        return result
    text: list[str] = []
    calls: list[CallRequest] = []
    for chunk in result:
        if isinstance(chunk, CallRequest):
            calls.append(chunk)
        else:
            text.append(chunk)
    return Reply("".join(text).strip(), tuple(calls))
