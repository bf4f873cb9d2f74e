"""Two function tools as a ``session.update`` carries them, shared by the config and payload
tests (the golden files hold them)."""

from __future__ import annotations

__all__ = ["TOOLS"]

TOOLS = (
    {
        "type": "function",
        "name": "get_local_time",
        "description": "Local time of a place.",
        "parameters": {
            "type": "object",
            "properties": {"place": {"type": "string"}},
            "required": ["place"],
            "additionalProperties": False,
        },
    },
    {
        "type": "function",
        "name": "find_airport",
        "description": "Airports matching a code, city or name.",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
            "additionalProperties": False,
        },
    },
)
