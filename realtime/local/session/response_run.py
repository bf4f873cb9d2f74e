"""What one response sends, from ``response.created`` to ``response.done``, and its usage.

Pure; owned by the responding side (``realtime.local.session.responding``) on the server's event
loop, which decides when the response runs. A :class:`ResponseRun` turns the responder's reply
and the synthesiser's sentences into the output events of PROTOCOL.md "A spoken turn" step 6-11
(GA names; the server edge spells them in beta), keeps the assistant items in the conversation
(unless the response is out of band), and counts usage.

Usage is counted in the engine's own units, not a real tokenizer's: one text token per 4
characters (rounded up) and one audio token per 100 ms of audio (rounded up). Input tokens
are the instructions and every item the response reads; output tokens are the text or
transcript sent, function-call arguments, and the audio sent. ``max_output_tokens`` is
honoured in those units: of the sentence that would pass it, the words that fit are sent (with
their share of its audio) and the response ends ``incomplete`` (``max_output_tokens``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any

from realtime.local.session.history import History
from realtime.local.session.items import ItemRecord, Part, render_item
from realtime.local.session.jobs import Cancel, Outbox
from realtime.local.session.options import ResponseOptions
from realtime.local.session.token_cut import first_words
from realtime.local.stages.responders.responder import CallRequest
from realtime.local.stages.text.sentences import sentences
from realtime.protocol.events import new_id
from realtime.protocol.facts import pcm_format
from realtime.protocol.pcm import chunk_pcm16, duration_ms, encode_pcm16_base64

__all__ = ["AUDIO_DELTA_MS", "ResponseRun", "Stage", "audio_tokens", "text_tokens"]

AUDIO_DELTA_MS = 200  # audio per response.output_audio.delta
_ARGUMENT_CHUNK = 32  # characters per response.function_call_arguments.delta


class Stage(enum.Enum):
    WAITING = "waiting"  # for the transcripts of the turns it answers
    RESPONDING = "responding"  # the responder runs
    CALLING = "calling"  # an MCP server runs a tool (``session.mcp_calls``)
    SPEAKING = "speaking"  # sentences arrive from the synthesiser


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def audio_tokens(ms: float) -> int:
    return math.ceil(ms / 100)


class ResponseRun:
    """The state of the one response in progress; every method appends to ``out``."""

    def __init__(
        self,
        options: ResponseOptions,
        history: History,
        out: Outbox,
        *,
        conversation_id: str,
        input_tokens: tuple[int, int] = (0, 0),
    ) -> None:
        self.id = new_id("resp")
        # The key its jobs run under (``Respond.response_id``): its own id, or the key of the
        # answer prepared ahead it adopted (``realtime.local.session.prepared``).
        self.job_id = self.id
        self.options = options
        self.stage = Stage.WAITING
        self._history = history
        self._out = out
        self._conversation_id = conversation_id
        self._input_tokens = input_tokens  # (text, audio)
        self._output: list[ItemRecord] = []
        self._message: int | None = None  # index in _output of the open assistant message
        self._cut: set[str] = set()  # items the client truncated: their content stays cut
        self._text = ""
        self._audio_ms = 0.0
        self._call_tokens = 0
        self._calls: tuple[CallRequest, ...] = ()
        self.mcp_items: dict[str, ItemRecord] = {}  # its MCP calls (``session.mcp_calls``)
        # The approval request this response answers, and the client's decision.
        self.approval: tuple[ItemRecord, bool] | None = None

    # ---- lifecycle ----------------------------------------------------------------------
    @property
    def audio_ms(self) -> float:
        """The audio this response has sent so far."""
        return self._audio_ms

    def created(self) -> None:
        self._out.emit("response.created", response=self._object("in_progress", None, None))

    def reply(self, text: str, calls: tuple[CallRequest, ...]) -> bool:
        """Start the output; True when the response is complete already (no audio to wait
        for), False while its sentences are to come through :meth:`sentence`."""
        self._calls = calls
        if not text:
            self.finish("completed")
            return True
        self._open_message()
        if self.options.audio_output:
            self.stage = Stage.SPEAKING
            return False
        for part in sentences(text) or [text]:  # text only: split here, nothing to synthesise
            if not self.sentence(part, None):
                return True
        self.finish("completed")
        return True

    def sentence(self, text: str, pcm: bytes | None) -> bool:
        """Send one sentence (and its audio); False when the token limit ended the response.
        A streamed answer's first sentence opens the message."""
        if self._message is None:
            self._open_message()
        if not self._fits(text, pcm):  # the words that fit, then the end (as the hosted API)
            head, cut = first_words(text, pcm, self._fits)
            if head:
                self.sentence(head, cut)
            self.finish("incomplete", {"type": "incomplete", "reason": "max_output_tokens"})
            self._out.job(Cancel(self.job_id))
            return False
        delta = text if not self._text else " " + text
        ms = duration_ms(len(pcm)) if pcm else 0.0
        self._text += delta
        self._audio_ms += ms
        index = self._message
        assert index is not None
        item = self._output[index]
        where = self._where(item)
        if pcm is None:
            self._out.emit("response.output_text.delta", **where, delta=delta)
            part = Part("output_text", text=self._text)
        else:
            self._out.emit("response.output_audio_transcript.delta", **where, delta=delta)
            for chunk in chunk_pcm16(pcm, AUDIO_DELTA_MS):
                delta_b64 = encode_pcm16_base64(chunk)
                self._out.emit("response.output_audio.delta", **where, delta=delta_b64)
            part = Part("output_audio", transcript=self._text, audio=item.content[0].audio + pcm)
        self._store(index, item.replace(content=(part,)))
        return True

    def _fits(self, text: str, pcm: bytes | None) -> bool:
        limit, ms = self.options.token_limit, duration_ms(len(pcm)) if pcm else 0.0
        said = self._text + " " * bool(self._text) + text
        return limit is None or self._tokens(said, self._audio_ms + ms) <= limit

    def finish(self, status: str, details: Mapping[str, Any] | None = None) -> None:
        """Close the open message, send the function calls (if completed), ``response.done``."""
        self._close_message("completed" if status == "completed" else "incomplete")
        if status == "completed":
            for call in self._calls:
                self._call(call)
        usage = self._usage()
        self._out.emit("response.done", response=self._object(status, details, usage))

    def cancel(self, reason: str) -> None:
        self.finish("cancelled", {"type": "cancelled", "reason": reason})
        self._out.job(Cancel(self.job_id))

    def fail(self, message: str) -> None:
        error = {"type": "server_error", "code": "engine_error", "message": message}
        self.finish("failed", {"type": "failed", "error": error})

    # ---- output items -------------------------------------------------------------------
    def _open_message(self) -> None:
        kind = "output_audio" if self.options.audio_output else "output_text"
        item = ItemRecord(new_id("item"), role="assistant", status="in_progress")
        self._add(item)
        self._message = len(self._output) - 1
        self._store(self._message, item.replace(content=(Part(kind, text="", transcript=""),)))
        part = (
            {"type": "audio", "transcript": ""}
            if kind == "output_audio"
            else {"type": "text", "text": ""}
        )
        self._out.emit("response.content_part.added", **self._where(item), part=part)

    def _close_message(self, status: str) -> None:
        if self._message is None:
            return
        index, self._message = self._message, None
        item = self._output[index]
        where = self._where(item)
        if self.options.audio_output:
            self._out.emit("response.output_audio.done", **where)
            self._out.emit("response.output_audio_transcript.done", **where, transcript=self._text)
            part = {"type": "audio", "transcript": self._text}
        else:
            self._out.emit("response.output_text.done", **where, text=self._text)
            part = {"type": "text", "text": self._text}
        self._out.emit("response.content_part.done", **where, part=part)
        self._done(index, item.replace(status=status))

    def _call(self, call: CallRequest) -> None:
        item = ItemRecord(
            new_id("item"),
            "function_call",
            status="in_progress",
            name=call.name,
            call_id=new_id("call"),
        )
        self._add(item)
        index = len(self._output) - 1
        where = {"response_id": self.id, "item_id": item.id, "output_index": index}
        for start in range(0, len(call.arguments), _ARGUMENT_CHUNK):
            piece = call.arguments[start : start + _ARGUMENT_CHUNK]
            self._out.emit(
                "response.function_call_arguments.delta", **where, call_id=item.call_id, delta=piece
            )
        self._out.emit(
            "response.function_call_arguments.done",
            **where,
            call_id=item.call_id,
            name=call.name,
            arguments=call.arguments,
        )
        self._call_tokens += text_tokens(call.arguments)
        self._done(index, item.replace(arguments=call.arguments, status="completed"))

    def add_item(self, item: ItemRecord) -> int:
        """An output item of the response's own (an MCP call's): added; its output index."""
        self._add(item)
        return len(self._output) - 1

    def item_done(self, item: ItemRecord) -> None:
        """That item, finished: ``response.output_item.done`` (and the conversation's)."""
        self._done(self.output_index(item.id), item)

    def output_index(self, item_id: str) -> int:
        return next(i for i, it in enumerate(self._output) if it.id == item_id)

    def output_items(self) -> tuple[ItemRecord, ...]:
        return tuple(self._output)

    def count_call_tokens(self, tokens: int) -> None:
        self._call_tokens += tokens

    def _add(self, item: ItemRecord) -> None:
        self._output.append(item)
        wire = render_item(item)
        index = len(self._output) - 1
        self._out.emit(
            "response.output_item.added", response_id=self.id, output_index=index, item=wire
        )
        if self.options.in_conversation:
            previous = self._history.insert(item)
            self._out.emit("conversation.item.added", previous_item_id=previous, item=wire)

    def _done(self, index: int, item: ItemRecord) -> None:
        self._store(index, item)
        wire = render_item(item)
        self._out.emit(
            "response.output_item.done", response_id=self.id, output_index=index, item=wire
        )
        if self.options.in_conversation and item.id in self._history:
            previous = self._previous(item.id)
            self._out.emit("conversation.item.done", previous_item_id=previous, item=wire)

    def _previous(self, item_id: str) -> str | None:
        ids = [i.id for i in self._history.ordered()]
        index = ids.index(item_id)
        return ids[index - 1] if index > 0 else None

    def truncated(self, item: ItemRecord) -> None:
        """The client truncated one of this response's items (``conversation.item.truncate``):
        the cut copy is what the model remembers, whatever the response still produces."""
        for index, output in enumerate(self._output):
            if output.id == item.id:
                self._output[index] = item
                self._cut.add(item.id)

    def _store(self, index: int, item: ItemRecord) -> None:
        if item.id in self._cut:
            item = item.replace(content=self._output[index].content)
        self._output[index] = item
        if self.options.in_conversation:
            self._history.replace(item)

    def _where(self, item: ItemRecord) -> dict[str, Any]:
        index = next(i for i, it in enumerate(self._output) if it.id == item.id)
        return {
            "response_id": self.id,
            "item_id": item.id,
            "output_index": index,
            "content_index": 0,
        }

    # ---- wire objects -------------------------------------------------------------------
    def _tokens(self, text: str, ms: float) -> int:
        return text_tokens(text) + audio_tokens(ms) + self._call_tokens

    def _usage(self) -> dict[str, Any]:
        text_in, audio_in = self._input_tokens
        text_out = text_tokens(self._text) + self._call_tokens
        audio_out = audio_tokens(self._audio_ms)
        return {
            "total_tokens": text_in + audio_in + text_out + audio_out,
            "input_tokens": text_in + audio_in,
            "output_tokens": text_out + audio_out,
            "input_token_details": {
                "text_tokens": text_in,
                "audio_tokens": audio_in,
                "cached_tokens": 0,
                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0},
            },
            "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
        }

    def _object(
        self, status: str, details: Mapping[str, Any] | None, usage: dict[str, Any] | None
    ) -> dict[str, Any]:
        opts = self.options
        return {
            "id": self.id,
            "object": "realtime.response",
            "status": status,
            "status_details": None if details is None else dict(details),
            "output": [render_item(item) for item in self._output],
            "conversation_id": self._conversation_id if opts.in_conversation else None,
            "output_modalities": list(opts.output_modalities),
            "max_output_tokens": opts.max_output_tokens,
            "audio": {"output": {"format": pcm_format(), "voice": opts.voice}},
            "usage": usage,
            "metadata": None if opts.metadata is None else dict(opts.metadata),
        }
