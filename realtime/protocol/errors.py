"""One exception tree for the whole package.

Foreign exceptions (websockets, OSError, av, model runtimes) are mapped to these at the boundary
that meets them, chained with ``raise ... from exc``, so callers catch ``RealtimeError`` and show
its message to the user as it is: every message is written to be read by a person.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConnectionFailed",
    "EngineError",
    "ProtocolError",
    "RealtimeError",
    "ToolError",
]


class RealtimeError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(RealtimeError, ValueError):
    """A setting is missing, unknown or out of range.

    ``field`` names the setting and ``allowed`` says what it accepts, so a page can put the
    message next to the widget that caused it.
    """

    def __init__(self, field: str, message: str, *, allowed: str | None = None) -> None:
        self.field = field
        self.allowed = allowed
        text = f"{field}: {message}"
        if allowed:
            text += f" (allowed: {allowed})"
        super().__init__(text)


class ConnectionFailed(RealtimeError):
    """The WebSocket could not be opened or closed unexpectedly.

    ``status`` is the HTTP status of a refused handshake, ``close_code`` the WebSocket close
    code; ``retryable`` says whether reconnecting can help (a wrong key cannot).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        close_code: int | None = None,
        retryable: bool = True,
    ) -> None:
        self.status = status
        self.close_code = close_code
        self.retryable = retryable
        super().__init__(message)


class ProtocolError(RealtimeError):
    """A frame that is not a valid Realtime event (bad JSON, no ``type``, wrong shape)."""


class EngineError(RealtimeError):
    """The local engine cannot run a stage (a model is missing, a backend is unreachable)."""


class ToolError(RealtimeError):
    """A tool call failed: bad arguments, the function raised, or it ran out of time."""
