"""The values that go into and come out of a tool call.

Pure data, shared by every thread: a ``ToolCall`` is what ``response.function_call_arguments.done``
carries (name, call_id, arguments); a ``ToolResult`` is what the client sends back as the
``output`` of a ``function_call_output`` item, plus what the UI shows (parsed arguments, timing,
error). Errors are results too: their ``output`` is a JSON object with ``error`` (a sentence for
the model), ``code`` and any details, so the model can correct itself or tell the user.

A tool that wants to fail with details for the model raises ``ToolFailure``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from realtime.protocol.errors import ToolError

__all__ = ["FunctionCallOutputItem", "ToolCall", "ToolFailure", "ToolResult", "error_output"]


class FunctionCallOutputItem(TypedDict):
    """The ``item`` of the ``conversation.item.create`` that answers a function call."""

    type: Literal["function_call_output"]
    call_id: str
    output: str


class ToolFailure(ToolError):
    """Raised by a tool to return an error result with a ``code`` and JSON ``details``.

    ``message`` is written for the model (and the person it talks to): say what was wrong and
    what would work, e.g. ``ToolFailure("No airport or city matches 'Londn'",
    code="place_not_found", suggestions=["London"])``.
    """

    def __init__(self, message: str, *, code: str = "tool_failed", **details: Any) -> None:
        self.code = code
        self.details = details
        super().__init__(message)


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asked for."""

    name: str
    arguments: str
    call_id: str = ""


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call; ``output`` is the JSON string to send back, error or not.

    ``arguments`` is the validated dict, or ``None`` when the arguments were rejected.
    ``code`` is ``None`` on success, else one of ``unknown_tool``, ``invalid_json``,
    ``invalid_arguments``, ``invalid_type``, ``invalid_value``, ``unknown_parameter``,
    ``missing_required_parameter``, ``timeout``, ``tool_exception``, ``invalid_output`` or a
    tool's own ``ToolFailure`` code.
    """

    name: str
    call_id: str
    arguments: dict[str, Any] | None
    output: str
    ok: bool
    error: str | None
    duration_ms: float
    code: str | None = None

    def item(self) -> FunctionCallOutputItem:
        """The ``function_call_output`` item for ``conversation.item.create``."""
        return {"type": "function_call_output", "call_id": self.call_id, "output": self.output}


def error_output(message: str, code: str, **details: Any) -> str:
    """Serialise an error for the model; details that are not JSON are shown as text."""
    payload = {"error": message, "code": code}
    payload.update((key, value) for key, value in details.items() if key not in payload)
    return json.dumps(payload, ensure_ascii=False, default=str)
