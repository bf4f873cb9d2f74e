"""The engine's default responder when a language model is installed: the rules, then a model.

Runs on a worker thread of the local server, once per response. The rule-based responder
answers first, exactly as on its own: travel questions through the session's tools, questions
about the engine, greetings, and the read-back of tool outputs. Whatever no rule knows goes to
the language model with the session's instructions, temperature, ``max_output_tokens`` and the
conversation, streamed. When the turn needs one of the session's own tools (one the rules do
not know), the model fills in the call through a grammar (``toolcalls`` beside this module); a
model that cannot call tools, or whose call does not check out, says so instead of answering
from nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from realtime.local.stages.responders import toolcalls
from realtime.local.stages.responders.responder import (
    CallRequest,
    Chunk,
    Reply,
    ResponseRequest,
    collect,
    start_reply,
)
from realtime.local.stages.responders.rules import KNOWN_TOOLS, RuleBasedResponder
from realtime.local.stages.responders.vision import latest_images, sees_images
from realtime.protocol.errors import EngineError

__all__ = ["HybridResponder", "Model"]


class Model(Protocol):
    """A language-model backend: it streams, and may fill in grammar-constrained calls."""

    def respond(self, request: ResponseRequest) -> Reply: ...

    def stream(self, request: ResponseRequest) -> Reply | Iterator[Chunk]: ...


class HybridResponder:
    """A :class:`~realtime.local.stages.responders.responder.StreamingResponder`: the rules,
    then ``model``."""

    def __init__(self, model: Model, rules: RuleBasedResponder | None = None) -> None:
        self.model = model
        self.rules = rules or RuleBasedResponder()

    @property
    def model_name(self) -> str:
        return str(getattr(self.model, "model_name", None) or getattr(self.model, "url", "model"))

    def respond(self, request: ResponseRequest) -> Reply:
        return collect(self.stream(request))

    def stream(self, request: ResponseRequest) -> Reply | Iterator[Chunk]:
        if latest_images(request) and sees_images(self.model):
            return start_reply(self.model, request)  # a picture: the model that can see it
        answer = self.rules.answer(request)
        if answer is not None:
            return answer
        tools = self._own_tools(request)
        if tools:
            return self._call(request, tools)
        return start_reply(self.model, request)

    def _own_tools(self, request: ResponseRequest) -> tuple[Mapping[str, Any], ...]:
        """The tools of the session's own (not the rules') that this turn may need."""
        allowed = request.callable_tools - KNOWN_TOOLS
        offered = tuple(t for t in request.tools if t.get("name") in allowed)
        if not offered or request.tool_choice == "required" or request.forced_tool:
            return offered
        return toolcalls.relevant_tools(toolcalls.last_user(request), offered)

    def _call(
        self, request: ResponseRequest, tools: tuple[Mapping[str, Any], ...]
    ) -> Reply | Iterator[Chunk]:
        call = getattr(self.model, "call", None)
        names = " or ".join(str(t["name"]) for t in tools)
        if not callable(call):
            if getattr(self.model, "calls_tools", True):  # a chat endpoint gets the tools itself
                return start_reply(self.model, request)
            return Reply(
                f"That needs the {names} tool, and the language model here cannot call tools, "
                "so I can't answer it."
            )
        try:
            made: CallRequest = call(request, tools)
        except EngineError:
            return Reply(
                f"I tried to call the {names} tool but could not fill in its arguments. "
                "Could you say it another way?"
            )
        return Reply(calls=(made,))
