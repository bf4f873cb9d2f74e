"""The rules' side of MCP tools: call a listed tool the user names, say what it answered.

Runs on a worker thread inside the rule-based responder (``responders.rules``). A tool is
called when the user's last words name it: its name (``get_forecast``) or its name spoken
(``get forecast``), as in "use the get forecast tool for Paris". Arguments come from the same
words, only where they can be read without guessing: none for a tool that requires none;
its one required text argument from quoted words or the words after the tool's name ("for
Paris", "with hello"); required numbers from the numbers said, in order. A tool whose
arguments cannot be read so is not called (a language model, if any, answers instead). The
call's result, once the engine ran it, is said in one short sentence from its own text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from realtime.local.stages.responders.responder import CallRequest, Message

__all__ = ["mcp_intent", "say_mcp_result"]

_SAID = 300  # characters of a result read out
_AFTER = r"\s*(?:tool)?\s*(?:with|for|to|about|on|of|:)?\s*(?P<rest>.+)"
_QUOTED = re.compile(r"[\"“']([^\"”']+)[\"”']")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def mcp_intent(text: str, tools: tuple[Mapping[str, Any], ...]) -> CallRequest | None:
    """The call of the first listed tool the words name whose arguments they give."""
    for tool in tools:
        name = str(tool.get("name", ""))
        for form in {name, re.sub(r"[_\-.]+", " ", name)}:
            match = re.search(rf"\b{re.escape(form)}\b", text, re.I) if form else None
            if match is None:
                continue
            arguments = _arguments(text, text[match.end() :], tool.get("parameters") or {})
            if arguments is not None:
                label = str(tool.get("server_label", ""))
                return CallRequest(name, json.dumps(arguments), label)
    return None


def _arguments(text: str, after: str, schema: Mapping[str, Any]) -> dict[str, Any] | None:
    required = [r for r in schema.get("required") or () if isinstance(r, str)]
    properties = schema.get("properties") or {}
    kinds = {name: (properties.get(name) or {}).get("type") for name in required}
    if not required:
        return {}
    if all(kinds[n] in ("integer", "number") for n in required):
        numbers = _NUMBER.findall(text)
        if len(numbers) < len(required):
            return None
        return {
            n: int(float(v)) if kinds[n] == "integer" else float(v)
            for n, v in zip(required, numbers, strict=False)
        }
    if len(required) == 1 and kinds[required[0]] in ("string", None):
        quoted = _QUOTED.search(text)
        rest = re.match(_AFTER, after, re.I | re.S)
        value = quoted.group(1) if quoted else (rest.group("rest") if rest else "")
        value = value.strip().strip("?.!,;:\"' ")
        return {required[0]: value} if value else None
    return None


def say_mcp_result(message: Message) -> str:
    """One short sentence from an ``mcp_call``'s output (or its error)."""
    said = " ".join(message.text.split())
    if len(said) > _SAID:
        said = said[:_SAID].rsplit(" ", 1)[0] + " ..."
    return f"The {message.name} tool says: {said}" if said else f"The {message.name} tool is done."
