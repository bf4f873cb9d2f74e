"""The local engine's WebSocket server: the hosted API's paths, handshake checks, one session
per connection.

Threads: :meth:`EngineServer.start` runs an asyncio event loop in a thread of its own
(``realtime.local.server_thread``; the Streamlit app starts one in-process on a free port,
``python -m realtime.local`` starts one and waits for Ctrl-C). The loop owns every connection's
session; a pool of worker threads runs the models. :meth:`EngineServer.stop` is idempotent and
safe from any thread, including the server's own.

The handshake serves ``/v1/realtime`` and ``/realtime`` (``?model=`` names the model echoed in
the session; Azure's ``deployment=`` works too) and answers anything else with 404. With an
API key set, a request without ``Authorization: Bearer KEY`` (or ``api-key: KEY``) is refused
with HTTP 401 and a JSON body like the hosted API's, before the WebSocket opens. The
``OpenAI-Beta: realtime=v1`` header selects the beta interface for that connection. With
``max_session_seconds`` a session ends after that long as a hosted one does at 60 minutes
(``realtime.local.session.expiry``).
"""

from __future__ import annotations

import concurrent.futures
import hmac
import json
import logging
import threading
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from realtime.local.connection import SessionRunner
from realtime.local.engine import Engine
from realtime.local.server_thread import ServerThread
from realtime.local.session.server_session import ServerSession
from realtime.protocol.errors import EngineError
from realtime.protocol.facts import MAX_FRAME_BYTES, ApiVersion
from realtime.protocol.logs import wire_logger

__all__ = ["PATHS", "EngineServer"]

PATHS = ("/v1/realtime", "/realtime")
logger = logging.getLogger(__name__)
# websockets logs handshake headers at DEBUG, the client's key among them: the connections get
# a logger of their own that never goes below INFO.
_wire_log = wire_logger("realtime.local.server.wire")


def _json_response(status: HTTPStatus, message: str, code: str) -> Response:
    body = {
        "error": {"message": message, "type": "invalid_request_error", "code": code, "param": None}
    }
    headers = Headers({"Content-Type": "application/json", "Connection": "close"})
    return Response(status.value, status.phrase, headers, (json.dumps(body) + "\n").encode())


class EngineServer:
    """The local Realtime server; ``url`` is the base URL a client appends ``/realtime`` to.

    ``engine`` defaults to :meth:`Engine.default` (built at start); ``preload`` loads its
    models in the background as soon as the server listens, so the first turn is fast.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        engine: Engine | None = None,
        preload: bool = False,
        max_workers: int = 8,
        max_session_seconds: float | None = None,
    ) -> None:
        self.host = host
        self.max_session_seconds = max_session_seconds  # None: sessions last as long as wanted
        self.api_key = api_key or None
        self.engine = engine
        self.preload = preload
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="realtime-engine"
        )
        self._server = ServerThread(
            self._handle,
            host=host,
            port=port,
            name="realtime-local-server",
            process_request=self._check_request,
            max_size=MAX_FRAME_BYTES,
            logger=_wire_log,
        )
        self._started = False
        self._lock = threading.Lock()

    # ---- addresses ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        port = self._server.port
        if port is None:
            raise EngineError("The local engine is not listening yet; call start() first.")
        return port

    @property
    def url(self) -> str:
        """``ws://HOST:PORT/v1``: the base URL (``SessionConfig.base_url`` takes it as is)."""
        return f"ws://{self.host}:{self.port}/v1"

    def realtime_url(self, model: str = "gpt-realtime") -> str:
        return f"{self.url}/realtime?model={model}"

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> EngineServer:
        """Serve from a background thread; returns once the port is bound."""
        with self._lock:
            first = not self._started
            if first and self.engine is None:
                try:
                    self.engine = Engine.default()
                except EngineError as exc:
                    raise EngineError(f"The local engine could not start: {exc}") from exc
            self._started = True
        try:
            self._server.start(timeout)
        except TimeoutError as exc:
            raise EngineError(f"The local engine did not start within {timeout:.0f} s.") from exc
        except OSError as exc:
            raise EngineError(f"The local engine could not start: {exc}") from exc
        if first and self.preload:
            try:
                self._executor.submit(self._warm)
            except RuntimeError:  # stopped already: nothing to warm for
                pass
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection and stop listening; idempotent, from any thread."""
        self._server.stop(timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- the loop -----------------------------------------------------------------------
    def _warm(self) -> None:
        assert self.engine is not None
        try:
            self.engine.warm()
        except EngineError as exc:  # the first turn reports it to the client too
            logger.warning("could not load the local engine's models: %s", exc)

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path.rstrip("/")
        if path not in PATHS:
            return _json_response(
                HTTPStatus.NOT_FOUND,
                f"Not found: {path or '/'}. The local engine serves {' and '.join(PATHS)}.",
                "not_found",
            )
        if self.api_key is None:
            return None
        given = request.headers.get("api-key") or ""
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer":
            given = token.strip()
        if not given:
            return _json_response(
                HTTPStatus.UNAUTHORIZED,
                "No API key was provided. Send it as 'Authorization: Bearer KEY' "
                "(or an 'api-key' header).",
                "missing_api_key",
            )
        if not hmac.compare_digest(given.encode(), self.api_key.encode()):
            return _json_response(
                HTTPStatus.UNAUTHORIZED,
                "Incorrect API key provided. Use the key the local engine was started with.",
                "invalid_api_key",
            )
        return None

    async def _handle(self, websocket: ServerConnection) -> None:
        assert self.engine is not None and websocket.request is not None
        request = websocket.request
        beta = "realtime=v1" in (request.headers.get("OpenAI-Beta") or "")
        query = parse_qs(urlsplit(request.path).query)
        models = query.get("model") or query.get("deployment") or []
        model = models[0] if models else None
        session = ServerSession(
            version=ApiVersion.BETA if beta else ApiVersion.GA,
            model=model,
            voices=self.engine.voices,
            vad_factory=self.engine.vad_factory,
        )
        runner = SessionRunner(
            websocket,
            session,
            self.engine,
            self._executor,
            beta=beta,
            max_session_seconds=self.max_session_seconds,
        )
        await runner.run()
