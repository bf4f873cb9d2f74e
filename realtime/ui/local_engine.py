"""The bundled offline engine as the app sees it: where it listens, its key, who answers, its
voices. The one module of the app that imports ``realtime.local``.

One :class:`LocalEngine` per Streamlit process (:func:`local_engine`, kept in
``st.cache_resource``), shared by every browser session (one WebSocket session each). It starts
the engine the first time the Streamlit script thread asks for its URL, key or responder, on
127.0.0.1 with a free port and a random key made then and known only to this process: no
browser page and no other local program can drive it. Models load in the background so the
page is not held up. :meth:`LocalEngine.addresses` is read by each session's bridge thread (the
one loopback address its connect policy lets through), so it is a plain frozen value, without
``st``, and never starts anything.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

import streamlit as st

from realtime.local.server import EngineServer

__all__ = ["LocalEngine", "local_engine"]


def _serve_on_loopback() -> EngineServer:
    with st.spinner("Starting the local engine…"):
        return EngineServer(
            host="127.0.0.1", port=0, preload=True, api_key=secrets.token_urlsafe(32)
        ).start()


class LocalEngine:
    """The in-process engine, started on first use; safe to ask from any script thread."""

    def __init__(self, *, start: Callable[[], EngineServer] = _serve_on_loopback) -> None:
        self._start = start
        self._lock = threading.Lock()
        self._server: EngineServer | None = None
        self._addresses: frozenset[tuple[str, int]] = frozenset()

    def _running(self) -> EngineServer:
        with self._lock:  # two browser sessions asking at once start one engine
            if self._server is None:
                server = self._start()
                self._addresses = frozenset({(server.host, server.port)})
                self._server = server
            return self._server

    def url(self) -> str:
        """Base URL of the engine (``ws://127.0.0.1:PORT/v1``)."""
        return self._running().url

    def key(self) -> str | None:
        """The engine's own key: the local provider's sessions send it, nobody types it."""
        return self._running().api_key

    def answers(self) -> str:
        """Which responder the engine answers with (``rules`` or ``rules + MODEL``)."""
        engine = self._running().engine
        return engine.responder_name if engine is not None else "rules"

    def voices(self) -> list[str]:
        """The voices the engine speaks (Piper voices shipped in installed packages); reading
        them does not start the engine."""
        from realtime.local.stages.tts import voices  # here: only the local provider needs it

        return [v.name for v in voices()] or ["joe"]

    def addresses(self) -> frozenset[tuple[str, int]]:
        """``(host, port)`` where the engine listens; empty until it started. Any thread."""
        return self._addresses


@st.cache_resource(show_spinner=False)
def local_engine() -> LocalEngine:
    """This Streamlit process's engine (made here, started when first asked for)."""
    return LocalEngine()
