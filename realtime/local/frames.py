"""Client frames to events, strictly: bounded nesting, no NaN or Infinity, no lone surrogates.

Pure; the connection runner calls it on the event loop for small frames and on a worker thread
for large ones. ``read_event`` returns the decoded event or raises ``InvalidRequest``, which the
runner answers with an ``error`` event, so no frame can raise anything else:

- nesting deeper than ``MAX_DEPTH`` is refused before ``json`` sees it (deep input would hit the
  recursion limit in the parser, or later in any code that walks the event);
- ``NaN``, ``Infinity`` and numbers that overflow to infinity (``1e999``) are refused with
  ``invalid_value`` (they are not JSON, and echoing them would send invalid JSON back);
- an integer longer than Python converts (4,300 digits) is refused, not a ``ValueError``;
- an escaped lone surrogate (``"\\ud800"``) becomes U+FFFD: a string with one could not be sent
  back as UTF-8, and a client's echoed text must not break the connection.

``encode_event`` is the strict way out: ``allow_nan=False``, so an event that could not be
valid JSON fails here, where the runner answers ``server_error``, and never reaches the wire.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from realtime.local.limits import MAX_APPEND_CHARS, MAX_DEPTH
from realtime.local.session.wire import InvalidRequest
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event
from realtime.protocol.pcm import decode_pcm16_base64

__all__ = ["encode_event", "nesting_depth", "read_append", "read_event"]

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE = re.compile("[\ud800-\udfff]")
_OPEN = np.frombuffer(b"{[", dtype=np.uint8)
_CLOSE = np.frombuffer(b"}]", dtype=np.uint8)


class _NotFinite(Exception):  # noqa: N818 - internal signal out of the json hooks
    pass


def nesting_depth(text: str) -> int:
    """The deepest ``{``/``[`` nesting of ``text``, brackets inside strings not counted."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return text.count("{") + text.count("[")  # an upper bound, enough to pass
    skeleton = _STRING.sub("", text).encode("utf-8", "replace")
    data = np.frombuffer(skeleton, dtype=np.uint8)
    steps = np.isin(data, _OPEN).astype(np.int32) - np.isin(data, _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


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


def read_event(frame: str | bytes) -> Event:
    """The client event in ``frame``; ``InvalidRequest`` for anything that is not one."""
    try:
        text = frame.decode("utf-8") if isinstance(frame, bytes) else frame
    except UnicodeDecodeError:
        raise InvalidRequest(
            "invalid_json", "The event is not valid UTF-8. Send each event as a JSON object."
        ) from None
    if nesting_depth(text) > MAX_DEPTH:
        raise InvalidRequest(
            "invalid_json",
            f"The event is nested more than {MAX_DEPTH} levels deep.",
        )
    try:
        data = json.loads(text, parse_constant=_constant, parse_float=_float)
    except _NotFinite as exc:
        raise InvalidRequest(
            "invalid_value", f"Invalid number {exc}: numbers must be finite (no NaN or Infinity)."
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            "invalid_json",
            f"The event is not valid JSON: {exc}. Send each event as a JSON object.",
        ) from None
    except (ValueError, RecursionError):  # an integer too long to convert
        raise InvalidRequest("invalid_json", "The event holds a number too long to read.") from None
    if not isinstance(data, dict):
        raise InvalidRequest("invalid_type", "The event must be a JSON object.")
    event: Event = _fix_surrogates(data) if _SURROGATE_ESCAPE.search(text) else data
    return event


def encode_event(event: Event) -> str:
    """The JSON text of a server event; ``ValueError`` if it is not valid JSON or UTF-8."""
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if _LONE.search(text):
        raise ValueError("a lone surrogate in a server event")
    return text


def read_append(frame: str | bytes) -> tuple[Event, bytes | None]:
    """``read_event``, and for a well-formed ``input_audio_buffer.append`` its decoded PCM too
    (run on a worker thread for large frames; anything odd is left to the session to refuse)."""
    event = read_event(frame)
    audio = event.get("audio")
    if (
        event.get("type") != "input_audio_buffer.append"
        or not isinstance(audio, str)
        or len(audio) > MAX_APPEND_CHARS
        or not set(event) <= {"type", "event_id", "audio"}
    ):
        return event, None
    try:
        return event, decode_pcm16_base64(audio)
    except ProtocolError:
        return event, None
