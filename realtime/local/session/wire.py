"""Server-side wire helpers: event builders, the ``error`` event and request validation.

Pure; runs on whichever thread calls it (the local server's event loop, in practice). Client
payloads are checked here against small tables of field checks, and a bad one raises
:class:`InvalidRequest`, which the session turns into an ``error`` event with the hosted API's
``type`` / ``code`` / ``message`` / ``param`` shape (PROTOCOL.md "Errors"). Messages copy the
hosted API's wording ("Unknown parameter: 'session.foo'.") so clients that show them read the
same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from realtime.local.limits import MAX_APPEND_CHARS
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event, new_id
from realtime.protocol.pcm import decode_pcm16_base64

__all__ = [
    "Check",
    "FieldTable",
    "InvalidRequest",
    "check_keys",
    "error_event",
    "expect_append_audio",
    "expect_bool",
    "expect_choice",
    "expect_int",
    "expect_number",
    "expect_object",
    "expect_string",
    "required",
    "server_event",
    "walk",
]

_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    dict: "an object",
    list: "an array",
    type(None): "null",
}


class InvalidRequest(Exception):  # noqa: N818 - named after the error type it becomes
    """A client event the engine refuses; becomes an ``error`` event, never a crash."""

    def __init__(
        self,
        code: str,
        message: str,
        param: str | None = None,
        *,
        error_type: str = "invalid_request_error",
    ) -> None:
        self.code = code
        self.message = message
        self.param = param
        self.error_type = error_type
        super().__init__(message)

    @classmethod
    def unknown(cls, param: str) -> InvalidRequest:
        return cls("unknown_parameter", f"Unknown parameter: '{param}'.", param)

    @classmethod
    def missing(cls, param: str) -> InvalidRequest:
        return cls("missing_required_parameter", f"Missing required parameter: '{param}'.", param)

    @classmethod
    def value(cls, param: str, message: str) -> InvalidRequest:
        return cls("invalid_value", message, param)

    @classmethod
    def server_error(cls) -> InvalidRequest:
        """What the hosted API answers when it fails on an event: the session lives on."""
        message = "The server had an error while processing your request."
        return cls("server_error", message, error_type="server_error")


def server_event(event_type: str, **fields: Any) -> Event:
    """A server event with a fresh ``event_id`` (GA name; the server edge translates)."""
    return {"type": event_type, "event_id": new_id("event"), **fields}


def error_event(error: InvalidRequest, client_event_id: str | None) -> Event:
    return server_event(
        "error",
        error={
            "type": error.error_type,
            "code": error.code,
            "message": error.message,
            "param": error.param,
            "event_id": client_event_id,
        },
    )


def required(event: Mapping[str, Any], key: str) -> Any:
    """``event[key]``, or the hosted API's missing_required_parameter error."""
    if key not in event:
        raise InvalidRequest.missing(key)
    return event[key]


def expect_append_audio(value: object, param: str = "audio") -> bytes:
    """The PCM16 of an ``input_audio_buffer.append``: base64 of at most ``MAX_APPEND_CHARS``."""
    audio = expect_string(value, param)
    if len(audio) > MAX_APPEND_CHARS:
        raise InvalidRequest.value(
            param,
            f"Invalid '{param}': {len(audio)} characters; one append takes at most "
            f"{MAX_APPEND_CHARS} (15 MiB of base64). Send the audio in smaller chunks.",
        )
    try:
        return decode_pcm16_base64(audio)
    except ProtocolError as exc:
        raise InvalidRequest.value(
            param, f"Invalid '{param}': {exc}. Send base64-encoded PCM16 (24 kHz, mono)."
        ) from exc


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _wrong_type(param: str, expected: str, value: object) -> InvalidRequest:
    return InvalidRequest(
        "invalid_type",
        f"Invalid type for '{param}': expected {expected}, but got {_type_name(value)} instead.",
        param,
    )


def expect_string(value: object, param: str) -> str:
    if not isinstance(value, str):
        raise _wrong_type(param, "a string", value)
    return value


def expect_bool(value: object, param: str) -> bool:
    if not isinstance(value, bool):
        raise _wrong_type(param, "a boolean", value)
    return value


def expect_object(value: object, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _wrong_type(param, "an object", value)
    return value


def expect_number(
    value: object, param: str, low: float | None = None, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(param, "a number", value)
    _check_range(float(value), param, low, high)
    return float(value)


def expect_int(value: object, param: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(param, "an integer", value)
    _check_range(value, param, low, high)
    return value


def _check_range(value: float, param: str, low: float | None, high: float | None) -> None:
    if low is not None and value < low:
        raise InvalidRequest.value(
            param,
            f"Invalid '{param}': value below minimum. Expected a value >= {low:g}, "
            f"but got {value:g} instead.",
        )
    if high is not None and value > high:
        raise InvalidRequest.value(
            param,
            f"Invalid '{param}': value above maximum. Expected a value <= {high:g}, "
            f"but got {value:g} instead.",
        )


def expect_choice(value: object, param: str, choices: Collection[str]) -> str:
    if not isinstance(value, str):
        raise _wrong_type(param, "a string", value)
    if value not in choices:
        listed = ", ".join(f"'{c}'" for c in choices)
        raise InvalidRequest.value(
            param, f"Invalid value: '{value}'. Supported values are: {listed}."
        )
    return value


def check_keys(obj: Mapping[str, Any], allowed: Collection[str], prefix: str) -> None:
    """Refuse the first key of ``obj`` not in ``allowed`` (``prefix`` names the object)."""
    for key in obj:
        if key not in allowed:
            raise InvalidRequest.unknown(f"{prefix}.{key}" if prefix else key)


Check = Callable[[Any, str], Any]
"""Checks and normalises one field: ``(value, param) -> value``; raises InvalidRequest."""

FieldTable = Mapping[str, "tuple[str | None, Check] | FieldTable"]
"""Wire key -> (target name or None to accept and drop, check), or a nested table."""


def walk(payload: Mapping[str, Any], table: FieldTable, prefix: str) -> dict[str, Any]:
    """Check ``payload`` against ``table``; returns ``{target: normalised value}``.

    Keys absent from the table are refused with ``unknown_parameter`` (the hosted API fails
    the whole update on a field it does not know, PROTOCOL.md "Session: GA vs beta").
    """
    out: dict[str, Any] = {}
    for key, value in payload.items():
        param = f"{prefix}.{key}" if prefix else key
        entry = table.get(key)
        if entry is None:
            raise InvalidRequest.unknown(param)
        if isinstance(entry, Mapping):
            out.update(walk(expect_object(value, param), entry, param))
            continue
        target, check = entry
        checked = check(value, param)
        if target is not None:
            out[target] = checked
    return out
