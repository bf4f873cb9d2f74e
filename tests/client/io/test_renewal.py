"""When a session is renewed: the wait for a quiet moment, or for the server's end of it."""

from __future__ import annotations

import asyncio

from realtime.client.core.session_clock import SessionClock
from realtime.client.io.renewal import wait_for_renewal


def test_renewal_waits_for_a_quiet_moment_or_an_expired_session() -> None:
    async def scenario() -> tuple[float, bool]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        quiet = {"now": False}
        loop.call_later(0.3, quiet.update, {"now": True})
        clock = SessionClock.start(start, 0.1)
        await wait_for_renewal(
            clock, clock=loop.time, quiet=lambda: quiet["now"], expired=asyncio.Event()
        )
        waited = loop.time() - start
        expired = asyncio.Event()
        loop.call_later(0.05, expired.set)
        await asyncio.wait_for(
            wait_for_renewal(
                SessionClock.start(loop.time(), None),
                clock=loop.time,
                quiet=lambda: False,
                expired=expired,
            ),
            timeout=1.0,
        )
        return waited, expired.is_set()

    waited, expired = asyncio.run(scenario())
    assert 0.3 <= waited < 0.6 and expired
