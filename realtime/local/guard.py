"""Who may open a session with the engine: the handshake gate.

Runs on the server's event loop, in websockets' ``process_request``, before the WebSocket
opens; every refusal is an HTTP answer with a JSON body like the hosted API's, and one log line
saying who (the peer address) and why. The checks, in order:

1. **Origin.** A browser always sends ``Origin``; other clients (the app's bridge, SDKs) do
   not. A handshake whose ``Origin`` is not in ``allowed_origins`` is refused with 403, so a
   web page on another site cannot drive the engine through the visitor's browser. ``*``
   allows every origin.
2. **Key.** With an ``api_key``, a handshake without ``Authorization: Bearer KEY`` (or
   ``api-key: KEY``) gets 401; compared in constant time.
3. **Capacity.** At ``max_sessions`` admitted sessions, 503 with ``Retry-After``. A slot is
   taken here, at admission, not when the session starts: a burst of simultaneous handshakes
   cannot all pass the check before any of them is counted. The server gives it back with
   :meth:`Gate.release` when that connection ends, whether its session ran or its handshake
   failed after admission (the client left before the 101 was written).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Collection
from http import HTTPStatus

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

__all__ = ["Gate", "json_response"]

logger = logging.getLogger(__name__)


def json_response(
    status: HTTPStatus, message: str, code: str, extra: dict[str, str] | None = None
) -> Response:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "code": code, "param": None}
    }
    headers = Headers({"Content-Type": "application/json", "Connection": "close", **(extra or {})})
    return Response(status.value, status.phrase, headers, (json.dumps(body) + "\n").encode())


class Gate:
    """The handshake checks of one server, and its count of admitted sessions.

    Called on the server's loop only (``admit`` from ``process_request``, ``release`` from the
    connection's end), so the count needs no lock.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        allowed_origins: Collection[str] = (),
        max_sessions: int | None = None,
    ) -> None:
        self.api_key = api_key or None
        self.allowed_origins = frozenset(o.rstrip("/").lower() for o in allowed_origins)
        self.max_sessions = max_sessions
        self.active = 0
        self.refused = 0

    def admit(self, request: Request, peer: object) -> Response | None:
        """None when the handshake may go on (its slot is now taken: call :meth:`release`
        once when that connection ends), else the refusal to answer with."""
        refusal = self._refusal(request.headers)
        if refusal is None:
            self.active += 1
        else:
            self.refused += 1
            reason = refusal.body.decode(errors="replace") if refusal.body else ""
            code = json.loads(reason)["error"]["code"] if reason else "refused"
            logger.warning(
                "refused a handshake from %s: HTTP %d %s (origin %r)",
                peer,
                refusal.status_code,
                code,
                (request.headers.get("Origin") or "")[:100],
            )
        return refusal

    def release(self) -> None:
        """Give back the slot of one admitted connection."""
        self.active = max(0, self.active - 1)

    def _refusal(self, headers: Headers) -> Response | None:
        origin = headers.get("Origin")
        if origin is not None and "*" not in self.allowed_origins:
            if origin.rstrip("/").lower() not in self.allowed_origins:
                return json_response(
                    HTTPStatus.FORBIDDEN,
                    "This origin may not use the engine. Start it with --allow-origin ORIGIN to "
                    "let a web page connect.",
                    "origin_not_allowed",
                )
        if self.api_key is not None:
            given = headers.get("api-key") or ""
            scheme, _, token = (headers.get("Authorization") or "").partition(" ")
            if scheme.lower() == "bearer":
                given = token.strip()
            if not given:
                return json_response(
                    HTTPStatus.UNAUTHORIZED,
                    "No API key was provided. Send it as 'Authorization: Bearer KEY' "
                    "(or an 'api-key' header).",
                    "missing_api_key",
                )
            if not hmac.compare_digest(given.encode(), self.api_key.encode()):
                return json_response(
                    HTTPStatus.UNAUTHORIZED,
                    "Incorrect API key provided. Use the key the local engine was started with.",
                    "invalid_api_key",
                )
        if self.max_sessions is not None and self.active >= self.max_sessions:
            return json_response(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"All voices are busy: the engine serves at most {self.max_sessions} sessions "
                "at once. Try again when one ends.",
                "too_many_sessions",
                {"Retry-After": "5"},
            )
        return None
