"""Describe a typed Python function as a Realtime function tool.

Pure and import-time: ``build_spec`` runs once per tool, on the thread that imports the module
holding the decorated function. What flows through: a function in, a frozen ``ToolSpec`` out,
whose ``definition()`` is the entry for the ``tools`` list of ``session.update``
(``{"type": "function", "name", "description", "parameters"}``, see PROTOCOL.md "Function
calling").

Supported parameter hints: ``str``, ``int``, ``float``, ``bool``, ``Literal[...]`` of one of
those, ``list[...]`` of those, and any of these ``| None`` (``Optional``). A parameter with a
default is optional. The docstring's first paragraph is the tool's description; a Google-style
``Args:`` section gives each parameter's description. Anything else is a programming error and
raises ``ConfigError`` when the tool is registered, not when the model calls it.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, Union, get_args, get_origin

from realtime.protocol.errors import ConfigError

__all__ = ["FunctionToolDefinition", "JSONSchema", "ToolSpec", "build_spec", "parse_docstring"]

JSONSchema = dict[str, Any]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Returns?|Raises|Yields?|Examples?|Notes?|Attributes):\s*$"
)
_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_ARGS_SECTIONS = {"Args", "Arguments", "Parameters"}
_SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class FunctionToolDefinition(TypedDict):
    """One entry of the session's ``tools`` list, as sent."""

    type: Literal["function"]
    name: str
    description: str
    parameters: JSONSchema


@dataclass(frozen=True)
class ToolSpec:
    """A registered tool: the function and the schema the model sees."""

    name: str
    description: str
    parameters: JSONSchema
    func: Callable[..., object]

    def definition(self) -> FunctionToolDefinition:
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Return the first paragraph (joined into one line) and the ``Args:`` descriptions."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line.strip()):
            break
        summary.append(line.strip())
    params: dict[str, str] = {}
    in_args = False
    current: str | None = None
    entry_indent: int | None = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        section = _SECTION.match(stripped)
        if section and indent == 0:
            in_args = section.group(1) in _ARGS_SECTIONS
            current, entry_indent = None, None
            continue
        if not in_args or not stripped:
            continue
        if entry_indent is None:
            entry_indent = indent
        entry = _ENTRY.match(stripped)
        if indent == entry_indent and entry:
            current = entry.group(1)
            params[current] = entry.group(2).strip()
        elif current is not None and indent > entry_indent:
            params[current] = f"{params[current]} {stripped}".strip()
        else:  # text back at the section's own level ends it
            in_args = False
    return " ".join(summary), params


def build_spec(func: Callable[..., object], *, name: str | None = None) -> ToolSpec:
    """Describe ``func``; raise ``ConfigError`` naming the tool if it cannot be described."""
    tool_name = name or str(getattr(func, "__name__", ""))
    field = f"tool {tool_name or func!r}"
    if not _NAME.match(tool_name):
        raise ConfigError(field, "a tool name is 1-64 letters, digits, '_' or '-'")
    description, arg_docs = parse_docstring(inspect.getdoc(func))
    if not description:
        raise ConfigError(field, "needs a docstring; its first paragraph is the description")
    try:
        hints = typing.get_type_hints(func)
    except (NameError, TypeError) as exc:
        raise ConfigError(field, f"cannot resolve its type hints: {exc}") from exc
    properties: dict[str, JSONSchema] = {}
    required: list[str] = []
    for param in inspect.signature(func).parameters.values():
        where = f"{field}, parameter {param.name}"
        if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            raise ConfigError(where, "*args, **kwargs and positional-only are not supported")
        if param.name not in hints:
            raise ConfigError(where, "needs a type hint")
        prop = _schema_for(hints[param.name], where)
        if param.name in arg_docs:
            prop["description"] = arg_docs[param.name]
        if param.default is param.empty:
            required.append(param.name)
        elif param.default is None or isinstance(param.default, (str, int, float, bool, list)):
            prop["default"] = param.default
        properties[param.name] = prop
    unknown = sorted(set(arg_docs) - set(properties))
    if unknown:
        raise ConfigError(field, f"Args: documents parameters it does not have: {unknown}")
    parameters: JSONSchema = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return ToolSpec(tool_name, description, parameters, func)


def _schema_for(hint: object, where: str) -> JSONSchema:
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        members = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(members) != 1 or len(get_args(hint)) != 2:
            raise ConfigError(where, f"only 'X | None' unions are supported, not {hint}")
        schema = _schema_for(members[0], where)
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if origin is list:
        (item,) = get_args(hint) or (None,)
        if item is None or get_origin(item) is list:
            raise ConfigError(where, "a list needs one scalar item type, e.g. list[str]")
        return {"type": "array", "items": _schema_for(item, where)}
    if origin is Literal:
        values = list(get_args(hint))
        kinds = {_json_type(type(value)) for value in values}
        if len(kinds) != 1 or None in kinds:
            raise ConfigError(where, "Literal choices must all be str, all int or all bool")
        return {"type": kinds.pop(), "enum": values}
    kind = _json_type(hint)
    if kind is None:
        raise ConfigError(
            where, f"unsupported type {hint!r}", allowed="str, int, float, bool, Literal, list"
        )
    return {"type": kind}


def _json_type(hint: object) -> str | None:
    return _SCALARS.get(hint) if isinstance(hint, type) else None
