"""The bundled offline engine as the app sees it: where it listens, its key, who answers, its
voices, how often it restarted. The one module of the app that reaches the engine.

One :class:`LocalEngine` per Streamlit process (:func:`local_engine`, kept in
``st.cache_resource``), shared by every browser session (one WebSocket session each). The first
time a Streamlit script thread asks for its URL or its responder, it starts the engine as a
supervised child process (``realtime.ui.engine_process``) on 127.0.0.1 with a free port and a
random key made then and known only to this process: no browser page and no other local program
can drive it, and the engine's CPU work never competes with Streamlit and WebRTC for this
process's GIL. The page is shown once the engine's models are warm. :meth:`LocalEngine.addresses`
is read by each session's bridge thread (the loopback addresses its connect policy lets
through), so it is a plain frozen value and never starts anything.
"""

from __future__ import annotations

import atexit
import os
import secrets
import threading
from collections.abc import Callable

import streamlit as st

from realtime.protocol.errors import ConnectionFailed
from realtime.ui import deployment
from realtime.ui.engine_process import EngineProcess, EngineReady

__all__ = ["LocalEngine", "local_engine"]

DEFAULT_VOICES = ("joe",)  # what the bundled Piper package speaks, before the engine says


def _child(key: str) -> EngineProcess:
    # The engine applies the deployment's address policy itself (MCP servers), secrets included.
    return EngineProcess(
        key=key, environ={**os.environ, **deployment.current().engine_environment()}
    )


class LocalEngine:
    """The engine child, started on first use; safe to ask from any thread.

    ``process`` builds the supervisor for a key (a fake in tests); ``url``/``answers`` wait for
    the engine to be ready and raise ``ConnectionFailed`` with a plain sentence when it cannot.
    """

    def __init__(self, *, process: Callable[[str], EngineProcess] = _child) -> None:
        self._make = process
        self._key = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._process: EngineProcess | None = None
        self._addresses: frozenset[tuple[str, int]] = frozenset()

    def _ready(self) -> EngineReady:
        with self._lock:  # two browser sessions asking at once start one engine
            if self._process is None:
                self._process = self._make(self._key).start()
                atexit.register(self._process.stop)  # the child also ends if we are killed
            process = self._process
        ready = process.ready()
        with self._lock:
            self._addresses = self._addresses | {("127.0.0.1", ready.port)}
        return ready

    def url(self) -> str:
        """Base URL of the engine (``ws://127.0.0.1:PORT/v1``); waits until it serves."""
        with st.spinner("Starting the local engine…"):
            return self._ready().url

    def key(self) -> str:
        """The engine's own key: the local provider's sessions send it, nobody types it."""
        return self._key

    def answers(self) -> str:
        """Which responder the engine answers with (``rules`` or ``rules + MODEL``)."""
        return self._ready().answers

    def voices(self) -> list[str]:
        """The voices the engine speaks, from its ready line; the bundled voice before it
        started (asking does not start it)."""
        with self._lock:
            process = self._process
        if process is not None:
            try:
                return list(process.ready(timeout=0).voices) or list(DEFAULT_VOICES)
            except ConnectionFailed:  # still starting, or down
                pass
        return list(DEFAULT_VOICES)

    def restarts(self) -> int:
        """How many times the engine died and was started again (the page says so once)."""
        with self._lock:
            return self._process.restarts if self._process is not None else 0

    def memory_mb(self) -> float | None:
        """The engine's resident memory, for the page; None before it runs."""
        with self._lock:
            process = self._process
        return process.rss_mb() if process is not None else None

    def addresses(self) -> frozenset[tuple[str, int]]:
        """``(host, port)`` where the engine listens; empty until it started. Any thread."""
        return self._addresses


@st.cache_resource(show_spinner=False)
def local_engine() -> LocalEngine:
    """This Streamlit process's engine (made here, started when first asked for)."""
    return LocalEngine()
