"""Tools the model can call: a registry built from typed Python functions, and the travel kit.

Importing this package registers the travel tools in ``default_registry`` (their data loads on
first call, not here). Adding a tool is one decorated, type-hinted, documented function::

    from realtime.tools import tool

    @tool
    def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict[str, object]:
        \"\"\"Get the current weather for a city.

        Args:
            city: City name, e.g. "Paris".
            unit: Temperature unit.
        \"\"\"

Threads: see ``registry`` (calls block the calling thread up to a timeout; bodies run on a
worker pool).
"""

from __future__ import annotations

from realtime.tools import travel  # registers the travel tools in default_registry
from realtime.tools.registry import DEFAULT_TIMEOUT, ToolRegistry, default_registry, tool
from realtime.tools.result import FunctionCallOutputItem, ToolCall, ToolFailure, ToolResult
from realtime.tools.schema import FunctionToolDefinition, ToolSpec, build_spec

__all__ = [
    "DEFAULT_TIMEOUT",
    "FunctionCallOutputItem",
    "FunctionToolDefinition",
    "ToolCall",
    "ToolFailure",
    "ToolRegistry",
    "ToolResult",
    "ToolSpec",
    "build_spec",
    "default_registry",
    "tool",
    "travel",
]
