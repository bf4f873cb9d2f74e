"""When a session is renewed: its deadline, and the wait for a quiet moment."""

from __future__ import annotations

import asyncio

from realtime.client.config import Provider
from realtime.client.renewal import SessionClock, default_max_seconds, wait_for_renewal


def test_the_deadline_comes_from_expires_at_or_the_provider_limit() -> None:
    assert default_max_seconds(Provider.OPENAI) == 3600
    assert default_max_seconds(Provider.LOCAL) is None
    clock = SessionClock.start(100.0, 3600)
    assert clock.renew_at() == 100.0 + 3600 - 300  # five minutes ahead on the hosted limit
    created = {"type": "session.created", "session": {"expires_at": 1_000_060}}
    clock.observe(created, 101.0, wall_now=1_000_000.0)
    assert clock.deadline == 161.0  # the server's sooner deadline wins
    none = SessionClock.start(0.0, None)
    none.observe({"type": "session.updated", "session": {"expires_at": 5}}, 0.0, 0.0)
    assert none.renew_at() is None


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
