"""The local engine's WebSocket server: the hosted API's paths, handshake checks, one session
per connection.

Threads: :meth:`EngineServer.start` runs an asyncio event loop in a thread of its own (the
Streamlit app starts one in-process on a free port; ``python -m realtime.local`` starts one and
waits for Ctrl-C). The loop owns every connection's session; a pool of worker threads runs the
models. :meth:`EngineServer.stop` is idempotent and safe from any thread, including the
server's own.

The handshake serves ``/v1/realtime`` and ``/realtime`` (``?model=`` names the model echoed in
the session; Azure's ``deployment=`` works too) and answers anything else with 404. Then the
gate (``realtime.local.guard``) refuses, before the WebSocket opens and with a JSON body like
the hosted API's: a browser ``Origin`` not allowed (403), a missing or wrong key (401), a
session past ``max_sessions`` (503). The ``OpenAI-Beta: realtime=v1`` header selects the beta
interface for that connection. What one session may hold is bounded (``realtime.local.limits``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Collection
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from realtime.local.connection import SessionRunner
from realtime.local.engine import Engine
from realtime.local.guard import Gate, json_response
from realtime.local.limits import MAX_QUEUED_FRAMES
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
    ) -> None:
        self.host = host
        self.api_key = api_key or None
        self.gate = Gate(
            api_key=self.api_key, allowed_origins=allowed_origins, max_sessions=max_sessions
        )
        self.engine = engine
        self.preload = preload
        self._requested_port = port
        self._port: int | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="realtime-engine"
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._stopped = False
        self._lock = threading.Lock()

    # ---- addresses ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise EngineError("The local engine is not listening yet; call start() first.")
        return self._port

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
            if self._thread is not None:
                return self
            self._thread = threading.Thread(
                target=self._thread_main, name="realtime-local-server", daemon=True
            )
            self._thread.start()
        if not self._ready.wait(timeout):
            raise EngineError(f"The local engine did not start within {timeout:.0f} s.")
        if self._failure is not None:
            raise EngineError(f"The local engine could not start: {self._failure}") from (
                self._failure
            )
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection and stop listening; idempotent, from any thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop has closed already
                pass
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- the loop -----------------------------------------------------------------------
    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            if self.engine is None:
                self.engine = Engine.default()
            server = await serve(
                self._handle,
                self.host,
                self._requested_port,
                process_request=self._check_request,
                max_size=MAX_FRAME_BYTES,
                max_queue=MAX_QUEUED_FRAMES,
                logger=_wire_log,
            )
        except (OSError, EngineError) as exc:
            self._failure = exc
            self._ready.set()
            return
        async with server:
            self._port = server.sockets[0].getsockname()[1] if server.sockets else None
            self._ready.set()
            if self.preload:
                self._executor.submit(self._warm)
            if self._stopped:
                self._stop.set()
            await self._stop.wait()

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
        return self.gate.check(request, connection.remote_address)

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
        runner = SessionRunner(websocket, session, self.engine, self._executor, beta=beta)
        self.gate.active += 1
        try:
            await runner.run()
        finally:
            self.gate.active -= 1
