"""The bridge's connection loop: connect, serve, and reconnect with backoff until stopped.

Runs as the one coroutine of the bridge thread's asyncio loop. Each attempt applies the settings
changes waiting, opens a ``Transport`` to their endpoint and hands it to ``ConnectionPump.serve``.
A refused connection is retried after each of the ``delays`` (only when the error says retrying
can help: a refused key fails at once; a server at its session limit, HTTP 503, fails a session
that never connected at once with ``BUSY``, and is retried when reconnecting); an unexpected
close reconnects after the first delay and re-sends the session and replays the conversation
(so the transcript and the model's memory survive); new settings that need a new connection,
and a session renewed for its time limit, reconnect at once. Every wait ends early when
``stop`` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus

from realtime.client.core.snapshot import LinkState
from realtime.client.io.publisher import Publisher
from realtime.client.io.pump import ConnectionPump, Ended
from realtime.client.io.transport import Transport
from realtime.protocol.errors import ConnectionFailed, RealtimeError

__all__ = ["BUSY", "OpenTransport", "run_link"]

log = logging.getLogger(__name__)

BUSY = "All voices are busy; try again in a minute."

OpenTransport = Callable[[str, dict[str, str]], Awaitable[Transport]]


async def run_link(
    pump: ConnectionPump,
    publisher: Publisher,
    *,
    open_transport: OpenTransport,
    delays: Sequence[float],
    stop: asyncio.Event,
) -> None:
    """Keep the session connected until ``stop`` is set or the link fails for good."""
    attempt = 0
    while not stop.is_set():
        publisher.set_state(
            LinkState.RECONNECTING if publisher.reconnects else LinkState.CONNECTING
        )
        pump.settle()
        try:
            url, headers = pump.endpoint()
            transport = await _until_stopped(open_transport(url, headers), stop)
        except RealtimeError as exc:
            if _busy(exc) and not publisher.reconnects:
                # A full server on the way in: say so at once, rather than ask again for 15 s.
                log.info("refused: %s", exc)
                publisher.fail(BUSY)
                return
            retryable = isinstance(exc, ConnectionFailed) and exc.retryable
            if not retryable or attempt >= len(delays):
                publisher.fail(str(exc))
                return
            publisher.notice("warning", f"Could not connect ({exc}); retrying.")
            await _sleep(delays[attempt], stop)
            attempt += 1
            continue
        if transport is None:
            return  # stopped while connecting
        attempt = 0
        try:
            ended = await pump.serve(transport, stop)
        except ConnectionFailed as exc:
            if stop.is_set():
                return
            if not exc.retryable:
                publisher.fail(str(exc))
                return
            publisher.notice("warning", f"Connection lost ({exc}); reconnecting.")
            await _sleep(delays[0] if delays else 0, stop)
        else:
            if ended is Ended.STOPPED:
                return
            if ended is Ended.RENEW:
                publisher.notice("info", "The session reached its time limit: renewing it.")
            else:
                publisher.notice("info", "Settings changed: reconnected with the new endpoint.")
        finally:
            await transport.close()
        publisher.count_reconnect()


def _busy(exc: RealtimeError) -> bool:
    """The server is at its session limit (it answered the handshake with 503)."""
    return isinstance(exc, ConnectionFailed) and exc.status == HTTPStatus.SERVICE_UNAVAILABLE


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
