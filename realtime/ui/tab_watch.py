"""Notice that a browser tab is gone, within a fraction of a second.

Streamlit keeps a closed tab's session for minutes (``server.disconnectedSessionTTL``) and a
closed tab's WebRTC connection only times out after ICE consent expires (about 30 s), so
neither tells the bridge in time. This watcher runs on a small daemon thread of its own and
polls ``is_active(session_id)`` (Streamlit's ``Runtime.is_active_session``: false once the
tab's websocket has gone); the first time it is false, it calls ``on_gone`` once and ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["TabWatch"]

log = logging.getLogger(__name__)


class TabWatch:
    def __init__(
        self,
        session_id: str,
        on_gone: Callable[[], None],
        *,
        is_active: Callable[[str], bool],
        interval: float = 0.25,
    ) -> None:
        self._session_id = session_id
        self._on_gone = on_gone
        self._is_active = is_active
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tab-watch", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop watching without calling ``on_gone``; idempotent."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                active = self._is_active(self._session_id)
            except Exception:  # the runtime is shutting down: nothing left to watch
                log.debug("tab watch ended: the runtime is gone", exc_info=True)
                return
            if not active:
                try:
                    self._on_gone()
                except Exception:
                    log.exception("stopping the session of a closed tab failed")
                return
