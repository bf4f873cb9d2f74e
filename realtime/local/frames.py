"""Client frames to events for the engine: strict JSON (``realtime.protocol.strict_json``) and
the engine's own error codes.

Pure; the connection runner calls it on the event loop for small frames and on a worker thread
for large ones. ``read_event`` returns the decoded event or raises ``InvalidRequest``, which the
runner answers with an ``error`` event, so no frame can raise anything else (deep nesting, NaN,
huge integers, lone surrogates: see ``strict_json``). ``encode_event`` is the strict way out, so
an event that could not be valid JSON fails where the runner answers ``server_error``.
"""

from __future__ import annotations

import base64
import binascii
import re

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
    (run on a worker thread for large frames; anything odd is left to the session to refuse).

    A large append is read without handing megabytes to ``json`` or ``base64`` in one call:
    both hold the GIL for the whole call (about 100 ms for 15 MiB), which would stall the
    event loop and every other client. The audio string is cut out, the rest of the event is
    read strictly, and the audio decoded in pieces, letting the loop run between them.
    """
    text = bytes(frame).decode("utf-8", "replace") if not isinstance(frame, str) else frame
    cut = _cut_audio(text)
    if cut is not None:
        event, audio = cut
        pcm = _decode_in_pieces(audio)
        event["audio"] = audio
        return event, pcm
    event = read_event(frame)
    value = event.get("audio")
    if not _plain_append(event) or not isinstance(value, str) or len(value) > MAX_APPEND_CHARS:
        return event, None
    try:
        return event, decode_pcm16_base64(value)
    except ProtocolError:
        return event, None


def _plain_append(event: Event) -> bool:
    return event.get("type") == "input_audio_buffer.append" and set(event) <= _APPEND_KEYS


def _cut_audio(text: str) -> tuple[Event, str] | None:
    """The event with its ``audio`` emptied, and the audio, when ``text`` is a plain append
    whose audio string holds no escape (base64 never does); else None (read it whole)."""
    key = _AUDIO_KEY.search(text)
    if key is None:
        return None
    end = text.find('"', key.end())
    if end < 0 or len(text) - (end - key.end()) > 4096:
        return None
    audio = text[key.end() : end]
    if "\\" in audio or len(audio) > MAX_APPEND_CHARS:
        return None
    try:  # what is left is small; the checks below prove the cut was the top-level audio
        event = read_event(text[: key.end()] + text[end:])
    except InvalidRequest:
        return None
    if not _plain_append(event) or event.get("audio") != "":
        return None
    return event, audio


def _decode_in_pieces(audio: str) -> bytes | None:
    """Strict base64 (padding only at the very end) of whole PCM16 samples, or None."""
    if len(audio) % 4 or "=" in audio[:-2]:
        return None
    pieces = []
    for start in range(0, len(audio), _PIECE):
        try:
            pieces.append(base64.b64decode(audio[start : start + _PIECE], validate=True))
        except (binascii.Error, ValueError):
            return None
    pcm = b"".join(pieces)
    return pcm if len(pcm) % 2 == 0 else None


_APPEND_KEYS = frozenset({"type", "event_id", "audio"})
_AUDIO_KEY = re.compile(r'"audio"\s*:\s*"')
_PIECE = 4 * 2**15  # base64 characters per decode call (a multiple of 4): well under 1 ms each
