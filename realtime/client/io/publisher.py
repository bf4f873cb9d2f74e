"""The bridge's published view: one frozen ``Snapshot``, swapped in under a small lock.

Written only on the bridge thread: the link (connection state, notices, reconnect count, the
error that ended it) and, after every change, the conversation, tool runs and microphone
figures it reads from the objects it was built with. Read from any thread with ``snapshot()``;
the lock guards only the published value (STYLE habit 5).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

from realtime.client.core.conversation import Conversation
from realtime.client.core.snapshot import LinkState, Notice, Snapshot
from realtime.client.io.mic_queue import MicQueue
from realtime.client.io.tool_desk import ToolDesk

__all__ = ["MAX_NOTICES", "Publisher"]

MAX_NOTICES = 50


class Publisher:
    """Link status plus the latest ``Snapshot``; see the module docstring."""

    def __init__(
        self,
        conversation: Conversation,
        desk: ToolDesk,
        mic: MicQueue,
        *,
        clock: Callable[[], float],
    ) -> None:
        self._conv = conversation
        self._desk = desk
        self._mic = mic
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot = Snapshot()
        self.state = LinkState.IDLE
        self.reconnects = 0
        self._notices: collections.deque[Notice] = collections.deque(maxlen=MAX_NOTICES)
        self._error: str | None = None

    # ---- any thread -------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    # ---- the bridge thread (or, for ``clear_error``, a thread starting it) -------------------
    def clear_error(self) -> None:
        """A fresh start: forget why the last run failed (called while no bridge thread runs)."""
        self._error = None

    def set_state(self, state: LinkState) -> None:
        self.state = state
        self.publish()

    def notice(self, level: str, text: str) -> None:
        self._notices.append(Notice(self._clock(), level, text))
        self.publish()

    def fail(self, message: str) -> None:
        self._error = message
        self._notices.append(Notice(self._clock(), "error", message))
        self.set_state(LinkState.FAILED)

    def count_reconnect(self) -> None:
        self.reconnects += 1

    def publish(self) -> None:
        conv = self._conv
        snapshot = Snapshot(
            state=self.state,
            items=conv.ordered_items(),
            tool_runs=self._desk.runs(),
            notices=tuple(self._notices),
            turns=tuple(conv.turns.values()),
            usage=conv.usage_total,
            session=conv.session,
            response_active=conv.active_response_id is not None,
            reconnects=self.reconnects,
            dropped_audio_chunks=self._mic.dropped,
            buffered_ms=conv.buffered_ms,
            mic_dbfs=self._mic.level_dbfs,
            error=self._error,
        )
        with self._lock:
            self._snapshot = snapshot
