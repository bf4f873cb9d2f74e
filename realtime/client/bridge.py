"""The background bridge of one browser session: microphone in, Realtime WebSocket, speaker out.

Threads:
- the media thread (aiortc's loop) calls ``push_frame``/``push_audio``: resample, chunk into
  40 ms messages, enqueue on a bounded deque (oldest dropped and counted), wake the bridge;
- the bridge thread runs its own asyncio loop and alone owns the ``Transport`` and the
  ``Conversation``: a writer sends control events first, then audio; a reader feeds server
  frames to the conversation and acts on its effects (audio to ``Playback``, barge-in
  truncation, tool calls run off-loop, errors into notices), then publishes a frozen
  ``Snapshot`` under a small lock;
- the Streamlit script thread calls ``send_text``/``commit``/``update_session``/... (they post
  closures to the bridge loop) and reads ``snapshot()``; it never touches the conversation.

``start``/``stop`` are idempotent and safe from any thread, the bridge thread included. An
unexpected close reconnects with backoff, re-sends the session and keeps the transcript; a
refused key fails at once with its message, without retrying.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import av

from realtime.client.config import Provider, SemanticVad, ServerVad, SessionConfig
from realtime.client.conversation import (
    AudioOut,
    CallsReady,
    Conversation,
    Effect,
    ErrorReported,
    FunctionCall,
    SpeechStarted,
)
from realtime.client.endpoint import connection_headers, connection_url
from realtime.client.mic_queue import MicQueue
from realtime.client.playback import Playback
from realtime.client.session_update import session_payload
from realtime.client.snapshot import LinkState, Notice, Snapshot, ToolRun
from realtime.client.tool_desk import ToolDesk
from realtime.client.transport import Transport, open_transport
from realtime.protocol.errors import ConnectionFailed, ProtocolError, RealtimeError
from realtime.protocol.events import Event, parse_server_event
from realtime.recording.eventlog import EventLog, EventObserver, fan_out
from realtime.recording.export import ItemClock
from realtime.recording.metrics import TurnTracker
from realtime.recording.recorder import ConversationRecorder
from realtime.tools import ToolRegistry

__all__ = ["Bridge", "LinkState", "Notice", "Snapshot", "ToolRun"]

log = logging.getLogger(__name__)

OpenTransport = Callable[[str, dict[str, str]], Awaitable[Transport]]
MAX_NOTICES = 50


class Bridge:
    """One Realtime session for one browser session; see the module docstring."""

    def __init__(
        self,
        config: SessionConfig,
        *,
        api_key: str | None = None,
        tools: ToolRegistry | None = None,
        playback: Playback | None = None,
        open_transport: OpenTransport = open_transport,
        clock: Callable[[], float] = time.monotonic,
        reconnect_delays: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
        chunk_ms: int = 40,
        max_queued_ms: int = 2000,
        tool_timeout: float | None = None,  # None: the registry's own time limit
        event_log_size: int = 5000,
        recording_minutes: float = 10.0,
        on_event: EventObserver | None = None,
    ) -> None:
        self._config = config
        self._api_key = api_key  # only ever put in handshake headers (and scrubbed from the log)
        self.playback = playback
        # What the inspector, metrics and exports read; each is thread-safe on its own.
        self.log = EventLog(event_log_size, secrets=[api_key] if api_key else ())
        self.turn_tracker = TurnTracker(model=config.model, priced=_priced(config))
        self.item_times = ItemClock()
        self.recorder = ConversationRecorder(max_minutes=recording_minutes)
        if playback is not None:
            playback.on_played = lambda pcm: self.recorder.push_assistant(pcm, at=clock())
        observers = [self.log.record, self.turn_tracker.record, self.item_times.record]
        on_event = fan_out(*observers, *([on_event] if on_event else []))
        self._open = open_transport
        self._clock = clock
        self._delays = tuple(reconnect_delays)
        self._desk = ToolDesk(tools, timeout=tool_timeout)
        self._on_event = on_event
        # Media thread -> bridge loop.
        self._mic = MicQueue(chunk_ms=chunk_ms, max_queued_ms=max_queued_ms)
        # Script thread -> bridge loop: closures run on the loop, returning events to send.
        self._controls: collections.deque[Callable[[], list[Event]]] = collections.deque()
        # Lifecycle.
        self._life_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopping = False
        self._reconnect_now = False
        # Owned by the bridge loop.
        self._conv = Conversation()
        self._transport: Transport | None = None
        self._tool_tasks: set[asyncio.Future[None]] = set()
        # Published.
        self._snap_lock = threading.Lock()
        self._snapshot = Snapshot()
        self._state = LinkState.IDLE
        self._notices: collections.deque[Notice] = collections.deque(maxlen=MAX_NOTICES)
        self._reconnects = 0
        self._error: str | None = None

    # ---- lifecycle (any thread) -----------------------------------------------------------
    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def config(self) -> SessionConfig:
        return self._config

    def start(self) -> None:
        """Connect in the background; a no-op while running."""
        with self._life_lock:
            if self.running:
                return
            self._stopping = False
            self._reconnect_now = False
            self._error = None
            self._mic.reset()
            ready = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(ready,), name="realtime-bridge", daemon=True
            )
            self._thread.start()
        ready.wait(timeout=2.0)

    def stop(self, timeout: float = 1.0) -> None:
        """Close the socket and end the thread within ``timeout``; idempotent, any thread."""
        with self._life_lock:
            self._stopping = True
            thread, loop = self._thread, self._loop
            if loop is not None and self._stop_event is not None:
                try:
                    loop.call_soon_threadsafe(self._stop_event.set)
                except RuntimeError:
                    pass  # the loop already closed
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("realtime bridge thread did not stop within %.1f s", timeout)
        if self.playback is not None:
            self.playback.clear()

    # ---- input from the media thread ----------------------------------------------------
    def push_frame(self, frame: av.AudioFrame) -> None:
        """Sink callback: a browser frame of any rate/layout, resampled to 24 kHz mono."""
        self.push_audio(self._mic.resample(frame))

    def push_audio(self, pcm: bytes) -> None:
        """PCM16 24 kHz mono from the microphone; never blocks."""
        if not pcm or self._loop is None:
            return
        self.recorder.push_user(pcm, at=self._clock() - len(pcm) / 48000)
        if self._mic.push(pcm):
            self._wake_loop()

    # ---- commands from the script thread --------------------------------------------------
    def send_text(self, text: str) -> None:
        text = text.strip()
        if text:
            self._post(lambda: self._conv.text_turn(text, at=self._clock()))

    def commit(self) -> None:
        """Push-to-talk release: send what was spoken and ask for the answer."""

        def command() -> list[Event]:
            events = self._drain_audio()
            return events + self._conv.commit(at=self._clock())

        self._post(command)

    def clear_audio(self) -> None:
        def command() -> list[Event]:
            self._mic.clear()
            return [self._conv.clear_audio()]

        self._post(command)

    def respond(self) -> None:
        self._post(lambda: [self._conv.respond(at=self._clock())])

    def cancel(self) -> None:
        def command() -> list[Event]:
            if self.playback is not None:
                self.playback.clear()
            return [self._conv.cancel()]

        self._post(command)

    def update_session(self, config: SessionConfig, *, api_key: str | None = None) -> None:
        """Apply new settings: ``session.update`` live, or a clean reconnect (transcript kept)
        when the endpoint (provider, model, URL, API version) or the key changed."""
        old, self._config = self._config, config
        self.turn_tracker.priced = _priced(config)
        key_changed = api_key is not None and api_key != self._api_key
        if api_key is not None:
            self._api_key = api_key
            self.log.add_secret(api_key)
        if key_changed or _endpoint(old) != _endpoint(config):
            self._reconnect_now = True
            self._post(lambda: [], reconnect=True)
        elif session_payload(old) != session_payload(config):
            self._post(lambda: [self._conv.session_update(session_payload(config))])

    # ---- reading (any thread) -------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        with self._snap_lock:
            return self._snapshot

    # ---- internals: posting to the loop ---------------------------------------------------
    def _post(self, command: Callable[[], list[Event]], *, reconnect: bool = False) -> None:
        self._controls.append(command)
        if reconnect and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._close_for_reconnect)
            except RuntimeError:
                pass
        self._wake_loop()

    def _wake_loop(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:
                pass  # closed between the check and the call: the bridge is stopping

    def _close_for_reconnect(self) -> None:
        if self._transport is not None:
            asyncio.ensure_future(self._transport.close())

    def _drain_audio(self) -> list[Event]:
        return [self._conv.append_audio(chunk) for chunk in self._mic.drain()]

    # ---- the bridge thread ------------------------------------------------------------
    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        try:
            asyncio.set_event_loop(loop)
            self._wake = asyncio.Event()
            self._stop_event = asyncio.Event()
            self._loop = loop
            ready.set()
            loop.run_until_complete(self._main())
        except Exception as exc:  # last resort: log once, show it, never die silently
            log.exception("realtime bridge crashed")
            self._fail(f"the session stopped on an internal error: {type(exc).__name__}: {exc}")
        finally:
            self._loop = None
            ready.set()
            loop.close()
            if self._state is not LinkState.FAILED:
                self._set_state(LinkState.STOPPED)
            log.info("realtime bridge stopped: thread ended, socket closed")

    async def _main(self) -> None:
        assert self._stop_event is not None
        attempt = 0
        while not self._stopping:
            self._set_state(LinkState.RECONNECTING if self._reconnects else LinkState.CONNECTING)
            try:
                url = connection_url(self._config)
                headers = connection_headers(self._config, self._api_key)
                transport = await self._until_stopped(self._open(url, headers))
            except RealtimeError as exc:
                retryable = isinstance(exc, ConnectionFailed) and exc.retryable
                if not retryable or attempt >= len(self._delays):
                    self._fail(str(exc))
                    return
                self._notice("warning", f"Could not connect ({exc}); retrying.")
                await self._sleep(self._delays[attempt])
                attempt += 1
                continue
            if transport is None:
                return  # stopped while connecting
            attempt = 0
            self._transport = transport
            try:
                await self._session(transport)
            except ConnectionFailed as exc:
                if self._stopping:
                    break
                if self._reconnect_now:
                    self._notice("info", "Settings changed: reconnected with the new endpoint.")
                elif not exc.retryable:
                    self._fail(str(exc))
                    return
                else:
                    self._notice("warning", f"Connection lost ({exc}); reconnecting.")
                    await self._sleep(self._delays[0] if self._delays else 0)
                self._reconnect_now = False
                self._reconnects += 1
            finally:
                self._transport = None
                await transport.close()

    async def _until_stopped(self, work: Awaitable[Transport]) -> Transport | None:
        assert self._stop_event is not None
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stop_event.wait())
        done, _ = await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if task in done:
            return task.result()
        task.cancel()
        return None

    async def _sleep(self, seconds: float) -> None:
        assert self._stop_event is not None
        try:
            await asyncio.wait_for(self._stop_event.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _session(self, transport: Transport) -> None:
        assert self._stop_event is not None
        self._mic.clear()  # speech queued while disconnected is stale
        await self._send(transport, self._conv.session_update(session_payload(self._config)))
        self._set_state(LinkState.CONNECTED)
        tasks: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(self._reader(transport)),
            asyncio.ensure_future(self._writer(transport)),
            asyncio.ensure_future(self._stop_event.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            everything = [*tasks, *self._tool_tasks]
            for task in everything:
                task.cancel()
            await asyncio.gather(*everything, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _send(self, transport: Transport, event: Event) -> None:
        await transport.send(event)
        if self._on_event is not None:
            self._on_event("client", event, self._clock())

    async def _writer(self, transport: Transport) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._controls:  # control events jump ahead of audio
                command = self._controls.popleft()
                try:
                    events = command()
                except RealtimeError as exc:
                    self._notice("warning", str(exc))
                    continue
                for event in events:
                    await self._send(transport, event)
                self._publish()
            while (chunk := self._mic.pop()) is not None:
                await self._send(transport, self._conv.append_audio(chunk))

    async def _reader(self, transport: Transport) -> None:
        async for frame in transport.frames():
            at = self._clock()
            try:
                event = parse_server_event(frame)
            except ProtocolError:
                effects = self._conv.receive_frame(frame, at=at)  # recorded as a protocol error
                event = _malformed(frame)
            else:
                effects = self._conv.receive(event, at=at)
            if self._on_event is not None:
                self._on_event("server", event, at)
            for effect in effects:
                await self._apply(transport, effect)
            self._publish()

    async def _apply(self, transport: Transport, effect: Effect) -> None:
        if isinstance(effect, AudioOut):
            if self.playback is not None:
                self.playback.push(effect.pcm, effect.item_id)
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
            self._notice("error", f"Server error{code}: {error.message}")

    async def _barge_in(self, transport: Transport, effect: SpeechStarted) -> None:
        td = self._config.turn_detection
        if not isinstance(td, ServerVad | SemanticVad) or not td.interrupt_response:
            return
        speaking = self._conv.speaking_item_id
        heard = self.playback.played_ms(speaking) if self.playback and speaking else 0.0
        pending = self.playback.clear() if self.playback is not None else 0
        if not (pending or effect.response_streaming) or speaking is None:
            return
        for event in self._conv.barge_in(heard):
            await self._send(transport, event)

    async def _run_tools(self, transport: Transport, calls: tuple[FunctionCall, ...]) -> None:
        try:
            await self._answer_calls(transport, calls)
        except ConnectionFailed:
            pass  # the socket closed under the outputs: the reader reports it and reconnects
        except Exception as exc:  # a bug, not the tool's failure (those are results)
            log.exception("running tool calls failed")
            self._notice("error", f"Tool calls could not be answered: {exc}")
        finally:
            self._publish()

    async def _answer_calls(self, transport: Transport, calls: tuple[FunctionCall, ...]) -> None:
        self._desk.begin(calls)
        self._publish()  # the calls show as running
        for result in await self._desk.run(calls):
            at = self._clock()
            for event in self._conv.function_output(result.call_id, result.output, at=at):
                await self._send(transport, event)

    # ---- publishing ---------------------------------------------------------------------
    def _set_state(self, state: LinkState) -> None:
        self._state = state
        self._publish()

    def _notice(self, level: str, text: str) -> None:
        self._notices.append(Notice(self._clock(), level, text))
        self._publish()

    def _fail(self, message: str) -> None:
        self._error = message
        self._notices.append(Notice(self._clock(), "error", message))
        self._set_state(LinkState.FAILED)

    def _publish(self) -> None:
        conv = self._conv
        snapshot = Snapshot(
            state=self._state,
            items=conv.ordered_items(),
            tool_runs=self._desk.runs(),
            notices=tuple(self._notices),
            turns=tuple(conv.turns.values()),
            usage=conv.usage_total,
            session=conv.session,
            response_active=conv.active_response_id is not None,
            reconnects=self._reconnects,
            dropped_audio_chunks=self._mic.dropped,
            buffered_ms=conv.buffered_ms,
            mic_dbfs=self._mic.level_dbfs,
            error=self._error,
        )
        with self._snap_lock:
            self._snapshot = snapshot


def _priced(config: SessionConfig) -> bool:
    """Only the hosted APIs bill tokens at OpenAI's prices; other servers count their own."""
    return config.provider in (Provider.OPENAI, Provider.AZURE)


def _endpoint(config: SessionConfig) -> tuple[object, ...]:
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
