"""Conversation items as the local engine keeps them: parsed from clients, drawn for the wire.

Pure; owned by the session state machine on the server's event loop. An :class:`ItemRecord` is
frozen and replaced on every change. Content part types are kept in GA spelling (``output_text`` /
``output_audio`` for the assistant); a beta client's ``text`` / ``audio`` are read into them here,
and the server edge (``realtime.local.session.beta``) spells them back. Audio is kept as PCM16 24
kHz bytes, drawn as base64 only in ``conversation.item.retrieved``. A GA user message may carry
``input_image`` parts, read by ``realtime.local.session.images`` and kept as their data URIs.
MCP items (``mcp_list_tools``, ``mcp_call``, ``mcp_approval_request``, ``mcp_approval_response``)
keep their own wire fields in ``ItemRecord.mcp``; a client creates only the last (GA).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realtime.local.session.images import parse_image
from realtime.local.session.wire import (
    InvalidRequest,
    check_keys,
    expect_bool,
    expect_choice,
    expect_object,
    expect_string,
)
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import new_id
from realtime.protocol.facts import ApiVersion
from realtime.protocol.pcm import (
    bytes_for_ms,
    decode_pcm16_base64,
    duration_ms,
    encode_pcm16_base64,
)
from realtime.protocol.words import cut_words

__all__ = [
    "MCP_ITEMS",
    "ItemRecord",
    "Part",
    "item_images",
    "item_text",
    "parse_item",
    "render_item",
    "truncate_item",
]

# Content part types each role may send, by API version; beta names map to GA ones.
_PART_TYPES: dict[ApiVersion, dict[str, dict[str, str]]] = {
    ApiVersion.GA: {
        "user": {
            "input_text": "input_text",
            "input_audio": "input_audio",
            "input_image": "input_image",
        },
        "system": {"input_text": "input_text"},
        "assistant": {"output_text": "output_text", "output_audio": "output_audio"},
    },
    ApiVersion.BETA: {
        "user": {"input_text": "input_text", "input_audio": "input_audio"},
        "system": {"input_text": "input_text"},
        "assistant": {"text": "output_text", "audio": "output_audio"},
    },
}
_AUDIO_PARTS = frozenset({"input_audio", "output_audio"})
_ITEM_KEYS = {
    "message": ("id", "type", "object", "status", "role", "content"),
    "function_call": ("id", "type", "object", "status", "name", "call_id", "arguments"),
    "function_call_output": ("id", "type", "object", "status", "call_id", "output"),
    "mcp_approval_response": ("id", "type", "object", "approval_request_id", "approve", "reason"),
}
MCP_ITEMS = frozenset(
    {"mcp_list_tools", "mcp_call", "mcp_approval_request", "mcp_approval_response"}
)


@dataclass(frozen=True)
class Part:
    """One content part; ``transcript`` is None until known (user audio before ASR)."""

    type: str
    text: str | None = None
    transcript: str | None = None
    audio: bytes = b""
    image_url: str | None = None  # input_image: its data URI
    detail: str | None = None


@dataclass(frozen=True)
class ItemRecord:
    id: str
    type: str = "message"
    role: str = ""
    status: str = "completed"
    content: tuple[Part, ...] = ()
    name: str = ""
    call_id: str = ""
    arguments: str = ""
    output: str = ""
    mcp: Mapping[str, Any] | None = None  # an MCP item's own wire fields

    def replace(self, **changes: Any) -> ItemRecord:
        return dataclasses.replace(self, **changes)


def item_text(item: ItemRecord) -> str:
    """What a responder reads: message text and transcripts, call arguments, call output."""
    if item.type == "function_call":
        return item.arguments
    if item.type == "function_call_output":
        return item.output
    if item.type == "mcp_call" and item.mcp is not None:
        error = item.mcp.get("error")
        return str(item.mcp.get("output") or (error or {}).get("message", ""))
    if item.mcp is not None:
        return ""
    return " ".join(p.text or p.transcript or "" for p in item.content).strip()


def item_images(item: ItemRecord) -> tuple[str, ...]:
    """The data URIs of a message's ``input_image`` parts, in order."""
    return tuple(p.image_url for p in item.content if p.image_url is not None)


def parse_item(raw: Any, version: ApiVersion, param: str = "item") -> ItemRecord:
    """An item of ``conversation.item.create`` (or a response's ``input``)."""
    obj = expect_object(raw, param)
    kinds = tuple(k for k in _ITEM_KEYS if version is ApiVersion.GA or k not in MCP_ITEMS)
    kind = expect_choice(obj.get("type", "message"), f"{param}.type", kinds)
    check_keys(obj, _ITEM_KEYS[kind], param)
    item_id = expect_string(obj.get("id") or new_id("item"), f"{param}.id")
    if kind == "mcp_approval_response":
        return _approval_response(obj, item_id, param)
    if kind == "function_call":
        return ItemRecord(
            item_id,
            kind,
            name=_required_string(obj, "name", param),
            call_id=expect_string(obj.get("call_id") or new_id("call"), f"{param}.call_id"),
            arguments=_required_string(obj, "arguments", param),
        )
    if kind == "function_call_output":
        return ItemRecord(
            item_id,
            kind,
            call_id=_required_string(obj, "call_id", param),
            output=_required_string(obj, "output", param),
        )
    roles = _PART_TYPES[version]
    role = expect_choice(obj.get("role"), f"{param}.role", tuple(roles))
    if "content" not in obj:
        raise InvalidRequest.missing(f"{param}.content")
    if not isinstance(obj["content"], list):
        raise InvalidRequest("invalid_type", f"'{param}.content' must be an array.", param)
    parts = tuple(
        _parse_part(p, roles[role], f"{param}.content[{i}]") for i, p in enumerate(obj["content"])
    )
    return ItemRecord(item_id, kind, role=role, content=parts)


def _approval_response(obj: dict[str, Any], item_id: str, param: str) -> ItemRecord:
    """The client's answer to an ``mcp_approval_request`` (the session checks the request)."""
    if "approve" not in obj:
        raise InvalidRequest.missing(f"{param}.approve")
    fields: dict[str, Any] = {
        "approval_request_id": _required_string(obj, "approval_request_id", param),
        "approve": expect_bool(obj["approve"], f"{param}.approve"),
    }
    if obj.get("reason") is not None:
        fields["reason"] = expect_string(obj["reason"], f"{param}.reason")
    return ItemRecord(item_id, "mcp_approval_response", mcp=fields)


def _required_string(obj: dict[str, Any], key: str, param: str) -> str:
    if key not in obj:
        raise InvalidRequest.missing(f"{param}.{key}")
    return expect_string(obj[key], f"{param}.{key}")


def _parse_part(raw: Any, allowed: dict[str, str], param: str) -> Part:
    obj = expect_object(raw, param)
    kind = allowed[expect_choice(obj.get("type"), f"{param}.type", tuple(allowed))]
    if kind == "input_image":
        url, detail = parse_image(obj, param)
        return Part(kind, image_url=url, detail=detail)
    check_keys(obj, ("type", "text", "transcript", "audio", "format"), param)
    if kind in ("input_text", "output_text"):
        return Part(kind, text=_required_string(obj, "text", param))
    audio = b""
    if obj.get("audio") is not None:
        try:
            audio = decode_pcm16_base64(expect_string(obj["audio"], f"{param}.audio"))
        except ProtocolError as exc:
            raise InvalidRequest.value(f"{param}.audio", f"Invalid audio: {exc}.") from exc
    transcript = obj.get("transcript")
    if transcript is not None:
        expect_string(transcript, f"{param}.transcript")
    return Part(kind, transcript=transcript, audio=audio)


def render_item(item: ItemRecord, *, with_audio: bool = False) -> dict[str, Any]:
    """The item object of the wire (GA spelling); ``with_audio`` adds base64 audio."""
    if item.mcp is not None:  # the SDK's Realtime Mcp* item models: no status
        return {"id": item.id, "object": "realtime.item", "type": item.type, **item.mcp}
    out: dict[str, Any] = {
        "id": item.id,
        "object": "realtime.item",
        "type": item.type,
        "status": item.status,
    }
    if item.type == "function_call":
        out.update(name=item.name, call_id=item.call_id, arguments=item.arguments)
    elif item.type == "function_call_output":
        out.update(call_id=item.call_id, output=item.output)
    else:
        out.update(role=item.role, content=[_render_part(p, with_audio) for p in item.content])
    return out


def _render_part(part: Part, with_audio: bool) -> dict[str, Any]:
    if part.type == "input_image":
        return {"type": part.type, "image_url": part.image_url, "detail": part.detail}
    if part.type not in _AUDIO_PARTS:
        return {"type": part.type, "text": part.text}
    out: dict[str, Any] = {"type": part.type, "transcript": part.transcript}
    if with_audio:
        out["audio"] = encode_pcm16_base64(part.audio)
    return out


def truncate_item(item: ItemRecord, content_index: int, audio_end_ms: int) -> ItemRecord:
    """``conversation.item.truncate``: keep the first ``audio_end_ms`` of the audio part and
    the same share of its transcript, cut at a word boundary (text is not timed, so a
    proportional cut is the honest estimate)."""
    if item.type != "message" or item.role != "assistant":
        raise InvalidRequest.value("item_id", "Only assistant message items can be truncated.")
    if not 0 <= content_index < len(item.content):
        raise InvalidRequest.value("content_index", f"Content index {content_index} not found.")
    part = item.content[content_index]
    if part.type != "output_audio":
        raise InvalidRequest.value("content_index", "Only audio content can be truncated.")
    length = duration_ms(len(part.audio))
    if audio_end_ms > length + 0.5:
        raise InvalidRequest.value(
            "audio_end_ms",
            f"Audio content of {length:.0f}ms is already shorter than {audio_end_ms}ms.",
        )
    keep = bytes_for_ms(audio_end_ms)
    ratio = audio_end_ms / length if length else 0.0
    transcript = cut_words(part.transcript or "", ratio)
    new_part = dataclasses.replace(part, audio=part.audio[:keep], transcript=transcript)
    content = tuple(new_part if i == content_index else p for i, p in enumerate(item.content))
    return item.replace(content=content)
