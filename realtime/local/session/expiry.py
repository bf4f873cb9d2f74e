"""A maximum session length for the local engine, ended the way the hosted API ends one.

Pure; used by the connection (``realtime.local.connection``) on the server's event loop when
the server was started with ``max_session_seconds`` (``--max-session-seconds``). The hosted API
announces the end in ``session.created`` (``session.expires_at``, Unix seconds), and at that time
sends an ``error`` with code ``session_expired`` and closes the WebSocket; a short limit here
lets clients test what they do about it (renewing the session with the conversation so far).
"""

from __future__ import annotations

from realtime.local.session.jobs import SessionOutcome
from realtime.local.session.wire import server_event
from realtime.protocol.events import Event

__all__ = ["CLOSE_REASON", "expired_event", "with_expires_at"]

CLOSE_REASON = "session expired"


def with_expires_at(outcome: SessionOutcome, expires_at: int) -> SessionOutcome:
    """``outcome`` with ``session.created``'s session carrying ``expires_at``."""
    events = tuple(
        {**e, "session": {**e["session"], "expires_at": expires_at}}
        if e.get("type") == "session.created"
        else e
        for e in outcome.events
    )
    return SessionOutcome(events, outcome.jobs)


def expired_event(max_seconds: float) -> Event:
    """The ``error`` sent when the session's time is up (the same in GA and beta)."""
    limit = f"{max_seconds / 60:g} minutes" if max_seconds >= 60 else f"{max_seconds:g} seconds"
    return server_event(
        "error",
        error={
            "type": "invalid_request_error",
            "code": "session_expired",
            "message": f"Your session hit the maximum duration of {limit}.",
            "param": None,
            "event_id": None,
        },
    )
