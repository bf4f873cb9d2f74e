"""The local engine's WebSocket server: the hosted API's paths, handshake checks, one session
per connection.

Threads: :meth:`EngineServer.start` runs an asyncio event loop in a thread of its own
(``realtime.local.server_thread``; the Streamlit app starts one in-process on a free port,
``python -m realtime.local`` starts one and waits for Ctrl-C). The loop owns every connection's
session; a pool of worker threads runs the models. :meth:`EngineServer.stop` is idempotent and
safe from any thread, including the server's own.

The handshake serves ``/v1/realtime`` and ``/realtime`` (``?model=`` names the model echoed in
the session; Azure's ``deployment=`` works too) and answers anything else with 404. Then the
gate (``realtime.local.guard``) refuses, before the WebSocket opens and with a JSON body like
the hosted API's: a browser ``Origin`` not allowed (403), a missing or wrong key (401), a
session past ``max_sessions`` (503, counted at admission). The ``OpenAI-Beta: realtime=v1``
header selects the beta interface for that connection. What one session may hold is bounded
(``realtime.local.limits``).
With ``max_session_seconds`` a session ends after that long as a hosted one does at 60 minutes
(``realtime.local.session.expiry``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Collection
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from realtime.local import allocator
from realtime.local.connection import SessionRunner
from realtime.local.engine import Engine
from realtime.local.guard import Gate, json_response
from realtime.local.limits import MAX_QUEUED_FRAMES
from realtime.local.server_thread import ServerThread
from realtime.local.session.server_session import ServerSession
from realtime.protocol.errors import EngineError
from realtime.protocol.facts import MAX_FRAME_BYTES, ApiVersion
from realtime.protocol.logs import wire_logger

__all__ = ["PATHS", "EngineServer"]

PATHS = ("/v1/realtime", "/realtime")
_TRIM_DELAY = 0.2  # seconds after a session's handler returns
logger = logging.getLogger(__name__)
# websockets logs handshake headers at DEBUG, the client's key among them: the connections get
# a logger of their own that never goes below INFO.
_wire_log = wire_logger("realtime.local.server.wire")


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
        allowed_origins: Collection[str] = (),
        max_sessions: int | None = None,
        max_session_seconds: float | None = None,
    ) -> None:
        allocator.configure()  # before the models load: their big blocks are then mmapped
        self.host = host
        self.max_session_seconds = max_session_seconds  # None: sessions last as long as wanted
        self.api_key = api_key or None
        self.gate = Gate(
            api_key=self.api_key, allowed_origins=allowed_origins, max_sessions=max_sessions
        )
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
            max_queue=MAX_QUEUED_FRAMES,
            # No permessage-deflate: the traffic is base64 PCM (deflate saves a quarter of it),
            # and inflating a client's 16 MiB frames would cost the loop every client's time.
            compression=None,
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
            return json_response(
                HTTPStatus.NOT_FOUND,
                f"Not found: {path or '/'}. The local engine serves {' and '.join(PATHS)}.",
                "not_found",
            )
        refusal = self.gate.admit(request, connection.remote_address)
        if refusal is None:
            # Admitted: the slot is held through the rest of the handshake and the session, and
            # given back when the TCP connection is gone, however it ended.
            connection.connection_lost_waiter.add_done_callback(lambda _: self.gate.release())
        return refusal

    async def _handle(self, websocket: ServerConnection) -> None:
        assert self.engine is not None and websocket.request is not None
        request = websocket.request
        beta = "realtime=v1" in (request.headers.get("OpenAI-Beta") or "")
        query = parse_qs(urlsplit(request.path).query)
        models = query.get("model") or query.get("deployment") or []
        model = models[0] if models else None
        transcription = query.get("intent") == ["transcription"]
        session = ServerSession(
            version=ApiVersion.BETA if beta else ApiVersion.GA,
            model=model,
            voices=self.engine.voices,
            vad_factory=self.engine.vad_factory,
            partials=self.engine.partials or transcription,
            prepare_answers=self.engine.prepare_answers,
            ahead_counts=self.engine.ahead_counts,
            answer_counts=self.engine.answer_counts,
            transcription=transcription,
        )
        runner = SessionRunner(
            websocket,
            session,
            self.engine,
            self._executor,
            beta=beta,
            max_session_seconds=self.max_session_seconds,
        )
        try:
            await runner.run()
        finally:
            # What the session held is freed once the connection's own buffers are gone too:
            # a moment after this handler returns; then the heap's free pages go back.
            del runner, session
            asyncio.get_running_loop().call_later(_TRIM_DELAY, self._trim)

    def _trim(self) -> None:
        try:
            self._executor.submit(allocator.release)
        except RuntimeError:  # the server stopped: the process is ending anyway
            pass
