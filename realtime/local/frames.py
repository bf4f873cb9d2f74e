"""Client frames to events for the engine: strict JSON (``realtime.protocol.strict_json``) and
the engine's own error codes.

Pure; the connection runner calls it on the event loop for small frames and on a worker thread
for large ones. ``read_event`` returns the decoded event or raises ``InvalidRequest``, which the
runner answers with an ``error`` event, so no frame can raise anything else (deep nesting, NaN,
huge integers, lone surrogates: see ``strict_json``). ``encode_event`` is the strict way out, so
an event that could not be valid JSON fails where the runner answers ``server_error``.
"""

from __future__ import annotations

from realtime.local.limits import MAX_APPEND_CHARS, MAX_DEPTH
from realtime.local.session.wire import InvalidRequest
from realtime.protocol import strict_json
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event
from realtime.protocol.pcm import decode_pcm16_base64

__all__ = ["encode_event", "read_append", "read_event"]


def read_event(frame: str | bytes) -> Event:
    """The client event in ``frame``; ``InvalidRequest`` for anything that is not one."""
    try:
        data = strict_json.loads(frame, max_depth=MAX_DEPTH)
    except strict_json.FrameRejected as exc:
        raise InvalidRequest(exc.code, exc.message) from None
    if not isinstance(data, dict):
        raise InvalidRequest("invalid_type", "The event must be a JSON object.")
    return data


def encode_event(event: Event) -> str:
    """The JSON text of a server event; ``ValueError`` if it is not valid JSON or UTF-8."""
    return strict_json.dumps(event)


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
