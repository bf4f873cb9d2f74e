"""The bridge's published view: a frozen ``Snapshot``, built when read and only after a change.

The bridge thread changes the conversation, the tool runs and the link's status (connection
state, notices, reconnect count, the error that ended it) inside ``changing()``, or announces a
change of its own fields with ``publish()``: both hold one small lock and move a version number
on. Any thread reads ``snapshot()``: when the version moved since the last build, the reader
builds a new ``Snapshot`` under the same lock (so it never sees a change half made); otherwise
it gets the very same object. A server frame costs a version step, not a snapshot; a page that
reads twice a second builds at most twice a second, whatever the server sends (STYLE habit 5:
the lock guards the published view and the changes it is made from, never I/O).
"""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Callable, Iterator

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
        # Reentrant: a change may announce a notice; held only for synchronous work.
        self._lock = threading.RLock()
        self._version = 0
        self._snapshot = Snapshot()
        self.builds = 0  # snapshots built so far (one per read after a change)
        self.state = LinkState.IDLE
        self.reconnects = 0
        self._notices: collections.deque[Notice] = collections.deque(maxlen=MAX_NOTICES)
        self._error: str | None = None

    # ---- any thread -------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The view as of the last change: built now if something changed since the last
        read, else the same object as then."""
        with self._lock:
            if self._snapshot.version != self._version:
                self._snapshot = self._build()
                self.builds += 1
            return self._snapshot

    # ---- the bridge thread (or, for ``clear_error``, a thread starting it) -------------------
    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Around a synchronous change of the conversation or the tool runs: readers wait
        until it is whole, and the next read builds a new snapshot. Never around an ``await``."""
        with self._lock:
            try:
                yield
            finally:
                self._version += 1

    def publish(self) -> None:
        """Something shown changed (already, or in a field read as one value): the next read
        builds a new snapshot."""
        with self._lock:
            self._version += 1

    def clear_error(self) -> None:
        """A fresh start: forget why the last run failed (called while no bridge thread runs)."""
        with self.changing():
            self._error = None

    def set_state(self, state: LinkState) -> None:
        with self.changing():
            self.state = state

    def notice(self, level: str, text: str) -> None:
        with self.changing():
            self._notices.append(Notice(self._clock(), level, text))

    def fail(self, message: str) -> None:
        with self.changing():
            self._error = message
            self._notices.append(Notice(self._clock(), "error", message))
            self.state = LinkState.FAILED

    def count_reconnect(self) -> None:
        with self.changing():
            self.reconnects += 1

    def _build(self) -> Snapshot:
        conv = self._conv
        return Snapshot(
            version=self._version,
            state=self.state,
            items=conv.ordered_items(),
            images=conv.images.view(),
            tool_runs=self._desk.runs(),
            notices=tuple(self._notices),
            turns=tuple(conv.turns.values()),
            usage=conv.usage_total,
            session=conv.session,
            rate_limits=conv.rate_limits,
            response_active=conv.active_response_id is not None,
            reconnects=self.reconnects,
            dropped_audio_chunks=self._mic.dropped,
            buffered_ms=conv.buffered_ms,
            mic_dbfs=self._mic.level_dbfs,
            error=self._error,
        )
