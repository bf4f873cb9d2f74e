"""JSON frames read and written strictly, on both ends of the protocol.

Pure. Every frame a peer sends is untrusted (a client of the engine, or a server at a URL the
user typed), so reading one never raises anything but ``FrameRejected`` (a ``ProtocolError``
with the hosted API's error code), whatever it holds:

- nesting deeper than ``MAX_DEPTH`` is refused before ``json`` sees it (deep input would hit the
  recursion limit in the parser, or later in any code that walks the event);
- ``NaN``, ``Infinity`` and numbers that overflow to infinity (``1e999``) are refused with
  ``invalid_value`` (they are not JSON, and echoing them would send invalid JSON back);
- an integer longer than Python converts (4,300 digits) is refused, not a ``ValueError``;
- an escaped lone surrogate (``"\\ud800"``) becomes U+FFFD: a string with one could not be sent
  on as UTF-8, and echoed text must not break a connection.

``dumps`` is the strict way out: ``allow_nan=False`` and no lone surrogates, so a value that could
not be valid JSON fails where it is made and never reaches the wire.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from realtime.protocol.errors import ProtocolError

__all__ = ["MAX_DEPTH", "FrameRejected", "dumps", "loads", "nesting_depth"]

MAX_DEPTH = 32  # far deeper than any event of the protocol (tool schemas included) needs

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE = re.compile("[\ud800-\udfff]")
_OPEN = np.frombuffer(b"{[", dtype=np.uint8)
_CLOSE = np.frombuffer(b"}]", dtype=np.uint8)


class FrameRejected(ProtocolError):
    """A frame that is not strict JSON; ``code`` is the hosted API's error code for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _NotFinite(Exception):  # noqa: N818 - internal signal out of the json hooks
    pass


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest ``{``/``[`` nesting of ``text`` (brackets in strings not counted), or a
    cheap upper bound when that bound is within ``limit``."""
    brackets = text.count("{") + text.count("[")
    if brackets <= limit:
        return brackets
    skeleton = _STRING.sub("", text).encode("utf-8", "replace")
    data = np.frombuffer(skeleton, dtype=np.uint8)
    steps = np.isin(data, _OPEN).astype(np.int32) - np.isin(data, _CLOSE).astype(np.int32)
    # ``np.max``, not the method: numpy 2.5's stubs, read as Python 3.11, match no overload of
    # ``ndarray.max`` for the platform ``int_`` that ``cumsum`` returns.
    return int(np.max(np.cumsum(steps), initial=0))


def loads(frame: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of one frame; ``FrameRejected`` for anything that is not strict JSON."""
    try:
        text = bytes(frame).decode("utf-8") if not isinstance(frame, str) else frame
    except UnicodeDecodeError:
        raise FrameRejected(
            "invalid_json", "The event is not valid UTF-8. Send each event as a JSON object."
        ) from None
    if nesting_depth(text, max_depth) > max_depth:
        raise FrameRejected(
            "invalid_json", f"The event is nested more than {max_depth} levels deep."
        )
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float)
    except _NotFinite as exc:
        raise FrameRejected(
            "invalid_value", f"Invalid number {exc}: numbers must be finite (no NaN or Infinity)."
        ) from None
    except json.JSONDecodeError as exc:
        raise FrameRejected(
            "invalid_json", f"The event is not valid JSON: {exc}. Send each event as a JSON object."
        ) from None
    except (ValueError, RecursionError):  # an integer too long to convert
        raise FrameRejected("invalid_json", "The event holds a number too long to read.") from None
    return _fix_surrogates(value) if _SURROGATE_ESCAPE.search(text) else value


def dumps(value: Any) -> str:
    """Compact JSON text, UTF-8 kept as is; ``ValueError`` if it could not be valid JSON."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if _LONE.search(text):
        raise ValueError("a lone surrogate in an event")
    return text


def _constant(name: str) -> Any:
    raise _NotFinite(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text[:20])
    return value


def _fix_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_fix_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in value.items()}
    return value
