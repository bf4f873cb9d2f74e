"""The bridge's connection loop: connect, serve, and reconnect with backoff until stopped.

Runs as the one coroutine of the bridge thread's asyncio loop. Each attempt applies the settings
changes waiting, opens a ``Transport`` to their endpoint and hands it to ``SessionIO.serve``.

A connection *holds* once its session is back (``session.created`` or ``session.updated``
received on it) and it then lasted ``hold_seconds`` or completed an answer (``response.done``).
Refused connections and connections that closed (or were renewed) before holding are failures
in a row: each waits the next of ``delays`` (a random part of it, between half and all, so many
clients do not come back in step) and after the last one the link fails with a sentence for the
page. Only a connection that held starts the count again, so a server that accepts and drops
at once is not reconnected forever. A refused key, or a close that says retrying cannot help,
fails at once. New settings that need a new connection reconnect at once and start a fresh
count; a session renewed for its time limit after holding reconnects at once too.

The page hears "connected" and the reconnect count only once the session is back on the new
connection, not when its socket opens. Every reconnect re-sends the session and replays the
conversation (``SessionIO``), so the transcript and the model's memory survive. Every wait ends
early when ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from realtime.client.publisher import Publisher
from realtime.client.session_io import Ended, SessionIO
from realtime.client.snapshot import LinkState
from realtime.client.transport import Transport
from realtime.protocol.errors import ConnectionFailed, RealtimeError

__all__ = ["HOLD_SECONDS", "SESSION_BACK", "OpenTransport", "backoff_delays", "run_link"]

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
    io: SessionIO,
    status: Publisher,
    *,
    open_transport: OpenTransport,
    delays: Sequence[float],
    stop: asyncio.Event,
    clock: Callable[[], float] = time.monotonic,
    hold_seconds: float = HOLD_SECONDS,
    jitter: Callable[[], float] = random.random,  # in [0, 1): the share of a delay left out
) -> None:
    """Keep the session connected until ``stop`` is set or the link fails for good."""
    failures = 0  # refused connections and connections that did not hold, in a row
    established = False  # a session came back on some connection of this run

    def wait_for(n: int) -> float | None:
        return delays[n] * (1 - jitter() / 2) if n < len(delays) else None

    while not stop.is_set():
        status.set_state(LinkState.RECONNECTING if established else LinkState.CONNECTING)
        io.settle()
        try:
            url, headers = io.endpoint()
            transport = await _until_stopped(open_transport(url, headers), stop)
        except RealtimeError as exc:
            if not (isinstance(exc, ConnectionFailed) and exc.retryable):
                status.fail(str(exc))
                return
            if (wait := wait_for(failures)) is None:
                status.fail(_gave_up(failures + 1, f"could not connect ({exc})"))
                return
            status.notice("warning", f"Could not connect ({exc}); retrying in {wait:.1f} s.")
            await _sleep(wait, stop)
            failures += 1
            continue
        if transport is None:
            return  # stopped while connecting
        hold = _Hold(clock)

        def watch(event_type: str, hold: _Hold = hold) -> bool:
            nonlocal established
            if not hold.see(event_type):
                return False
            if established:
                status.count_reconnect()
            established = True
            status.set_state(LinkState.CONNECTED)
            return True

        ended: Ended | None = None
        lost: ConnectionFailed | None = None
        try:
            ended = await io.serve(transport, stop, watch=watch)
        except ConnectionFailed as exc:
            if stop.is_set():
                return
            if not exc.retryable:
                status.fail(str(exc))
                return
            lost = exc
        finally:
            await transport.close()
        if ended is Ended.STOPPED:
            return
        if ended is Ended.RECONNECT:
            status.notice("info", "Settings changed: reconnecting with the new endpoint.")
            failures = 0
            continue
        if hold.held(hold_seconds):
            failures = 0
            if ended is Ended.RENEW:  # the session's time limit: a fresh session at once
                status.notice("info", "The session reached its time limit: renewing it.")
                continue
        if (wait := wait_for(failures)) is None:
            why = f"the connection closed ({lost})" if lost else "the session ended"
            status.fail(_gave_up(failures + 1, f"{why} before the session could hold"))
            return
        if lost is not None:
            status.notice("warning", f"Connection lost ({lost}); reconnecting in {wait:.1f} s.")
        else:
            status.notice("info", f"The session ended early; renewing it in {wait:.1f} s.")
        await _sleep(wait, stop)
        failures += 1


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
