"""The connection pump: events between the sans-I/O core and each connection of a session.

Runs on the bridge thread's asyncio loop, which alone owns what :class:`ConnectionPump` holds:
the ``Conversation``, the ``SessionConfig`` and the API key (changed only through
``ChangeSettings`` taken from the ``Inbox``), the ``ToolDesk`` and the running tool tasks. They
outlive a connection; ``realtime.client.io.link`` opens each ``Transport`` and, while it is
open, the pump's ``serve`` runs:

- a writer: inbox items first (commands and settings: control events jump ahead of audio), then
  queued microphone chunks as ``input_audio_buffer.append``;
- a reader: each server frame goes to the conversation; its effects are acted on (audio to
  ``Playback``, barge-in truncation at the audio heard, tool calls run beside the reader,
  server errors as notices). Each change of the conversation or the tool runs happens inside
  ``Publisher.changing()`` (a version step; the snapshot is built when someone reads it);
- a renewer (``realtime.client.io.renewal``): ends the connection for a fresh session near the
  session's time limit, at a quiet moment, or at once after ``session_expired``.

Each connection starts with ``session.update`` and then the replay of the conversation so far
(``realtime.client.core.replay``), before anything else; the replay's "Reconnected" notice waits
until the link's ``watch`` says the session is back. When a connection ends, an answer it cut
off is closed as interrupted (``Conversation.end_cut_response``) and the playback is cleared.

Every client event sent and server event received also goes to the ``on_event`` observer (the
recording, the tests), with the time it was sent or received.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from typing import Any

from realtime.client.core.config import SemanticVad, ServerVad, SessionConfig
from realtime.client.core.conversation import Conversation
from realtime.client.core.endpoint import connection_headers, connection_key, connection_url
from realtime.client.core.replay import ReplayBudget
from realtime.client.core.session_clock import SessionClock, default_max_seconds
from realtime.client.core.session_update import session_payload
from realtime.client.core.transcription_session import session_event_type
from realtime.client.core.values import (
    AudioOut,
    CallsReady,
    ClientOutcome,
    Effect,
    ErrorReported,
    FunctionCall,
    SpeechStarted,
)
from realtime.client.io.inbox import ChangeSettings, Inbox
from realtime.client.io.mic_queue import MicQueue
from realtime.client.io.playback import Playback
from realtime.client.io.publisher import Publisher
from realtime.client.io.renewal import wait_for_renewal
from realtime.client.io.tool_desk import ToolDesk
from realtime.client.io.transport import Transport
from realtime.protocol.errors import ConnectionFailed, ProtocolError, RealtimeError
from realtime.protocol.events import Event, parse_server_event
from realtime.protocol.facts import ApiVersion

__all__ = ["ConnectionPump", "Ended", "EventObserver", "Watch"]

log = logging.getLogger(__name__)

EventObserver = Callable[[str, dict[str, Any], float], None]
"""``(direction, event, at)``: "client" for an event sent, "server" for one received."""

Watch = Callable[[str], bool]
"""Told each server event's type on one connection; True for the one that brings its session
back (the link's business: ``realtime.client.io.link``)."""


class Ended(enum.Enum):
    """Why ``serve`` returned (a lost connection raises ``ConnectionFailed`` instead)."""

    STOPPED = "stopped"
    RECONNECT = "reconnect"  # new settings need a new connection
    RENEW = "renew"  # the session nears (or hit) its time limit: a fresh one, with the replay


class ConnectionPump:
    """Pumps one session's events through each of its connections; see the module docstring."""

    def __init__(
        self,
        config: SessionConfig,
        api_key: str | None,
        *,
        conversation: Conversation,
        inbox: Inbox,
        mic: MicQueue,
        desk: ToolDesk,
        publisher: Publisher,
        playback: Playback | None,
        on_event: EventObserver | None,
        clock: Callable[[], float],
        wall_clock: Callable[[], float] = time.time,
        replay_budget: ReplayBudget | None = None,
        max_session_seconds: float | None = None,  # None: the provider's limit
    ) -> None:
        self._config = config
        self._api_key = api_key  # only ever put in handshake headers
        self._conv = conversation
        self._inbox = inbox
        self._mic = mic
        self._desk = desk
        self._publisher = publisher
        self._playback = playback
        self._on_event = on_event
        self._clock = clock
        self._wall = wall_clock
        self._budget = replay_budget
        self._max_session = max_session_seconds
        self._tool_tasks: set[asyncio.Future[None]] = set()
        self._session_clock = SessionClock(0.0)
        self._expired = asyncio.Event()

    # ---- settings and endpoint -----------------------------------------------------------
    @property
    def api_version(self) -> ApiVersion:
        """The API version of the settings in force (the bridge loop's view)."""
        return self._config.api_version

    def settle(self) -> None:
        """Apply the settings changes waiting, before a connection opens with them."""
        for change in self._inbox.take_settings():
            self._change(change)

    def endpoint(self) -> tuple[str, dict[str, str]]:
        """The URL and handshake headers for the current settings."""
        return connection_url(self._config), connection_headers(self._config, self._api_key)

    def _change(self, change: ChangeSettings) -> tuple[ClientOutcome, bool]:
        """Adopt new settings: the ``session.update`` to send, and whether to reconnect."""
        old, self._config = self._config, change.config
        key_changed = change.api_key is not None and change.api_key != self._api_key
        if change.api_key is not None:
            self._api_key = change.api_key
        if key_changed or connection_key(old) != connection_key(change.config):
            return ClientOutcome(), True
        payload = session_payload(change.config)
        if session_payload(old) != payload:
            return self._conv.session_update(payload, session_event_type(change.config)), False
        return ClientOutcome(), False

    # ---- one connection ------------------------------------------------------------------
    async def serve(
        self, transport: Transport, stop: asyncio.Event, *, watch: Watch | None = None
    ) -> Ended:
        """Send the session, then read and write until stopped, reconnect asked, or closed."""
        self._mic.clear()  # speech queued while disconnected is stale
        max_seconds = self._max_session or default_max_seconds(self._config.provider)
        self._session_clock = SessionClock.start(self._clock(), max_seconds)
        self._expired = asyncio.Event()
        update = self._conv.session_update(
            session_payload(self._config), session_event_type(self._config)
        )
        await self._send_all(transport, update)
        replay = self._conv.replay(self._config.api_version, self._budget)
        await self._send_all(transport, ClientOutcome(replay.events))
        notice = replay.notice if replay.item_ids or replay.left_out else None
        reader = asyncio.ensure_future(self._reader(transport, notice, watch))
        writer = asyncio.ensure_future(self._writer(transport))
        stopped = asyncio.ensure_future(stop.wait())
        renewer = asyncio.ensure_future(
            wait_for_renewal(
                self._session_clock, clock=self._clock, quiet=self._quiet, expired=self._expired
            )
        )
        try:
            done, _ = await asyncio.wait(
                {reader, writer, stopped, renewer}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            everything: list[asyncio.Future[Any]] = [reader, writer, stopped, renewer]
            everything += self._tool_tasks
            for task in everything:
                task.cancel()
            await asyncio.gather(*everything, return_exceptions=True)
            self._connection_ended()
        if writer in done and not writer.cancelled() and writer.exception() is None:
            return writer.result()
        if renewer in done or self._expired.is_set():
            return Ended.RENEW  # a close after session_expired is the renewal, not a drop
        for task in done:
            if not task.cancelled() and (error := task.exception()) is not None:
                raise error
        return Ended.STOPPED

    def _quiet(self) -> bool:
        """A moment to renew the session: nothing is being said, played or run."""
        conv, playback = self._conv, self._playback
        return (
            conv.active_response_id is None
            and not conv.user_speaking
            and (playback is None or playback.pending_ms == 0)
            and not self._tool_tasks
        )

    def _connection_ended(self) -> None:
        """Close an answer the connection cut off, as heard, and stop its audio."""
        playback = self._playback
        played = playback.played_ms if playback is not None else None
        with self._publisher.changing():
            self._conv.end_cut_response(played, at=self._clock())
        if playback is not None:
            playback.clear()

    async def _send(self, transport: Transport, event: Event) -> None:
        await transport.send(event)
        if self._on_event is not None:
            self._on_event("client", event, self._clock())

    async def _send_all(self, transport: Transport, outcome: ClientOutcome) -> None:
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
                        with self._publisher.changing():
                            outcome = item()
                    except RealtimeError as exc:
                        self._publisher.notice("warning", str(exc))
                        continue
                await self._send_all(transport, outcome)
            while (chunk := self._mic.pop()) is not None:
                await self._send_all(transport, self._conv.append_audio(chunk))
            await self._inbox.wait()

    async def _reader(self, transport: Transport, notice: str | None, watch: Watch | None) -> None:
        async for frame in transport.frames():
            at = self._clock()
            try:
                event = parse_server_event(frame)
            except ProtocolError:
                with self._publisher.changing():  # recorded as a protocol error
                    outcome = self._conv.receive_frame(frame, at=at)
                event = _malformed(frame)
            else:
                with self._publisher.changing():
                    outcome = self._conv.receive(event, at=at)
                self._session_clock.observe(event, at, self._wall())
            if self._on_event is not None:
                self._on_event("server", event, at)
            if watch is not None and watch(event["type"]) and notice is not None:
                self._publisher.notice("info", notice)  # "Reconnected: ...": once it is true
            for effect in outcome.effects:
                await self._apply(transport, effect)

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
            if error.code == "session_expired":
                self._expired.set()  # the server closes next: renew, with the replay
            code = f" ({error.code})" if error.code else ""
            self._publisher.notice("error", f"Server error{code}: {error.message}")

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
        with self._publisher.changing():
            outcome = self._conv.barge_in(heard)
        await self._send_all(transport, outcome)

    async def _run_tools(self, transport: Transport, calls: tuple[FunctionCall, ...]) -> None:
        try:
            with self._publisher.changing():
                self._desk.begin(calls)  # the calls show as running
            results = await self._desk.run(calls)
            with self._publisher.changing():
                self._desk.record(results)
                outcome = sum(
                    (
                        self._conv.function_output(r.call_id, r.output, at=self._clock())
                        for r in results
                    ),
                    ClientOutcome(),
                )
            await self._send_all(transport, outcome)
        except ConnectionFailed:
            pass  # the socket closed under the outputs: the reader reports it and reconnects
        except Exception as exc:  # a bug, not the tool's failure (those are results)
            log.exception("running tool calls failed")
            self._publisher.notice("error", f"Tool calls could not be answered: {exc}")


def _malformed(frame: str | bytes) -> Event:
    """A stand-in the event log can show for a frame that is not an event."""
    text = frame[:200] if isinstance(frame, str) else repr(frame[:200])
    return {"type": "(malformed frame)", "raw": text}
