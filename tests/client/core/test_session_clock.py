"""When a session is renewed: its deadline, from the provider's limit or ``expires_at``."""

from __future__ import annotations

from realtime.client.core.config import Provider
from realtime.client.core.session_clock import SessionClock, default_max_seconds


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
