"""The wait for a quiet moment to renew a server session near its time limit.

Runs on the bridge thread's asyncio loop, one task per connection beside the reader and the
writer (``realtime.client.io.pump``). The deadline is a ``SessionClock``'s
(``realtime.client.core.session_clock``); from its renewal time on, the wait ends at a quiet
moment: no response active, the user not speaking, no assistant audio left to play, no tool
running. A session the server ends anyway (``session_expired``) ends the wait at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from realtime.client.core.session_clock import SessionClock

__all__ = ["wait_for_renewal"]

_POLL_S = 0.1  # how often a due renewal looks for a quiet moment


async def wait_for_renewal(
    session_clock: SessionClock,
    *,
    clock: Callable[[], float],
    quiet: Callable[[], bool],
    expired: asyncio.Event,
) -> None:
    """Return when the session must be renewed: the server ended it (``expired``), or it is
    near its deadline and the conversation is quiet."""
    while True:
        renew_at = session_clock.renew_at()
        now = clock()
        if renew_at is not None and now >= renew_at and quiet():
            return
        if renew_at is None:
            wait = 1.0  # session.created may still bring a deadline
        else:
            wait = _POLL_S if now >= renew_at else min(renew_at - now, 1.0)
        try:
            await asyncio.wait_for(expired.wait(), timeout=max(wait, 0.01))
            return
        except TimeoutError:
            pass
