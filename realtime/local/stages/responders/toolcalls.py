"""Function calls by a language model that cannot choose to make them: schema, prompt, check.

Pure; runs on the responder's worker thread. The hybrid responder decides *whether* a turn
needs one of the session's own tools (:func:`relevant_tools`: the user's words meet the tool's
name or description); the model then only fills in the call, its output held by a JSON-schema
grammar (:func:`call_schema`, ``{"name": ..., "arguments": {...}}`` with the tool's own
``parameters``), and :func:`parse_call` checks the arguments against those parameters before
they become a ``function_call`` item. A call that does not check out raises ``EngineError``:
the engine says it could not call the tool, never makes up a result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from realtime.local.stages.responders.responder import CallRequest, ResponseRequest
from realtime.protocol.errors import EngineError

__all__ = ["call_messages", "call_schema", "check_arguments", "parse_call", "relevant_tools"]

_WORD = re.compile(r"[a-z]+")
_STOP = frozenset(
    "a an and are as at be by can for from get give how in into is it its me my of on or "
    "set show that the this to tool use what when where which who why will with you your "
    "find look make current returns return given".split()
)
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def relevant_tools(
    text: str, tools: tuple[Mapping[str, Any], ...]
) -> tuple[Mapping[str, Any], ...]:
    """The tools whose name or description shares a word (by its first five letters) with
    ``text``: "will it rain in Oslo" meets ``get_weather`` ("current weather and rain")."""
    words = _stems(text)
    return tuple(
        tool
        for tool in tools
        if words
        & _stems(
            str(tool.get("name", "")).replace("_", " ") + " " + str(tool.get("description", ""))
        )
    )


def call_schema(tools: tuple[Mapping[str, Any], ...]) -> dict[str, Any]:
    """The JSON schema of one call of one of ``tools`` (for a llama.cpp grammar)."""
    options = [
        {
            "type": "object",
            "properties": {
                "name": {"const": str(tool["name"])},
                "arguments": tool.get("parameters") or {"type": "object", "properties": {}},
            },
            "required": ["name", "arguments"],
        }
        for tool in tools
    ]
    return options[0] if len(options) == 1 else {"oneOf": options}


def call_messages(
    request: ResponseRequest, tools: tuple[Mapping[str, Any], ...]
) -> list[dict[str, Any]]:
    """A short prompt to fill in the call from the user's last message."""
    listed = "\n".join(
        f"- {t['name']}: {t.get('description', '')} Parameters: "
        f"{json.dumps(t.get('parameters') or {})}"
        for t in tools
    )
    system = (
        "You turn the user's request into one function call, as JSON "
        '{"name": ..., "arguments": {...}}. Take argument values from the user\'s words.\n'
        f"Functions:\n{listed}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": last_user(request)}]


def last_user(request: ResponseRequest) -> str:
    for message in reversed(request.messages):
        if message.type == "message" and message.role == "user" and message.text:
            return message.text
    return ""


def parse_call(text: str, tools: tuple[Mapping[str, Any], ...]) -> CallRequest:
    """The call in the model's JSON, its arguments checked against the tool's parameters."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EngineError(f"The model's function call is not JSON: {text[:80]!r}") from exc
    if not isinstance(data, dict):
        raise EngineError("The model's function call is not a JSON object.")
    tool = next((t for t in tools if t.get("name") == data.get("name")), None)
    if tool is None:
        raise EngineError(f"The model called a tool it was not offered: {data.get('name')!r}.")
    arguments = data.get("arguments")
    problem = check_arguments(arguments, tool.get("parameters") or {})
    if problem:
        raise EngineError(f"The model's arguments for {tool['name']} are not valid: {problem}.")
    return CallRequest(str(tool["name"]), json.dumps(arguments, ensure_ascii=False))


def check_arguments(value: Any, schema: Mapping[str, Any], where: str = "arguments") -> str:
    """What is wrong with ``value`` under the JSON-schema subset tools use, or ``""``."""
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _JSON_TYPES:
        if not isinstance(value, _JSON_TYPES[kind]) or (
            kind in ("integer", "number") and isinstance(value, bool)
        ):
            return f"{where} should be {kind}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} should be one of {schema['enum']}"
    if isinstance(value, str) and kind == "string" and not value.strip():
        return f"{where} is empty"
    if isinstance(value, dict):
        return _object_problem(value, schema, where)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            problem = check_arguments(item, schema["items"], f"{where}[{index}]")
            if problem:
                return problem
    return ""


def _object_problem(value: dict[str, Any], schema: Mapping[str, Any], where: str) -> str:
    """What is wrong with an object's members: a required one missing, or one checked wrong."""
    properties = schema.get("properties") or {}
    for name in schema.get("required") or ():
        if name not in value:
            return f"{where}.{name} is missing"
    for name, item in value.items():
        if name in properties:
            problem = check_arguments(item, properties[name], f"{where}.{name}")
            if problem:
                return problem
        elif schema.get("additionalProperties") is False:
            return f"{where}.{name} is not a parameter"
    return ""
