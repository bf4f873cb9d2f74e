"""The WebSocket client: open, send, receive, close, with every failure in plain words.

Runs on the bridge thread's asyncio loop. Frames go out as JSON text built by ``events``; frames
come in as text for ``Conversation.receive_frame``. Foreign exceptions (websockets, OSError, ssl,
timeouts) are mapped to ``ConnectionFailed`` in one place, ``map_errors``, so the bridge and the
page only ever see a message a person can act on, and a ``retryable`` flag that says whether
reconnecting can help (a refused key cannot).

The key travels only in the handshake headers. websockets logs handshake headers at DEBUG, so
the connection gets a logger of its own pinned at INFO: the key never reaches a log.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from realtime.protocol.errors import ConnectionFailed
from realtime.protocol.events import Event, serialize
from realtime.protocol.facts import MAX_FRAME_BYTES
from realtime.protocol.logs import wire_logger

__all__ = ["CLOSE_CODES", "Transport", "describe_close", "map_errors", "open_transport"]

_wire_log = wire_logger("realtime.client.io.transport.wire")


CLOSE_CODES = {
    1000: "the server ended the session normally",
    1001: "the server is going away (restart or shutdown)",
    1006: "the connection dropped without a close frame (network or server crash)",
    1008: "the server closed the session for a policy violation",
    1009: "a message was too large for the server",
    1011: "the server hit an internal error",
    1012: "the server is restarting",
    1013: "the server is overloaded; try again later",
}

_STATUS = {
    400: ("the server refused the request (HTTP 400): check the model and API version", False),
    401: ("the API key was refused (HTTP 401): check the key in the sidebar", False),
    403: ("the API key has no access to this model (HTTP 403)", False),
    404: ("the model or deployment was not found (HTTP 404): check its name and the URL", False),
    429: ("rate limited or out of quota (HTTP 429): wait, or check your plan", True),
    503: ("all voices are busy (HTTP 503): the server is at its session limit", True),
}


def describe_close(code: int | None, reason: str = "") -> str:
    """A sentence for a WebSocket close code (and the server's reason, if it gave one)."""
    if code is None:
        return "the connection closed"
    text = CLOSE_CODES.get(code, f"the server closed the connection (code {code})")
    if code >= 4000:
        text = f"the server closed the session (code {code})"
    return f"{text}: {reason}" if reason else text


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


@contextlib.contextmanager
def map_errors(url: str) -> Iterator[None]:
    """Turn foreign connection errors into ``ConnectionFailed`` with an actionable message."""
    target = _target(url)
    try:
        yield
    except InvalidStatus as exc:
        status = exc.response.status_code
        if 300 <= status < 400:
            text = f"the server answered with a redirect (HTTP {status}), not followed"
            retry = False
        else:
            text, retry = _STATUS.get(
                status,
                (f"the server refused the connection (HTTP {status})", status >= 500),
            )
        # The peer's body and headers are never shown: an internal service's answer could
        # carry anything (DESIGN section 8). The status alone says what to do.
        raise ConnectionFailed(f"{target}: {text}", status=status, retryable=retry) from exc
    except InvalidURI as exc:
        raise ConnectionFailed(f"{url!r} is not a WebSocket URL", retryable=False) from exc
    except ssl.SSLError as exc:
        raise ConnectionFailed(
            f"{target}: TLS failed ({exc.reason or exc}); check the URL scheme and certificates",
            retryable=False,
        ) from exc
    except socket.gaierror as exc:
        raise ConnectionFailed(
            f"{target}: the host name could not be resolved; check the URL and your network",
        ) from exc
    except ConnectionRefusedError as exc:
        raise ConnectionFailed(
            f"{target}: connection refused; is the server running on that port?"
        ) from exc
    except TimeoutError as exc:
        raise ConnectionFailed(f"{target}: timed out; the server did not answer") from exc
    except InvalidHandshake as exc:
        # Not the exception text: it quotes the peer's headers.
        raise ConnectionFailed(
            f"{target}: the WebSocket handshake failed; is this a Realtime server?"
        ) from exc
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd else None
        reason = exc.rcvd.reason if exc.rcvd else ""
        raise ConnectionFailed(
            f"{target}: {describe_close(code if code is not None else 1006, reason)}",
            close_code=code if code is not None else 1006,
            retryable=code not in (1008,),
        ) from exc
    except OSError as exc:
        raise ConnectionFailed(f"{target}: {exc.strerror or exc}") from exc


class Transport:
    """One open WebSocket to a Realtime server."""

    def __init__(self, url: str, connection: ClientConnection) -> None:
        self.url = url
        self._ws = connection

    async def send(self, event: Event) -> None:
        with map_errors(self.url):
            await self._ws.send(serialize(event))

    async def frames(self) -> AsyncIterator[str | bytes]:
        """Incoming frames; any close, even a clean one, raises ``ConnectionFailed``.

        A client never ends a Realtime session by waiting for the server, so every close that
        reaches this loop is news for the caller, with its code in ``close_code``.
        """
        with map_errors(self.url):
            while True:
                yield await self._ws.recv()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), timeout=1.0)


async def open_transport(
    url: str,
    headers: dict[str, str],
    *,
    open_timeout: float = 10.0,
    connector: type[connect] = connect,
    **options: Any,
) -> Transport:
    """Open a WebSocket with the handshake headers; errors come as ``ConnectionFailed``.

    ``connector`` is websockets' ``connect`` or a subclass (``outbound.NoRedirectConnect``). No
    ``permessage-deflate`` unless asked for: the traffic is mostly base64 PCM, which deflate
    shrinks by a quarter at the cost of most of the bridge thread's CPU on both ends.
    """
    options.setdefault("compression", None)
    for name, value in headers.items():
        if any(char in value for char in "\r\n\0"):
            # Refused here, never echoed: a key with a line break would split the request.
            raise ConnectionFailed(f"the {name} header has a line break; not sent", retryable=False)
    with map_errors(url):
        connection = await connector(
            url,
            additional_headers=headers,
            open_timeout=open_timeout,
            max_size=MAX_FRAME_BYTES,
            logger=_wire_log,
            **options,
        )
    return Transport(url, connection)
