"""``idle_timeout_ms``: the nudge after an answer met with silence.

Pure; owned by the session state machine (``realtime.local.session.server_session``) on the
server's event loop, which shows it every call's end (:meth:`IdleTimer.observe`) and asks it
after each append whether the silence ran out (:meth:`IdleTimer.due`). As on the hosted API it
serves ``server_vad`` only: once a response has ended, input audio with no speech for
``idle_timeout_ms`` ends in ``input_audio_buffer.timeout_triggered`` (``audio_start_ms`` /
``audio_end_ms``: the silent stretch, ``item_id``: the item it becomes), the silence committed
as a user item, and a short nudge (:data:`NUDGE`) said through the normal response path. The
timer then waits for the next response to end (the nudge's own too: a user who stays silent is
asked again after another ``idle_timeout_ms``, at most one nudge per timeout).

The engine does not see the client's playback, so the silence is counted from the later of the
response's end and its start plus the audio it sent (a client plays that audio in real time).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["NUDGE", "IdleTimer", "idle_timeout_ms"]

NUDGE = "Are you still there?"


class _Response(Protocol):
    @property
    def audio_ms(self) -> float: ...


def idle_timeout_ms(turn_detection: Mapping[str, Any] | None) -> int | None:
    """The session's idle timeout, when its turn detection is ``server_vad`` and sets one."""
    if not turn_detection or turn_detection.get("type") != "server_vad":
        return None
    value = turn_detection.get("idle_timeout_ms")
    return value if isinstance(value, int) else None


class IdleTimer:
    """Where the silence after the last response began, in input-audio milliseconds."""

    def __init__(self) -> None:
        self._response: _Response | None = None  # the response seen running
        self._started_ms = 0  # input audio position when it was first seen
        self._since_ms: int | None = None  # the silence counted from here; None: not armed

    def observe(self, response: _Response | None, position_ms: int, speaking: bool) -> None:
        """At the end of every session call: the response running (None: none) and whether the
        user is speaking."""
        if response is not None:
            if response is not self._response:
                self._response, self._started_ms = response, position_ms
            self._since_ms = None
        elif self._response is not None:  # it ended since the last call
            played = self._started_ms + int(self._response.audio_ms)
            self._response, self._since_ms = None, max(position_ms, played)
        if speaking:
            self._since_ms = None  # the user answered: no nudge until the next response ends

    def due(self, position_ms: int, timeout_ms: int | None) -> int | None:
        """Where the silence began, once it lasted ``timeout_ms`` (then disarmed), else None."""
        since = self._since_ms
        if since is None or timeout_ms is None or position_ms - since < timeout_ms:
            return None
        self._since_ms = None
        return since
