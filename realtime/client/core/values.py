"""The frozen values of a Realtime conversation, the effects a client must act on, and the
``ClientOutcome`` every ``Conversation`` call hands back.

Pure data shared across threads: ``Conversation`` (the bridge thread) builds them and replaces
them on every change; snapshots, pages, exports and metrics only read them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from realtime.protocol.events import Event
from realtime.protocol.logprobs import TokenLogprob

__all__ = [
    "AttachedImage",
    "AudioOut",
    "CallsReady",
    "Effect",
    "ErrorReported",
    "FunctionCall",
    "ImageInfo",
    "Item",
    "ClientOutcome",
    "McpInfo",
    "RateLimit",
    "ResponseFinished",
    "ResponseState",
    "ServerError",
    "SpeechStarted",
    "Turn",
    "Usage",
]


@dataclass(frozen=True)
class McpInfo:
    """What an MCP item adds to its ``Item``: the server, the tools it listed, a call's result
    or error and when it ran (the caller's clock), an approval request's answer.

    ``Item.type`` says which: ``mcp_list_tools`` (``Item.status`` in_progress, completed or
    failed), ``mcp_call`` (``Item.name`` the tool, ``Item.text`` its arguments),
    ``mcp_approval_request`` (the same, until the user answers: ``approved``).
    """

    server_label: str = ""
    tools: tuple[str, ...] = ()
    output: str | None = None
    error: str | None = None
    started_at: float | None = None
    done_at: float | None = None
    approval_request_id: str | None = None  # a call that was approved first
    approved: bool | None = None  # an approval request: the answer sent or seen, None: none yet

    @property
    def duration_ms(self) -> float | None:
        if self.started_at is None or self.done_at is None:
            return None
        return max(0.0, (self.done_at - self.started_at) * 1000)


@dataclass(frozen=True)
class ImageInfo:
    """What an item shows of an image it carries: its type and size, never its bytes (those
    stay with the conversation's ``ImageShelf``); width and height when the client made it."""

    mime: str
    size: int  # bytes
    width: int | None = None
    height: int | None = None

    @property
    def summary(self) -> str:
        """``<image: image/png, 20480 bytes>``: the event log's spelling of an image."""
        return f"<image: {self.mime}, {self.size} bytes>"

    @property
    def label(self) -> str:
        """``PNG image, 800×600, 120 KB`` for people."""
        kind = self.mime.removeprefix("image/").upper()
        shape = f", {self.width}×{self.height}" if self.width and self.height else ""
        return f"{kind} image{shape}, {max(1, round(self.size / 1024))} KB"


@dataclass(frozen=True)
class AttachedImage:
    """An image ready to send (``realtime.client.core.images.prepare_image``): the encoded
    bytes as sent, their size in pixels, and a small thumbnail for the transcript."""

    mime: str  # image/png or image/jpeg: what the hosted API takes
    data: bytes = field(repr=False)
    width: int
    height: int
    thumbnail: bytes = field(repr=False)
    thumbnail_mime: str
    detail: str = "auto"  # auto | low | high

    @property
    def info(self) -> ImageInfo:
        return ImageInfo(self.mime, len(self.data), self.width, self.height)

    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def part(self) -> dict[str, Any]:
        """The GA ``input_image`` content part."""
        return {"type": "input_image", "image_url": self.data_uri(), "detail": self.detail}


@dataclass(frozen=True)
class Item:
    """One conversation item as the user sees it.

    ``role`` is user, assistant or system for messages, and ``tool`` for function calls, their
    outputs and MCP items (``mcp``); ``text`` is the typed text, the transcript of spoken
    audio, or the call's arguments. ``audio_ms`` counts the assistant audio received for the
    item; ``heard`` is the part of ``text`` the user heard when its audio was cut short (None:
    all of it). A spoken user item keeps where its speech started and stopped in the session's
    input audio (``audio_start_ms`` / ``audio_end_ms`` of the VAD events): a transcription's
    timestamps, and, when the session's ``include`` asks for them, its transcription's token
    ``logprobs``.
    ``images`` describes the ``input_image`` parts of a user message (their bytes are kept
    apart: ``Snapshot.images``).
    """

    id: str
    type: str = "message"
    role: str = "user"
    text: str = ""
    status: str = "in_progress"
    response_id: str | None = None
    audio_ms: float = 0.0
    transcribing: bool = False
    truncated_at_ms: int | None = None
    call_id: str | None = None
    name: str | None = None
    heard: str | None = None
    audio_start_ms: int | None = None
    audio_end_ms: int | None = None
    mcp: McpInfo | None = None  # MCP items only: realtime.client.core.mcp_items
    logprobs: tuple[TokenLogprob, ...] = ()
    images: tuple[ImageInfo, ...] = ()


@dataclass(frozen=True)
class RateLimit:
    """One limit of ``rate_limits.updated`` as of ``at`` (the caller's clock): what is left of
    it, and in how many seconds it resets (counted from ``at``)."""

    name: str
    limit: int | None
    remaining: int | None
    reset_seconds: float | None
    at: float


@dataclass(frozen=True)
class FunctionCall:
    call_id: str
    name: str
    item_id: str
    response_id: str | None
    arguments: str = ""
    parsed: dict[str, Any] | None = None
    parse_error: str | None = None
    done: bool = False  # arguments complete
    output: str | None = None  # what the client sent back


@dataclass(frozen=True)
class Usage:
    """Token counts of ``response.done``; add two with ``+`` for session totals."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_text_tokens: int = 0
    input_audio_tokens: int = 0
    cached_tokens: int = 0
    cached_text_tokens: int = 0
    cached_audio_tokens: int = 0
    input_image_tokens: int = 0
    cached_image_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0

    @classmethod
    def from_wire(cls, usage: dict[str, Any]) -> Usage:
        ins = usage.get("input_token_details") or {}
        cached = ins.get("cached_tokens_details") or {}
        outs = usage.get("output_token_details") or {}
        return cls(
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            total_tokens=int(usage.get("total_tokens") or 0),
            input_text_tokens=int(ins.get("text_tokens") or 0),
            input_audio_tokens=int(ins.get("audio_tokens") or 0),
            cached_tokens=int(ins.get("cached_tokens") or 0),
            cached_text_tokens=int(cached.get("text_tokens") or 0),
            cached_audio_tokens=int(cached.get("audio_tokens") or 0),
            input_image_tokens=int(ins.get("image_tokens") or 0),
            cached_image_tokens=int(cached.get("image_tokens") or 0),
            output_text_tokens=int(outs.get("text_tokens") or 0),
            output_audio_tokens=int(outs.get("audio_tokens") or 0),
        )

    def __add__(self, other: Usage) -> Usage:
        names = [f.name for f in self.__dataclass_fields__.values()]
        return Usage(**{n: getattr(self, n) + getattr(other, n) for n in names})


@dataclass(frozen=True)
class ServerError:
    """An ``error`` event, or a frame we could not read (``type`` ``protocol_error``)."""

    type: str
    message: str
    code: str | None = None
    param: str | None = None
    event_id: str | None = None  # the client event at fault


@dataclass(frozen=True)
class Turn:
    """One response as the metrics see it: latency marks (seconds, the caller's clock), how it
    started and ended, its tokens and the session's model.

    The clock starts when the user stopped speaking (``input_audio_buffer.speech_stopped``,
    trigger ``speech``) or when the client built ``response.create`` (typed and push-to-talk
    turns, tool outputs: trigger ``client``); ``None`` when the start was not seen.
    """

    response_id: str
    index: int = 0  # 1 for the session's first response
    trigger: str | None = None  # "speech" | "client" | None
    started_at: float | None = None
    first_text_at: float | None = None  # first text or audio transcript delta
    first_audio_at: float | None = None
    done_at: float | None = None
    status: str = "in_progress"  # response.done status: completed, cancelled, incomplete, failed
    usage: Usage | None = None
    model: str | None = None  # the session's model as the server reported it, at response.done

    def latency(self, mark: str) -> float | None:
        """Seconds from the start to ``first_text``, ``first_audio`` or ``done``, to the us."""
        end: float | None = getattr(self, f"{mark}_at")
        if end is None or self.started_at is None:
            return None
        return round(end - self.started_at, 6)

    @property
    def first_text_latency(self) -> float | None:
        return self.latency("first_text")

    @property
    def first_audio_latency(self) -> float | None:
        return self.latency("first_audio")

    @property
    def done_latency(self) -> float | None:
        return self.latency("done")


@dataclass(frozen=True)
class ResponseState:
    id: str
    status: str = "in_progress"
    status_reason: str | None = None
    usage: Usage | None = None
    item_ids: tuple[str, ...] = ()


# Effects: what the caller must act on after feeding an event.
@dataclass(frozen=True)
class AudioOut:
    item_id: str
    response_id: str | None
    pcm: bytes


@dataclass(frozen=True)
class SpeechStarted:
    item_id: str | None
    audio_start_ms: int
    response_streaming: bool  # a response was in progress: the user spoke over it


@dataclass(frozen=True)
class CallsReady:
    response_id: str
    calls: tuple[FunctionCall, ...]


@dataclass(frozen=True)
class ResponseFinished:
    response_id: str
    status: str


@dataclass(frozen=True)
class ErrorReported:
    error: ServerError


Effect = AudioOut | SpeechStarted | CallsReady | ResponseFinished | ErrorReported


@dataclass(frozen=True)
class ClientOutcome:
    """What one ``Conversation`` call hands back: the client events to send, in order, and the
    effects to act on. The client's own type: the local engine's session hands back one of its
    own, of another shape (the events it sends and the jobs for its workers)."""

    events: tuple[Event, ...] = ()
    effects: tuple[Effect, ...] = ()

    def __add__(self, other: ClientOutcome) -> ClientOutcome:
        return ClientOutcome(self.events + other.events, self.effects + other.effects)
