"""The bridge's connection loop: connect, serve, and reconnect with backoff until stopped.

Runs as the one coroutine of the bridge thread's asyncio loop. Each attempt applies the settings
changes waiting, opens a ``Transport`` to their endpoint and hands it to
``ConnectionPump.serve``.

A connection *holds* once its session is back (``session.created`` or ``session.updated``
received on it) and it then lasted ``hold_seconds`` or completed an answer (``response.done``).
Refused connections and connections that closed (or were renewed) before holding are failures in
a row: each waits the next of ``delays`` (a random part of it, between half and all, so many
clients do not come back in step) and after the last one the link fails with a sentence for the
page. Only a connection that held starts the count again, so a server that accepts and drops at
once is not reconnected forever. A refused key, or a close that says retrying cannot help, fails
at once, and so does a server at its session limit (HTTP 503) for a session that never connected
(``BUSY``; when reconnecting it is retried). New settings that need a new connection reconnect
at once and start a fresh count; a session renewed for its time limit after holding reconnects
at once too.

The page hears "connected" and the reconnect count only once the session is back on the new
connection, not when its socket opens. Every reconnect re-sends the session and replays the
conversation (``ConnectionPump``), so the transcript and the model's memory survive. Every wait
ends early when ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus

from realtime.client.core.snapshot import LinkState
from realtime.client.io.publisher import Publisher
from realtime.client.io.pump import ConnectionPump, Ended, Watch
from realtime.client.io.transport import Transport
from realtime.protocol.errors import ConnectionFailed, RealtimeError

__all__ = ["BUSY", "HOLD_SECONDS", "SESSION_BACK", "OpenTransport", "backoff_delays", "run_link"]

log = logging.getLogger(__name__)

BUSY = "All voices are busy; try again in a minute."

OpenTransport = Callable[[str, dict[str, str]], Awaitable[Transport]]

HOLD_SECONDS = 30.0
"""How long a connection with its session back must last to count as held (without an answer)."""

SESSION_BACK = frozenset({"session.created", "session.updated"})
"""A connection's session is established at the first of these on it."""


def backoff_delays(first: float, ceiling: float, retries: int) -> tuple[float, ...]:
    """Waits doubling from ``first`` up to ``ceiling``, one per retry."""
    return tuple(min(first * 2**n, ceiling) for n in range(retries))


class _Hold:
    """How far one connection got: when its session came back, and answers completed."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.session_at: float | None = None
        self.answers = 0

    def see(self, event_type: str) -> bool:
        """Note a server event; True for the one that brings the session back."""
        if event_type == "response.done":
            self.answers += 1
        elif self.session_at is None and event_type in SESSION_BACK:
            self.session_at = self._clock()
            return True
        return False

    def held(self, seconds: float) -> bool:
        if self.session_at is None:
            return False
        return self.answers > 0 or self._clock() - self.session_at >= seconds


async def run_link(
    pump: ConnectionPump,
    publisher: Publisher,
    *,
    open_transport: OpenTransport,
    delays: Sequence[float],
    stop: asyncio.Event,
    clock: Callable[[], float] = time.monotonic,
    hold_seconds: float = HOLD_SECONDS,
    jitter: Callable[[], float] = random.random,  # in [0, 1): the share of a delay left out
) -> None:
    """Keep the session connected until ``stop`` is set or the link fails for good."""
    link = _Link(pump, publisher, open_transport, delays, stop, clock, hold_seconds, jitter)
    await link.run()


class _Link:
    """One run of the link: the failures in a row so far, and whether a session came back."""

    def __init__(
        self,
        pump: ConnectionPump,
        publisher: Publisher,
        open_transport: OpenTransport,
        delays: Sequence[float],
        stop: asyncio.Event,
        clock: Callable[[], float],
        hold_seconds: float,
        jitter: Callable[[], float],
    ) -> None:
        self._pump, self._publisher, self._open = pump, publisher, open_transport
        self._delays, self._stop, self._clock = delays, stop, clock
        self._hold_seconds, self._jitter = hold_seconds, jitter
        self._failures = 0  # refused connections and connections that did not hold, in a row
        self._established = False  # a session came back on some connection of this run

    async def run(self) -> None:
        while not self._stop.is_set():
            state = LinkState.RECONNECTING if self._established else LinkState.CONNECTING
            self._publisher.set_state(state)
            self._pump.settle()
            opened = await self._connect()
            if opened is True:
                continue
            if opened is False or not await self._serve(opened):
                return

    def _next_wait(self) -> float | None:
        """The wait after the failures so far, or None when the link should give up."""
        n = self._failures
        return self._delays[n] * (1 - self._jitter() / 2) if n < len(self._delays) else None

    async def _connect(self) -> Transport | bool:
        """The open transport; True to try again (after its wait), False to end the link."""
        try:
            url, headers = self._pump.endpoint()
            transport = await _until_stopped(self._open(url, headers), self._stop)
        except RealtimeError as exc:
            return await self._refused(exc)
        return transport if transport is not None else False  # None: stopped while connecting

    async def _refused(self, exc: RealtimeError) -> bool:
        if not (isinstance(exc, ConnectionFailed) and exc.retryable):
            self._publisher.fail(str(exc))
            return False
        if _busy(exc) and not self._established:
            # A full server on the way in: say so at once, rather than ask again for a minute.
            log.info("refused: %s", exc)
            self._publisher.fail(BUSY)
            return False
        if (wait := self._next_wait()) is None:
            self._publisher.fail(_gave_up(self._failures + 1, f"could not connect ({exc})"))
            return False
        self._publisher.notice("warning", f"Could not connect ({exc}); retrying in {wait:.1f} s.")
        await _sleep(wait, self._stop)
        self._failures += 1
        return True

    def _watch(self, hold: _Hold) -> Watch:
        def watch(event_type: str) -> bool:
            if not hold.see(event_type):
                return False
            if self._established:
                self._publisher.count_reconnect()
            self._established = True
            self._publisher.set_state(LinkState.CONNECTED)
            return True

        return watch

    async def _serve(self, transport: Transport) -> bool:
        """Serve one connection; False when the link ends with it."""
        hold = _Hold(self._clock)
        ended: Ended | None = None
        lost: ConnectionFailed | None = None
        try:
            ended = await self._pump.serve(transport, self._stop, watch=self._watch(hold))
        except ConnectionFailed as exc:
            if self._stop.is_set():
                return False
            if not exc.retryable:
                self._publisher.fail(str(exc))
                return False
            lost = exc
        finally:
            await transport.close()
        return await self._after(ended, lost, hold)

    async def _after(self, ended: Ended | None, lost: ConnectionFailed | None, hold: _Hold) -> bool:
        """What follows a connection that ended (``ended``) or dropped (``lost``)."""
        if ended is Ended.STOPPED:
            return False
        if ended is Ended.RECONNECT:
            self._publisher.notice("info", "Settings changed: reconnecting with the new endpoint.")
            self._failures = 0
            return True
        if hold.held(self._hold_seconds):
            self._failures = 0
            if ended is Ended.RENEW:  # the session's time limit: a fresh session at once
                self._publisher.notice("info", "The session reached its time limit: renewing it.")
                return True
        if (wait := self._next_wait()) is None:
            why = f"the connection closed ({lost})" if lost else "the session ended"
            self._publisher.fail(
                _gave_up(self._failures + 1, f"{why} before the session could hold")
            )
            return False
        if lost is not None:
            self._publisher.notice(
                "warning", f"Connection lost ({lost}); reconnecting in {wait:.1f} s."
            )
        else:
            self._publisher.notice("info", f"The session ended early; renewing it in {wait:.1f} s.")
        await _sleep(wait, self._stop)
        self._failures += 1
        return True


def _busy(exc: RealtimeError) -> bool:
    """The server is at its session limit (it answered the handshake with 503)."""
    return isinstance(exc, ConnectionFailed) and exc.status == HTTPStatus.SERVICE_UNAVAILABLE


def _gave_up(attempts: int, why: str) -> str:
    """The sentence the page shows when the link stops trying."""
    return f"Stopped trying to connect after {attempts} attempts in a row: {why}."


async def _until_stopped(work: Awaitable[Transport], stop: asyncio.Event) -> Transport | None:
    """``work``'s transport, or None (and ``work`` cancelled) if ``stop`` is set first."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task in done:
        return task.result()
    task.cancel()
    return None


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
