"""When a server session must be renewed: its deadline, on the bridge's monotonic clock.

Hosted Realtime sessions last at most 60 minutes; the server then sends an ``error`` with code
``session_expired`` and closes. So that a longer conversation goes on without the user acting,
the bridge renews the session before that: a new connection, the session again, and the replay
of the conversation (``realtime.client.core.replay``). The deadline is ``session.expires_at``
when the server sends one (Unix seconds, turned into the bridge's monotonic clock), else the
connection time plus the provider's maximum (:func:`default_max_seconds`). Renewal waits for a
quiet moment from :func:`renewal_lead` before the deadline on (that wait is
``realtime.client.io.renewal``). A session the server ends anyway (``session_expired``) is
renewed at once.

Pure: the bridge thread keeps one :class:`SessionClock` per connection and feeds it the
server's events; no clock is read here (the caller passes the times).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from realtime.client.core.config import Provider

__all__ = [
    "HOSTED_MAX_SESSION_SECONDS",
    "SessionClock",
    "default_max_seconds",
    "renewal_lead",
]

HOSTED_MAX_SESSION_SECONDS = 60 * 60.0


def default_max_seconds(provider: Provider) -> float | None:
    """The session length limit to plan for: the hosted one for OpenAI and Azure; other
    servers say theirs through ``expires_at`` (or have none)."""
    return HOSTED_MAX_SESSION_SECONDS if provider in (Provider.OPENAI, Provider.AZURE) else None


def renewal_lead(length: float) -> float:
    """How long before the deadline renewal starts looking for a quiet moment."""
    return min(300.0, 0.1 * length)


@dataclass
class SessionClock:
    """The deadline of one connection's session, on the bridge's monotonic clock."""

    started_at: float
    deadline: float | None = None

    @classmethod
    def start(cls, now: float, max_seconds: float | None) -> SessionClock:
        return cls(now, None if max_seconds is None else now + max_seconds)

    def observe(self, event: Mapping[str, Any], now: float, wall_now: float) -> None:
        """Adopt ``session.created``'s ``session.expires_at`` (Unix seconds) when given."""
        session = event.get("session") if event.get("type") == "session.created" else None
        if not isinstance(session, Mapping):
            return
        expires_at = session.get("expires_at")
        if isinstance(expires_at, int | float) and not isinstance(expires_at, bool):
            if expires_at > 0:
                server_deadline = now + (float(expires_at) - wall_now)
                self.deadline = min(self.deadline or server_deadline, server_deadline)

    def renew_at(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - renewal_lead(self.deadline - self.started_at)
