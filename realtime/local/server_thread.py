"""A ``websockets`` server on an asyncio event loop in a thread of its own.

Threads: :meth:`ServerThread.start`, called from any thread, starts one daemon thread that runs
``asyncio.run``; that loop serves the handler for every connection and runs nothing else unless
another thread hands it a coroutine through :meth:`ServerThread.submit`. ``start`` returns once
the port is bound (port 0 picks a free one, read back from :attr:`ServerThread.port`) and
re-raises a failure to bind in the caller's thread. :meth:`ServerThread.stop` is idempotent and
safe from any thread, the loop's own included (it never joins itself): the server closes its
connections (close code 1001), waits for their handlers and the thread ends.

Data: frames flow only between the handler and its sockets, on the loop; the thread owns no
protocol state. The local engine's server is built on it, and so are the tests' loopback
servers and proxies.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from websockets.asyncio.server import ServerConnection, serve

__all__ = ["Handler", "ServerThread"]

Handler = Callable[[ServerConnection], Awaitable[None]]
"""The coroutine that serves one connection, as ``websockets.asyncio.server.serve`` takes it."""

T = TypeVar("T")
logger = logging.getLogger(__name__)


class ServerThread:
    """Serve ``handler`` on ``host:port`` from a thread of its own; see the module docstring.

    ``serve_options`` go to ``websockets.asyncio.server.serve`` as they are
    (``process_request``, ``max_size``, ``logger`` ...).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "websocket-server",
        **serve_options: Any,
    ) -> None:
        self.host = host
        self.name = name
        self._handler = handler
        self._requested_port = port
        self._options = serve_options
        self._port: int | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stopped = False

    @property
    def port(self) -> int | None:
        """The bound port once :meth:`start` has returned; None before."""
        return self._port

    @property
    def url(self) -> str:
        """``ws://HOST:PORT``; only once listening."""
        if self._port is None:
            raise RuntimeError(f"{self.name} is not listening; call start() first")
        return f"ws://{self.host}:{self._port}"

    def start(self, timeout: float = 30.0) -> ServerThread:
        """Serve from the thread; returns once the port is bound. A failure to bind (OSError)
        is raised here; ``TimeoutError`` if the loop did not listen within ``timeout``."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"{self.name} did not start within {timeout:.0f} s")
        if self._failure is not None:
            raise self._failure
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection and stop listening; idempotent, from any thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None:
            try:
                loop.call_soon_threadsafe(stop_event.set)
            except RuntimeError:  # the loop has closed already
                pass
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coroutine`` on the server's loop (from another thread); its future."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError(f"{self.name} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- the thread ---------------------------------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # the thread's catch-all: log once, keep it for start()
            logger.exception("%s stopped on an error", self.name)
            self._failure = self._failure or exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._stop_event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        try:
            server = await serve(self._handler, self.host, self._requested_port, **self._options)
        except OSError as exc:  # the address is taken or cannot be bound
            self._failure = exc
            return
        async with server:
            self._port = server.sockets[0].getsockname()[1] if server.sockets else None
            self._ready.set()
            if self._stopped:  # stop() came before the loop could hear it
                self._stop_event.set()
            await self._stop_event.wait()
