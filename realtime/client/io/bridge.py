"""The background bridge of one browser session: microphone in, Realtime WebSocket, speaker out.

Threads:
- the media thread (aiortc's loop) calls ``push_frame``/``push_audio``: resample, chunk into
  messages (20 ms at the edges of speech, 100 ms in between: ``ChunkPace``), enqueue on a
  bounded ``MicQueue`` (oldest dropped and counted), wake the bridge loop (one wake on its way
  at a time); the ``on_mic_audio`` hook sees the same PCM;
- the bridge thread (started here) runs its own event loop (uvloop's where installed):
  ``link.run_link`` connects with backoff and ``ConnectionPump`` reads and writes; that loop alone
  owns the ``Transport``, the ``Conversation``, the config and the key, and makes each change
  inside ``Publisher.changing()``: a version step, no snapshot yet;
- the Streamlit script thread calls ``send_text``/``commit``/``update_session``/...: each posts
  one command to the bridge loop through the ``Inbox`` and returns; it reads ``snapshot()``,
  a frozen ``Snapshot`` built then if anything changed since the last read (the same object
  otherwise), and ``mic_level_dbfs`` for a level meter.

What is recorded is not the bridge's business: observers are injected (``on_event`` for every
event sent and received, ``on_mic_audio``, and ``Playback.on_played``), and
``realtime.recording.session.SessionRecording`` is what the app plugs in.

``start``/``stop`` are idempotent and safe from any thread, the bridge thread included; once
the link has failed (the thread ended), ``start`` connects again (a page's Reconnect). An
unexpected close reconnects with bounded backoff (``link.run_link``: drops in a row before a
session holds end in a failure), re-sends the session and replays the conversation
(within ``replay_budget``), keeping the transcript; a session near its time limit is renewed
the same way at a quiet moment; a refused key fails at once with its message, without retrying.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence

import av

from realtime.client.core.config import SessionConfig
from realtime.client.core.conversation import NO_BETA_IMAGES, Conversation
from realtime.client.core.replay import ReplayBudget
from realtime.client.core.snapshot import LinkState, Snapshot
from realtime.client.core.values import AttachedImage, ClientOutcome
from realtime.client.io.inbox import ChangeSettings, Command, Inbox
from realtime.client.io.link import HOLD_SECONDS, OpenTransport, backoff_delays, run_link
from realtime.client.io.mic_queue import MicQueue
from realtime.client.io.playback import Playback
from realtime.client.io.publisher import Publisher
from realtime.client.io.pump import ConnectionPump, EventObserver
from realtime.client.io.tool_desk import ToolDesk
from realtime.client.io.transport import open_transport
from realtime.protocol.errors import ProtocolError
from realtime.protocol.facts import ApiVersion
from realtime.protocol.pcm import duration_ms
from realtime.tools import ToolRegistry

__all__ = ["Bridge", "MicObserver", "new_event_loop"]

log = logging.getLogger(__name__)

MicObserver = Callable[[bytes, float], None]
"""``(pcm, at)``: microphone PCM16 24 kHz mono, ``at`` the clock time of its first sample."""


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The bridge thread's loop: uvloop's when it is installed (its wakes cost less than
    asyncio's, and that CPU is what bounds the sessions of one process: docs/benchmarks.md),
    else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


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
        # Waits between failures in a row (about a minute in all, then the link fails): see
        # ``link.run_link`` for what starts the count again.
        reconnect_delays: Sequence[float] = backoff_delays(0.5, 15.0, 8),
        reconnect_hold_seconds: float = HOLD_SECONDS,
        chunk_ms: int = 20,  # at the edges of speech (see ChunkPace)
        steady_chunk_ms: int = 100,  # in the middle of speech or silence
        max_queued_ms: int = 2000,
        tool_timeout: float | None = None,  # None: the registry's own time limit
        on_event: EventObserver | None = None,
        on_mic_audio: MicObserver | None = None,
        replay_budget: ReplayBudget | None = None,
        max_session_seconds: float | None = None,  # None: the provider's limit (hosted: 60 min)
    ) -> None:
        self.playback = playback
        self._open = open_transport
        self._clock = clock
        self._delays = tuple(reconnect_delays)
        self._hold_seconds = reconnect_hold_seconds
        self._on_mic_audio = on_mic_audio
        # What the script thread last asked for (it alone reads and writes this).
        self._requested = (config, api_key)
        # Media thread -> bridge loop, and script thread -> bridge loop.
        self._mic = MicQueue(
            chunk_ms=chunk_ms,
            steady_chunk_ms=steady_chunk_ms,
            max_queued_ms=max_queued_ms,
            on_pcm=self._heard,
        )
        self._inbox = Inbox()
        # Owned by the bridge loop once it runs (built here, before the thread exists).
        self._conv = Conversation()
        desk = ToolDesk(tools, timeout=tool_timeout)
        self._publisher = Publisher(self._conv, desk, self._mic, clock=clock)
        self._pump = ConnectionPump(
            config,
            api_key,
            conversation=self._conv,
            inbox=self._inbox,
            mic=self._mic,
            desk=desk,
            publisher=self._publisher,
            playback=playback,
            on_event=on_event,
            clock=clock,
            replay_budget=replay_budget,
            max_session_seconds=max_session_seconds,
        )
        # Lifecycle.
        self._life_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopping = False

    # ---- lifecycle (any thread) -----------------------------------------------------------
    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def config(self) -> SessionConfig:
        """The settings last asked for (the bridge loop applies them in order)."""
        return self._requested[0]

    def start(self) -> None:
        """Connect in the background; a no-op while running."""
        with self._life_lock:
            if self.running:
                return
            self._stopping = False
            self._publisher.clear_error()
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
            thread, loop, stop_event = self._thread, self._loop, self._stop_event
            if loop is not None and stop_event is not None:
                try:
                    loop.call_soon_threadsafe(stop_event.set)
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
        if self._inbox.bound and self._mic.push_frame(frame):
            self._inbox.wake()

    def push_audio(self, pcm: bytes) -> None:
        """PCM16 24 kHz mono from the microphone; never blocks."""
        if self._inbox.bound and self._mic.push(pcm):
            self._inbox.wake()

    def _heard(self, pcm: bytes) -> None:
        """The microphone's converted PCM, to the ``on_mic_audio`` hook (media thread)."""
        if self._on_mic_audio is not None:
            self._on_mic_audio(pcm, self._clock() - duration_ms(len(pcm)) / 1000)

    # ---- commands from the script thread: each runs on the bridge loop --------------------
    def send_text(self, text: str, images: Sequence[AttachedImage] = ()) -> None:
        """A typed turn, ``images`` in the same message; over the assistant's answer it
        interrupts (audio stopped, item truncated at what was heard, response cancelled), then
        the message goes. Beta takes no images: a notice, nothing sent."""
        text, images = text.strip(), tuple(images)
        if not text and not images:
            return

        def command() -> ClientOutcome:
            version = self._pump.api_version
            if images and version is not ApiVersion.GA:
                raise ProtocolError(NO_BETA_IMAGES)  # before the interruption: nothing at all
            playback = self.playback
            pending = playback.clear() if playback is not None else 0
            out = ClientOutcome()
            if pending or self._conv.active_response_id is not None:
                played = playback.played_ms if playback is not None else None
                out += self._conv.typed_interrupt(played, audio_pending=bool(pending))
            turn = self._conv.text_turn(text, at=self._clock(), images=images, version=version)
            return out + turn

        self._post(command)

    def retrieve_item(self, item_id: str) -> None:
        """``conversation.item.retrieve``: the server's copy arrives as an event (observers)."""
        self._post(lambda: self._conv.item_retrieve(item_id))

    def commit(self) -> None:
        """Push-to-talk release: send what was spoken and ask for the answer."""

        def command() -> ClientOutcome:
            appends = [self._conv.append_audio(chunk) for chunk in self._mic.drain()]
            return sum(appends, ClientOutcome()) + self._conv.commit(at=self._clock())

        self._post(command)

    def clear_audio(self) -> None:
        def command() -> ClientOutcome:
            self._mic.clear()
            return self._conv.clear_audio()

        self._post(command)

    def response_create(self) -> None:
        self._post(lambda: self._conv.response_create(at=self._clock()))

    def mcp_approval(self, request_id: str, approve: bool) -> None:
        """Approve or deny an MCP call the server asked about (``Conversation.mcp_approval``)."""
        self._post(lambda: self._conv.mcp_approval(request_id, approve))

    def response_cancel(self) -> None:
        def command() -> ClientOutcome:
            if self.playback is not None:
                self.playback.clear()
            return self._conv.response_cancel()

        self._post(command)

    def update_session(self, config: SessionConfig, *, api_key: str | None = None) -> None:
        """Apply new settings: ``session.update`` live, or a clean reconnect (transcript kept)
        when the endpoint (provider, model, URL, API version) or the key changed. The bridge
        loop decides which; asking again for the settings in force posts nothing."""
        wanted = (config, self._requested[1] if api_key is None else api_key)
        if wanted == self._requested:
            return
        self._requested = wanted
        self._inbox.post(ChangeSettings(config, api_key))

    # ---- reading (any thread) -------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return self._publisher.snapshot()

    def now(self) -> float:
        """The bridge's clock, the one the snapshot's times (``at``) are read on."""
        return self._clock()

    @property
    def mic_level_dbfs(self) -> float:
        """The microphone's level now (of its last frame), for a meter: it changes with every
        frame, so it is read here rather than from a snapshot built at the last change."""
        return self._mic.level_dbfs

    def _post(self, command: Command) -> None:
        self._inbox.post(command)

    # ---- the bridge thread ------------------------------------------------------------
    def _run(self, ready: threading.Event) -> None:
        loop = new_event_loop()
        try:
            asyncio.set_event_loop(loop)
            stop = asyncio.Event()
            self._stop_event = stop
            self._inbox.bind(loop)
            self._loop = loop
            if self._stopping:  # stop() ran before the loop existed
                stop.set()
            ready.set()
            link = run_link(
                self._pump,
                self._publisher,
                open_transport=self._open,
                delays=self._delays,
                stop=stop,
                clock=self._clock,
                hold_seconds=self._hold_seconds,
            )
            loop.run_until_complete(link)
        except Exception as exc:  # last resort: log once, show it, never die silently
            log.exception("realtime bridge crashed")
            message = f"the session stopped on an internal error: {type(exc).__name__}: {exc}"
            self._publisher.fail(message)
        finally:
            self._loop = None
            self._inbox.unbind()
            ready.set()
            loop.close()
            if self._publisher.state is not LinkState.FAILED:
                self._publisher.set_state(LinkState.STOPPED)
            log.info("realtime bridge stopped: thread ended, socket closed")
