"""Check the model's arguments for a tool against the tool's JSON schema.

Pure; runs on the thread that calls ``ToolRegistry.call`` (the bridge thread), before the tool
is handed to a worker. What flows through: the ``arguments`` string of
``response.function_call_arguments.done`` in, the keyword arguments for the function out, or an
``ArgumentError`` naming the offending parameter, which the registry turns into an error result
the model can read and correct (peer input never raises out of the registry).

It understands exactly the schema subset that ``schema.build_spec`` emits: ``type`` (one name or
``[name, "null"]``), ``enum``, ``items``, ``properties``, ``required`` and
``additionalProperties: false``.
"""

from __future__ import annotations

import json
from typing import Any

from realtime.protocol.errors import ToolError
from realtime.tools.schema import JSONSchema

__all__ = ["ArgumentError", "validate_arguments"]


class ArgumentError(ToolError):
    """The arguments do not match the schema; ``code`` and ``param`` say where."""

    def __init__(self, message: str, *, code: str, param: str | None = None) -> None:
        self.code = code
        self.param = param
        super().__init__(message)


def validate_arguments(schema: JSONSchema, arguments: str) -> dict[str, Any]:
    """Parse ``arguments`` (a JSON object) and return it checked and coerced.

    Whole floats become ints for ``integer`` parameters and ints become floats for ``number``
    ones, so the function receives the types its hints promise. An empty string counts as
    ``{}``: models sometimes send nothing for a tool without parameters.
    """
    try:
        value = json.loads(arguments or "{}", parse_constant=_reject_constant)
    except (ValueError, TypeError) as exc:
        raise ArgumentError(f"arguments are not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(value, dict):
        raise ArgumentError(
            f"arguments must be a JSON object, got {_describe(value)}", code="invalid_arguments"
        )
    properties: dict[str, JSONSchema] = schema.get("properties", {})
    checked: dict[str, Any] = {}
    for key, item in value.items():
        if key not in properties:
            if schema.get("additionalProperties", True) is False:
                allowed = ", ".join(properties) or "none"
                raise ArgumentError(
                    f"unexpected argument {key!r} (parameters: {allowed})",
                    code="unknown_parameter",
                    param=key,
                )
            checked[key] = item
            continue
        checked[key] = _check(properties[key], item, key)
    for key in schema.get("required", []):
        if key not in checked:
            raise ArgumentError(
                f"missing required argument {key!r}", code="missing_required_parameter", param=key
            )
    return checked


def _check(schema: JSONSchema, value: Any, where: str) -> Any:
    kinds = schema.get("type", [])
    allowed = [kinds] if isinstance(kinds, str) else list(kinds)
    if value is None:
        if "null" in allowed:
            return None
        raise _wrong_type(where, allowed, value)
    coerced = _coerce(allowed, value)
    if coerced is _MISMATCH:
        raise _wrong_type(where, allowed, value)
    if "enum" in schema and coerced not in schema["enum"]:
        choices = ", ".join(json.dumps(choice) for choice in schema["enum"] if choice is not None)
        raise ArgumentError(
            f"{where}: {json.dumps(value)} is not one of {choices}",
            code="invalid_value",
            param=where,
        )
    if isinstance(coerced, list):
        items: JSONSchema = schema.get("items", {})
        return [_check(items, item, f"{where}[{i}]") for i, item in enumerate(coerced)]
    return coerced


_MISMATCH = object()


def _coerce(allowed: list[str], value: Any) -> Any:
    if isinstance(value, bool):
        return value if "boolean" in allowed else _MISMATCH
    if isinstance(value, int):
        if "integer" in allowed:
            return value
        return float(value) if "number" in allowed else _MISMATCH
    if isinstance(value, float):
        if "number" in allowed:
            return value
        return int(value) if "integer" in allowed and value.is_integer() else _MISMATCH
    if isinstance(value, str):
        return value if "string" in allowed else _MISMATCH
    if isinstance(value, list):
        return value if "array" in allowed else _MISMATCH
    if isinstance(value, dict):
        return value if "object" in allowed else _MISMATCH
    return _MISMATCH


def _wrong_type(where: str, allowed: list[str], value: Any) -> ArgumentError:
    expected = " or ".join(allowed)
    return ArgumentError(
        f"{where}: expected {expected}, got {_describe(value)}",
        code="invalid_type",
        param=where,
    )


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "integer" if isinstance(value, int) else "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def _reject_constant(name: str) -> float:
    # json.loads accepts NaN and Infinity by default; they are not JSON and no tool wants them.
    raise ValueError(f"{name} is not valid JSON")
