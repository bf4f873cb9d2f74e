"""The sans-I/O conversation state of a Realtime client.

Owned by one thread (the bridge's); no sockets, threads or clocks inside. Feed it server events
(``receive`` for decoded dicts, ``receive_frame`` for raw frames) with the time they arrived, and
it updates items, transcripts, responses, function calls, usage, errors and turns (latency
marks); the client events to send are built by its methods (``text_turn``, ``append_audio``,
``commit``, ``barge_in``, ``function_output`` ...). Every call that takes or makes events hands
back one shape, a ``ClientOutcome``: the events to send, in order, and the effects to act on
(audio to play, speech started, calls to run, errors). Recorded JSONL turns therefore test it
completely.

The handler of each server event type lives in ``realtime.client.core.handlers``, one table of
functions over the state this class extends (``realtime.client.core.state``). An answer stopped
early is closed here too: by the user typing over it (``typed_interrupt``: truncate at what was
heard, cancel) or by a lost connection (``end_cut_response``: cancelled, its items as heard).
Values handed out are frozen dataclasses, replaced on every change, so a snapshot can be shared
with another thread without copying.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from realtime.client.core import handlers
from realtime.client.core.mcp_items import approval_response
from realtime.client.core.replay import Replay, ReplayBudget, build_replay
from realtime.client.core.state import ConversationState
from realtime.client.core.values import (
    AttachedImage,
    ClientOutcome,
    ResponseFinished,
    ResponseState,
    ServerError,
)
from realtime.protocol.errors import ProtocolError
from realtime.protocol.events import Event, client_event, new_id, parse_server_event, to_ga
from realtime.protocol.facts import MIN_COMMIT_MS, ApiVersion
from realtime.protocol.pcm import duration_ms, encode_pcm16_base64
from realtime.protocol.words import cut_words

__all__ = ["NO_BETA_IMAGES", "Conversation", "PlayedMs"]

NO_BETA_IMAGES = (
    "This provider speaks the beta Realtime interface, which takes no images: "
    "nothing was sent (choose a GA provider or model to send pictures)."
)

PlayedMs = Callable[[str], float]
"""How much of an item's audio the user heard, in ms (``Playback.played_ms``)."""


class Conversation(ConversationState):
    """Client-side state of one Realtime conversation; see the module docstring."""

    # ---- server events in -------------------------------------------------------------
    def receive_frame(self, frame: str | bytes, *, at: float = 0.0) -> ClientOutcome:
        """Parse a raw frame and receive it; a malformed frame becomes a recorded error."""
        try:
            event = parse_server_event(frame)
        except ProtocolError as exc:
            error = ServerError(type="protocol_error", message=str(exc))
            return ClientOutcome(effects=(self.record_error(error),))
        return self.receive(event, at=at)

    def receive(self, event: Event, *, at: float = 0.0) -> ClientOutcome:
        """Apply one server event (GA or beta names); never raises on peer input."""
        event_type = to_ga(str(event.get("type", "")))
        handler = handlers.HANDLERS.get(event_type)
        if handler is None:
            self.unknown_events.append(event)
            return ClientOutcome()
        try:
            return ClientOutcome(effects=tuple(handler(self, event, at)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            message = f"{event_type} could not be read: {type(exc).__name__}: {exc}"
            error = ServerError(type="protocol_error", message=message)
            return ClientOutcome(effects=(self.record_error(error),))

    # ---- reading ----------------------------------------------------------------------
    def transcript(self, item_id: str) -> str:
        return self.items[item_id].text

    @property
    def transcription_only(self) -> bool:
        """The server's session is a transcription session (GA ``type``, beta ``object``):
        nothing answers, so nothing asks for an answer."""
        session = self.session
        return (
            session.get("type") == "transcription"
            or session.get("object") == "realtime.transcription_session"
        )

    # ---- client events out ------------------------------------------------------------
    def text_turn(
        self,
        text: str,
        *,
        at: float = 0.0,
        respond: bool = True,
        images: Sequence[AttachedImage] = (),
        version: ApiVersion = ApiVersion.GA,
    ) -> ClientOutcome:
        """A typed user message (``conversation.item.create``), then ``response.create``.

        ``images`` (from ``realtime.client.core.images``) go in the same message as GA
        ``input_image`` parts after the text; the item then gets an id of ours, under which
        the conversation's ``ImageShelf`` keeps their bytes (thumbnails, replay). Beta has no
        image input: ``ProtocolError`` there, and nothing is sent.
        """
        content: list[dict[str, Any]] = [{"type": "input_text", "text": text}] if text else []
        item: dict[str, Any] = {"type": "message", "role": "user", "content": content}
        if images:
            if version is not ApiVersion.GA:
                raise ProtocolError(NO_BETA_IMAGES)
            item = {"id": new_id("item"), **item}
            content += [image.part() for image in images]
            self.images.put(item["id"], images)
        out = ClientOutcome((client_event("conversation.item.create", item=item),))
        return out + self.response_create(at=at) if respond else out

    def append_audio(self, pcm: bytes) -> ClientOutcome:
        """``input_audio_buffer.append`` for PCM16 24 kHz mono bytes."""
        self.buffered_ms += duration_ms(len(pcm))
        return ClientOutcome(
            (client_event("input_audio_buffer.append", audio=encode_pcm16_base64(pcm)),)
        )

    def commit(self, *, at: float = 0.0, respond: bool = True) -> ClientOutcome:
        """``input_audio_buffer.commit`` (push-to-talk), then ``response.create`` (not in a
        transcription session).

        Raises ``ProtocolError`` when less than 100 ms was appended: the server would refuse.
        """
        if self.buffered_ms < MIN_COMMIT_MS:
            raise ProtocolError(
                f"only {self.buffered_ms:.0f} ms of audio is buffered; hold the button and speak "
                f"for at least {MIN_COMMIT_MS} ms before sending"
            )
        self.buffered_ms = 0.0
        out = ClientOutcome((client_event("input_audio_buffer.commit"),))
        return out + self.response_create(at=at) if respond and not self.transcription_only else out

    def clear_audio(self) -> ClientOutcome:
        """``input_audio_buffer.clear``."""
        self.buffered_ms = 0.0
        return ClientOutcome((client_event("input_audio_buffer.clear"),))

    def response_create(self, *, at: float = 0.0, **response: Any) -> ClientOutcome:
        """``response.create``; keyword arguments become its ``response`` object. Starts the
        next turn's clock (trigger ``client``)."""
        self.mark_turn_start(at, "client")
        if response:
            return ClientOutcome((client_event("response.create", response=response),))
        return ClientOutcome((client_event("response.create"),))

    def response_cancel(self) -> ClientOutcome:
        """``response.cancel`` of the response in progress (or of none named)."""
        if self.active_response_id:
            event = client_event("response.cancel", response_id=self.active_response_id)
        else:
            event = client_event("response.cancel")
        self.cancels_sent.append(event["event_id"])
        return ClientOutcome((event,))

    def truncate(self, item_id: str, played_ms: float) -> ClientOutcome:
        """``conversation.item.truncate`` at the audio actually played, never past the item."""
        item = self.items.get(item_id)
        limit = item.audio_ms if item else 0.0
        end = int(max(0.0, min(played_ms, limit)))
        if item is not None and item.audio_ms > 0:
            self.upsert(item_id, heard=cut_words(item.text, end / item.audio_ms))
        event = client_event(
            "conversation.item.truncate", item_id=item_id, content_index=0, audio_end_ms=end
        )
        return ClientOutcome((event,))

    def barge_in(self, played_ms: float, *, cancel: bool = False) -> ClientOutcome:
        """The user spoke over the assistant: truncate what was not heard (and cancel).

        ``played_ms`` is how much of the speaking item's audio the user actually heard.
        """
        out = ClientOutcome()
        if self.active_response_id:
            self.silenced.add(self.active_response_id)  # late deltas must not play again
        if cancel and self.active_response_id:
            out += self.response_cancel()
        if self.speaking_item_id is not None:
            out += self.truncate(self.speaking_item_id, played_ms)
            self.speaking_item_id = None
        return out

    def function_output(self, call_id: str, output: str, *, at: float = 0.0) -> ClientOutcome:
        """Send a call's output; the last output of a response also asks for the next one."""
        call = self.calls[call_id]
        self.calls[call_id] = replace(call, output=output)
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        out = ClientOutcome((client_event("conversation.item.create", item=item),))
        siblings = [c for c in self.calls.values() if c.response_id == call.response_id]
        if all(c.output is not None for c in siblings):
            out += self.response_create(at=at)
        return out

    def mcp_approval(self, request_id: str, approve: bool) -> ClientOutcome:
        """Answer an ``mcp_approval_request`` (``realtime.client.core.mcp_items``): the server
        goes on by itself (the call and its result, or the refusal), so no ``response.create``
        follows, as OpenAI's own Agents SDK does (``sendMcpResponse``). Nothing for a request
        that is unknown or already answered."""
        return ClientOutcome(approval_response(self, request_id, approve))

    def replay(self, version: ApiVersion, budget: ReplayBudget | None = None) -> Replay:
        """The conversation so far for a new server session (``realtime.client.core.replay``);
        the server's echoes of these items leave the transcript as it is."""
        replay = build_replay(self.ordered_items(), version, budget, images=self.images.view())
        self.replayed = set(replay.item_ids)
        return replay

    def item_retrieve(self, item_id: str) -> ClientOutcome:
        """``conversation.item.retrieve``: what the server holds (the transcript is kept)."""
        return ClientOutcome((client_event("conversation.item.retrieve", item_id=item_id),))

    def session_update(
        self, session: dict[str, Any], kind: str = "session.update"
    ) -> ClientOutcome:
        """``session.update`` with a payload from ``realtime.client.core.session_update``
        (``kind`` ``transcription_session.update`` for a beta transcription session)."""
        return ClientOutcome((client_event(kind, session=session),))

    # ---- answers stopped early ---------------------------------------------------------
    def typed_interrupt(self, played_ms: PlayedMs | None, *, audio_pending: bool) -> ClientOutcome:
        """A typed message while the assistant speaks: truncate the speaking item at what was
        heard (when its audio was still playing), then cancel the response in progress and
        silence its late audio. The caller has already cleared the playback and sends the
        message after these events; ``played_ms`` None: nothing plays audio, so the whole item
        was heard."""
        rid = self.active_response_id
        out = ClientOutcome()
        speaking = self.speaking_item_id
        if speaking is not None and audio_pending:
            heard = played_ms(speaking) if played_ms is not None else self.items[speaking].audio_ms
            out += self.truncate(speaking, heard)
            self.speaking_item_id = None
        if rid is not None:
            self.silenced.add(rid)
            out += self.response_cancel()
        return out

    def end_cut_response(self, played_ms: PlayedMs | None, *, at: float) -> ClientOutcome:
        """The socket closed: close what the lost connection left open.

        The old session is gone with its response, so nothing will ever finish it: the response
        ends ``cancelled`` (reason ``connection_lost``; its ``ResponseFinished`` is the effect
        handed back), its items ``incomplete`` with the text as heard (``played_ms`` None: the
        screen's text is what the user got), nothing is left active or speaking, and the next
        turn (or the replay) starts from a clean state. Nothing is sent: there is no session.
        """
        rid = self.active_response_id
        self.active_response_id = None
        self.speaking_item_id = None
        self.user_speaking = False
        self.buffered_ms = 0.0  # the server's input buffer went with the session
        self.clear_turn_start()
        for item in self.ordered_items():
            if item.transcribing:  # that transcript will never arrive
                self.upsert(item.id, transcribing=False)
        if rid is None:
            return ClientOutcome()
        self.silenced.add(rid)
        state = self.responses.get(rid) or ResponseState(id=rid)
        self.responses[rid] = replace(state, status="cancelled", status_reason="connection_lost")
        if rid in self.turns:
            self.update_turn(rid, status="cancelled", done_at=at)
        for item in self.ordered_items():
            if item.response_id != rid and item.id not in state.item_ids:
                continue
            if item.status != "in_progress":
                continue
            fields: dict[str, Any] = {"status": "incomplete"}
            if item.type == "message" and item.audio_ms > 0 and played_ms is not None:
                heard_ms = min(played_ms(item.id), item.audio_ms)
                heard = cut_words(item.text, heard_ms / item.audio_ms)
                fields.update(text=heard, heard=heard, truncated_at_ms=int(heard_ms))
            self.upsert(item.id, **fields)
        return ClientOutcome(effects=(ResponseFinished(rid, "cancelled"),))
