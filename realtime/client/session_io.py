"""One connected session's reader and writer, on the bridge loop, around the sans-I/O core.

Runs on the bridge thread's asyncio loop, which alone owns what :class:`SessionIO` holds: the
``Conversation``, the ``SessionConfig`` and the API key (changed only through ``ChangeSettings``
taken from the ``Inbox``), the ``ToolDesk`` and the running tool tasks. While a ``Transport`` is
open, ``serve`` runs:

- a writer: inbox items first (commands and settings: control events jump ahead of audio), then
  queued microphone chunks as ``input_audio_buffer.append``;
- a reader: each server frame goes to the conversation; its effects are acted on (audio to
  ``Playback``, barge-in truncation at the audio heard, tool calls run beside the reader,
  server errors as notices); then the snapshot is published.

Every client event sent and server event received also goes to the ``on_event`` observer (the
recording, the tests), with the time it was sent or received.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from typing import Any

from realtime.client.config import SemanticVad, ServerVad, SessionConfig
from realtime.client.conversation import Conversation
from realtime.client.endpoint import connection_headers, connection_url
from realtime.client.inbox import ChangeSettings, Inbox
from realtime.client.mic_queue import MicQueue
from realtime.client.playback import Playback
from realtime.client.publisher import Publisher
from realtime.client.session_update import session_payload
from realtime.client.snapshot import LinkState
from realtime.client.tool_desk import ToolDesk
from realtime.client.transport import Transport
from realtime.client.values import (
    AudioOut,
    CallsReady,
    Effect,
    ErrorReported,
    FunctionCall,
    Outcome,
    SpeechStarted,
)
from realtime.protocol.errors import ConnectionFailed, ProtocolError, RealtimeError
from realtime.protocol.events import Event, parse_server_event

__all__ = ["EventObserver", "Ended", "SessionIO"]

log = logging.getLogger(__name__)

EventObserver = Callable[[str, dict[str, Any], float], None]
"""``(direction, event, at)``: "client" for an event sent, "server" for one received."""


class Ended(enum.Enum):
    """Why ``serve`` returned (a lost connection raises ``ConnectionFailed`` instead)."""

    STOPPED = "stopped"
    RECONNECT = "reconnect"  # new settings need a new connection


class SessionIO:
    """The bridge loop's side of one session; see the module docstring."""

    def __init__(
        self,
        config: SessionConfig,
        api_key: str | None,
        *,
        conversation: Conversation,
        inbox: Inbox,
        mic: MicQueue,
        desk: ToolDesk,
        status: Publisher,
        playback: Playback | None,
        on_event: EventObserver | None,
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._api_key = api_key  # only ever put in handshake headers
        self._conv = conversation
        self._inbox = inbox
        self._mic = mic
        self._desk = desk
        self._status = status
        self._playback = playback
        self._on_event = on_event
        self._clock = clock
        self._tool_tasks: set[asyncio.Future[None]] = set()

    # ---- settings and endpoint -----------------------------------------------------------
    def settle(self) -> None:
        """Apply the settings changes waiting, before a connection opens with them."""
        for change in self._inbox.take_settings():
            self._change(change)

    def endpoint(self) -> tuple[str, dict[str, str]]:
        """The URL and handshake headers for the current settings."""
        return connection_url(self._config), connection_headers(self._config, self._api_key)

    def _change(self, change: ChangeSettings) -> tuple[Outcome, bool]:
        """Adopt new settings: the ``session.update`` to send, and whether to reconnect."""
        old, self._config = self._config, change.config
        key_changed = change.api_key is not None and change.api_key != self._api_key
        if change.api_key is not None:
            self._api_key = change.api_key
        if key_changed or _endpoint(old) != _endpoint(change.config):
            return Outcome(), True
        payload = session_payload(change.config)
        if session_payload(old) != payload:
            return self._conv.session_update(payload), False
        return Outcome(), False

    # ---- one connection ------------------------------------------------------------------
    async def serve(self, transport: Transport, stop: asyncio.Event) -> Ended:
        """Send the session, then read and write until stopped, reconnect asked, or closed."""
        self._mic.clear()  # speech queued while disconnected is stale
        await self._send_all(transport, self._conv.session_update(session_payload(self._config)))
        self._status.set_state(LinkState.CONNECTED)
        reader = asyncio.ensure_future(self._reader(transport))
        writer = asyncio.ensure_future(self._writer(transport))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait(
                {reader, writer, stopped}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            everything: list[asyncio.Future[Any]] = [reader, writer, stopped, *self._tool_tasks]
            for task in everything:
                task.cancel()
            await asyncio.gather(*everything, return_exceptions=True)
        if writer in done and not writer.cancelled() and writer.exception() is None:
            return writer.result()
        for task in done:
            if not task.cancelled() and (error := task.exception()) is not None:
                raise error
        return Ended.STOPPED

    async def _send(self, transport: Transport, event: Event) -> None:
        await transport.send(event)
        if self._on_event is not None:
            self._on_event("client", event, self._clock())

    async def _send_all(self, transport: Transport, outcome: Outcome) -> None:
        for event in outcome.events:
            await self._send(transport, event)

    async def _writer(self, transport: Transport) -> Ended:
        while True:
            while (item := self._inbox.pop()) is not None:  # control events jump ahead of audio
                if isinstance(item, ChangeSettings):
                    outcome, reconnect = self._change(item)
                    if reconnect:
                        return Ended.RECONNECT  # later commands wait for the new connection
                else:
                    try:
                        outcome = item()
                    except RealtimeError as exc:
                        self._status.notice("warning", str(exc))
                        continue
                await self._send_all(transport, outcome)
                self._status.publish()
            while (chunk := self._mic.pop()) is not None:
                await self._send_all(transport, self._conv.append_audio(chunk))
            await self._inbox.wait()

    async def _reader(self, transport: Transport) -> None:
        async for frame in transport.frames():
            at = self._clock()
            try:
                event = parse_server_event(frame)
            except ProtocolError:
                outcome = self._conv.receive_frame(frame, at=at)  # recorded as a protocol error
                event = _malformed(frame)
            else:
                outcome = self._conv.receive(event, at=at)
            if self._on_event is not None:
                self._on_event("server", event, at)
            for effect in outcome.effects:
                await self._apply(transport, effect)
            self._status.publish()

    # ---- effects -------------------------------------------------------------------------
    async def _apply(self, transport: Transport, effect: Effect) -> None:
        if isinstance(effect, AudioOut):
            if self._playback is not None:
                self._playback.push(effect.pcm, effect.item_id)
        elif isinstance(effect, SpeechStarted):
            await self._barge_in(transport, effect)
        elif isinstance(effect, CallsReady):
            # Tools run beside the reader, so barge-in and errors keep flowing meanwhile.
            task = asyncio.ensure_future(self._run_tools(transport, effect.calls))
            self._tool_tasks.add(task)
            task.add_done_callback(self._tool_tasks.discard)
        elif isinstance(effect, ErrorReported):
            error = effect.error
            code = f" ({error.code})" if error.code else ""
            self._status.notice("error", f"Server error{code}: {error.message}")

    async def _barge_in(self, transport: Transport, effect: SpeechStarted) -> None:
        td = self._config.turn_detection
        if not isinstance(td, ServerVad | SemanticVad) or not td.interrupt_response:
            return
        playback = self._playback
        speaking = self._conv.speaking_item_id
        heard = playback.played_ms(speaking) if playback and speaking else 0.0
        pending = playback.clear() if playback is not None else 0
        if not (pending or effect.response_streaming) or speaking is None:
            return
        await self._send_all(transport, self._conv.barge_in(heard))

    async def _run_tools(self, transport: Transport, calls: tuple[FunctionCall, ...]) -> None:
        try:
            self._desk.begin(calls)
            self._status.publish()  # the calls show as running
            for result in await self._desk.run(calls):
                outcome = self._conv.function_output(
                    result.call_id, result.output, at=self._clock()
                )
                await self._send_all(transport, outcome)
        except ConnectionFailed:
            pass  # the socket closed under the outputs: the reader reports it and reconnects
        except Exception as exc:  # a bug, not the tool's failure (those are results)
            log.exception("running tool calls failed")
            self._status.notice("error", f"Tool calls could not be answered: {exc}")
        finally:
            self._status.publish()


def _endpoint(config: SessionConfig) -> tuple[object, ...]:
    """What a connection is opened with: changing any of it needs a new connection."""
    return (
        config.provider,
        config.api_version,
        config.model,
        config.base_url,
        config.azure_endpoint,
        config.azure_api_version,
    )


def _malformed(frame: str | bytes) -> Event:
    """A stand-in the event log can show for a frame that is not an event."""
    text = frame[:200] if isinstance(frame, str) else repr(frame[:200])
    return {"type": "(malformed frame)", "raw": text}
