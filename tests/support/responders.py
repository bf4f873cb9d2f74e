"""For the responder tests: the tools a session offers, a one-line request, and a fake model.

``FakeModel`` stands in for a language model behind the hybrid responder: it streams fixed text
word by word (``pause`` seconds apart, on the responder's worker thread when the engine runs it)
and records what it was asked and when it finished, so tests run without the optional extra.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from realtime.local.stages.responders.responder import (
    Chunk,
    Message,
    Reply,
    ResponseRequest,
    collect,
)
from realtime.tools import default_registry

__all__ = ["TRAVEL_TOOLS", "WEATHER", "FakeModel", "user_request"]

TRAVEL_TOOLS = tuple(default_registry.definitions())
"""The travel tools, as a session offers them."""

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city"],
    },
}
"""A session's own tool, one the rules do not know."""


def user_request(text: str, **fields: Any) -> ResponseRequest:
    """A request whose conversation is one user message."""
    return ResponseRequest((Message("message", "user", text),), **fields)


class FakeModel:
    """Streams ``text`` word by word, ``pause`` seconds apart; records when it finished."""

    def __init__(self, text: str, pause: float = 0.0) -> None:
        self.text, self.pause = text, pause
        self.requests: list[ResponseRequest] = []
        self.finished_at: float | None = None

    def respond(self, request: ResponseRequest) -> Reply:
        return collect(self.stream(request))

    def stream(self, request: ResponseRequest) -> Iterator[Chunk]:
        self.requests.append(request)
        for index, word in enumerate(self.text.split(" ")):
            time.sleep(self.pause)  # the model's pace, not a wait
            yield word if index == 0 else " " + word
        self.finished_at = time.monotonic()
