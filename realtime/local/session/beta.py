"""The server edge for beta clients: GA server events respelled as the beta interface.

Pure; runs on the local server's event loop just before a frame is written, for connections
that sent ``OpenAI-Beta: realtime=v1``. The session speaks GA internally; this renames events
with ``realtime.protocol.events.to_beta`` (dropping those beta never sends, such as
``conversation.item.done``), spells assistant content parts ``text`` / ``audio`` instead of
``output_text`` / ``output_audio``, and reshapes response objects (``modalities``, ``voice``,
``output_audio_format`` instead of ``output_modalities`` and ``audio.output``). Session objects
need nothing here: the session draws them in the client's shape already.
"""

from __future__ import annotations

from typing import Any

from realtime.protocol.events import Event, to_beta

__all__ = ["beta_event"]

_PART_TYPES = {"output_text": "text", "output_audio": "audio"}


def beta_event(event: Event) -> Event | None:
    """``event`` as a beta server sends it, or None when beta has no such event."""
    name = to_beta(str(event["type"]))
    if name is None:
        return None
    out: Event = {key: _parts(value) for key, value in event.items()}
    out["type"] = name
    if isinstance(out.get("response"), dict):
        out["response"] = _response(out["response"])
    return out


def _parts(value: Any) -> Any:
    """A copy with content part types respelled, at any depth (items nest in responses)."""
    if isinstance(value, list):
        return [_parts(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {key: _parts(v) for key, v in value.items()}
    kind = out.get("type")
    if isinstance(kind, str) and kind in _PART_TYPES and ("text" in out or "transcript" in out):
        out["type"] = _PART_TYPES[kind]
    return out


def _response(response: dict[str, Any]) -> dict[str, Any]:
    out = dict(response)
    modalities = out.pop("output_modalities", None)
    if modalities is not None:
        out["modalities"] = ["text", "audio"] if "audio" in modalities else ["text"]
    audio = out.pop("audio", None)
    voice = ((audio or {}).get("output") or {}).get("voice")
    if voice is not None:
        out["voice"] = voice
        out["output_audio_format"] = "pcm16"
    return out
