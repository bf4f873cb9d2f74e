"""Event names of the Realtime protocol, GA and beta, and the frame <-> dict edge.

Pure: runs on whichever thread calls it. Text frames from the socket come in through
``parse_server_event``; client events leave through ``client_event`` / ``serialize``. Beta server
event names are translated to GA names here, in one table, so the rest of the code (the
conversation state, the bridge, the pages) sees one vocabulary. The local engine uses the reverse
table to speak beta to a client that asked for it.
"""

from __future__ import annotations

import random
import re
from typing import Any

from realtime.protocol import strict_json
from realtime.protocol.errors import ProtocolError

__all__ = [
    "BETA_CLIENT_EVENTS",
    "BETA_SERVER_EVENTS",
    "BETA_TO_GA",
    "GA_CLIENT_EVENTS",
    "GA_SERVER_EVENTS",
    "GA_TO_BETA",
    "Event",
    "client_event",
    "decode_frame",
    "new_id",
    "parse_server_event",
    "serialize",
    "to_beta",
    "to_ga",
]

Event = dict[str, Any]
"""A wire event as a plain dict, exactly as JSON decodes it (``type`` is always present)."""

GA_CLIENT_EVENTS: frozenset[str] = frozenset(
    {
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "output_audio_buffer.clear",
        "conversation.item.create",
        "conversation.item.retrieve",
        "conversation.item.truncate",
        "conversation.item.delete",
        "response.create",
        "response.cancel",
    }
)

BETA_CLIENT_EVENTS: frozenset[str] = GA_CLIENT_EVENTS | {"transcription_session.update"}

GA_SERVER_EVENTS: frozenset[str] = frozenset(
    {
        "error",
        "session.created",
        "session.updated",
        "conversation.created",
        "conversation.item.added",
        "conversation.item.created",
        "conversation.item.done",
        "conversation.item.retrieved",
        "conversation.item.truncated",
        "conversation.item.deleted",
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.failed",
        "conversation.item.input_audio_transcription.segment",
        "input_audio_buffer.committed",
        "input_audio_buffer.cleared",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.timeout_triggered",
        "input_audio_buffer.dtmf_event_received",
        "output_audio_buffer.started",
        "output_audio_buffer.stopped",
        "output_audio_buffer.cleared",
        "response.created",
        "response.done",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.delta",
        "response.output_text.done",
        "response.output_audio_transcript.delta",
        "response.output_audio_transcript.done",
        "response.output_audio.delta",
        "response.output_audio.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "mcp_list_tools.in_progress",
        "mcp_list_tools.completed",
        "mcp_list_tools.failed",
        "rate_limits.updated",
    }
)

BETA_TO_GA: dict[str, str] = {
    "conversation.item.created": "conversation.item.added",
    "response.text.delta": "response.output_text.delta",
    "response.text.done": "response.output_text.done",
    "response.audio.delta": "response.output_audio.delta",
    "response.audio.done": "response.output_audio.done",
    "response.audio_transcript.delta": "response.output_audio_transcript.delta",
    "response.audio_transcript.done": "response.output_audio_transcript.done",
}
"""Beta server-event names with a different GA spelling; every other name is shared."""

GA_TO_BETA: dict[str, str | None] = {ga: beta for beta, ga in BETA_TO_GA.items()}
# GA events beta never sends: a server speaking beta leaves them out.
GA_TO_BETA.update(
    {
        "conversation.item.done": None,
        "input_audio_buffer.timeout_triggered": None,
        "input_audio_buffer.dtmf_event_received": None,
    }
)

BETA_SERVER_EVENTS: frozenset[str] = frozenset(
    {
        "error",
        "session.created",
        "session.updated",
        "transcription_session.updated",
        "conversation.created",
        "conversation.item.created",
        "conversation.item.retrieved",
        "conversation.item.truncated",
        "conversation.item.deleted",
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.failed",
        "input_audio_buffer.committed",
        "input_audio_buffer.cleared",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "output_audio_buffer.started",
        "output_audio_buffer.stopped",
        "output_audio_buffer.cleared",
        "response.created",
        "response.done",
        "response.output_item.added",
        "response.output_item.done",
        "response.content_part.added",
        "response.content_part.done",
        "response.text.delta",
        "response.text.done",
        "response.audio_transcript.delta",
        "response.audio_transcript.done",
        "response.audio.delta",
        "response.audio.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "rate_limits.updated",
    }
)


def to_ga(event_type: str) -> str:
    """The GA spelling of a server event type (unknown types pass through unchanged)."""
    return BETA_TO_GA.get(event_type, event_type)


def to_beta(event_type: str) -> str | None:
    """The beta spelling of a GA server event type, or None when beta has no such event."""
    return GA_TO_BETA.get(event_type, event_type)


_ids = random.Random()  # seeded from os.urandom once; getrandbits is atomic under the GIL


def new_id(prefix: str) -> str:
    """A fresh id in the hosted API's style, e.g. ``event_3f2a...`` (prefix + 20 hex digits).

    Ids need to be unique, not secret: 80 bits from a Mersenne Twister of this module's own,
    seeded once from the OS, not a ``uuid4`` (one ``os.urandom`` system call per event, 25 a
    second per talking user). Its own, so that code seeding the global ``random`` (a test
    framework, a user's script) cannot make two sessions' ids repeat.
    """
    return f"{prefix}_{_ids.getrandbits(80):020x}"


def decode_frame(frame: str | bytes) -> object:
    """The JSON value of one WebSocket frame, read strictly (``strict_json``): the first step on
    both ends of the protocol. ``ProtocolError`` (``FrameRejected``) for anything else; whether
    the value is an event is for the caller to check, since the client refuses such a frame
    outright while the local engine answers it with an ``error`` event of its own code.
    """
    return strict_json.loads(frame)


def _decode(frame: str | bytes) -> Event:
    data = decode_frame(frame)
    if not isinstance(data, dict):
        raise ProtocolError(f"event must be a JSON object, got {type(data).__name__}")
    event_type = data.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise ProtocolError("event has no 'type' string")
    return data


def parse_server_event(frame: str | bytes) -> Event:
    """Decode a server frame and normalise its type to the GA name.

    Unknown types are returned as they are (forward compatible); a frame that is not a JSON
    object with a ``type`` string raises ``ProtocolError``.
    """
    event = _decode(frame)
    event["type"] = to_ga(event["type"])
    return event


def client_event(event_type: str, **fields: Any) -> Event:
    """A client event dict with a fresh ``event_id``; ``event_type`` must be a client event."""
    if event_type not in BETA_CLIENT_EVENTS:
        raise ValueError(f"not a client event type: {event_type!r}")
    return {"type": event_type, "event_id": new_id("event"), **fields}


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_APPEND_HEAD = '{"type":"input_audio_buffer.append",'
_APPEND_KEYS = ["type", "event_id", "audio"]  # client_event's order: the same text either way


def serialize(event: Event) -> str:
    """The JSON text frame for an event (compact, UTF-8 kept as is, strict: no NaN).

    ``input_audio_buffer.append``, 10 to 25 a second per talking user, is written directly
    when its fields need no escaping (base64 audio, a plain id): the same text as the general
    path, for a third of its CPU.
    """
    if event.get("type") == "input_audio_buffer.append" and list(event) == _APPEND_KEYS:
        audio, event_id = event.get("audio"), event.get("event_id")
        if (
            isinstance(audio, str)
            and isinstance(event_id, str)
            and _PLAIN_ID.fullmatch(event_id)
            and _BASE64.fullmatch(audio)
        ):
            return f'{_APPEND_HEAD}"event_id":"{event_id}","audio":"{audio}"}}'
    return strict_json.dumps(event)
