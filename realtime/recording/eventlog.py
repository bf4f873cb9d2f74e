"""The event log: every client and server event of a session, sanitised, in a bounded ring.

Two threads meet here. The bridge thread calls :meth:`EventLog.record` (the bridge's ``on_event``
observer) for every client event it sent and every server event it received: the event is copied
with secrets redacted and audio payloads summarised (``realtime.recording.redact``), then appended
under a small lock; the oldest entry is dropped past ``capacity`` and counted. The Streamlit script
thread reads: queries copy the ring under the lock and filter outside it, so the inspector never
holds up the bridge. Counts per type and direction cover every event recorded, dropped ones
included.

The JSONL download has one line per event, ``{"t": seconds, "dir": "client"|"server",
"event": {...}}`` with ``t`` counted from the first event: the shape of the recorded turns in
``tests/fixtures/turns``, so a download can be replayed by the tests.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from realtime.protocol.errors import ProtocolError
from realtime.recording.redact import Redactor

__all__ = ["DEFAULT_CAPACITY", "EventLog", "EventObserver", "LogStats", "LoggedEvent", "fan_out"]

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 5000
EventObserver = Callable[[str, Mapping[str, Any], float], None]
"""``(direction, event, at)``: the bridge's ``on_event`` signature."""


@dataclass(frozen=True)
class LoggedEvent:
    """One sanitised event; ``event`` is a private copy, not to be changed."""

    seq: int  # 1 for the first event recorded, never reused
    t: float  # the bridge's monotonic clock, seconds
    direction: str  # "client" | "server"
    type: str  # as on the wire (a beta server speaks beta names)
    event: dict[str, Any]
    audio_bytes: int = 0  # PCM16 bytes summarised away

    @cached_property
    def text(self) -> str:
        """Compact JSON of the event, what the inspector searches."""
        return json.dumps(self.event, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class LogStats:
    capacity: int
    kept: int
    recorded: int  # every event ever recorded
    dropped: int  # recorded - kept
    by_type: dict[str, int]
    by_direction: dict[str, int]


class EventLog:
    """A thread-safe bounded ring of :class:`LoggedEvent`; see the module docstring."""

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        *,
        secrets: Iterable[str] = (),
        redactor: Redactor | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"an event log keeps at least one event, not {capacity}")
        self.redactor = redactor or Redactor()
        for secret in secrets:
            self.redactor.add_secret(secret)
        self._lock = threading.Lock()
        self._ring: collections.deque[LoggedEvent] = collections.deque(maxlen=capacity)
        self._counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._seq = 0
        self._dropped = 0
        self.origin: float | None = None  # ``t`` of the first event: zero of the JSONL times

    # ---- writer (the bridge thread) -------------------------------------------------------
    def add_secret(self, value: str | None) -> None:
        """Scrub ``value`` (the API key in use) from every event recorded from now on."""
        self.redactor.add_secret(value)

    def record(self, direction: str, event: Mapping[str, Any], at: float) -> None:
        """The bridge's ``on_event``: sanitise a copy of ``event`` and append it."""
        clean, audio_bytes = self.redactor.event(event)
        event_type = str(clean.get("type") or "(no type)")
        with self._lock:
            if self.origin is None:
                self.origin = at
            if len(self._ring) == self._ring.maxlen:
                self._dropped += 1
            self._seq += 1
            self._ring.append(LoggedEvent(self._seq, at, direction, event_type, clean, audio_bytes))
            self._counts[direction, event_type] += 1

    def clear(self) -> None:
        with self._lock:
            self._ring.clear()
            self._counts.clear()
            self._dropped = 0
            self.origin = None

    # ---- readers (any thread) -------------------------------------------------------------
    @property
    def capacity(self) -> int:
        return self._ring.maxlen or 0

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def last_seq(self) -> int:
        """``seq`` of the newest event, 0 when empty: pass it to :meth:`since` next time."""
        return self._seq

    def __len__(self) -> int:
        return len(self._ring)

    def events(self) -> list[LoggedEvent]:
        """Every kept event, oldest first."""
        with self._lock:
            return list(self._ring)

    def since(self, seq: int) -> list[LoggedEvent]:
        """Kept events newer than ``seq``, oldest first: a live view's increment."""
        with self._lock:
            if seq >= self._seq:
                return []
            fresh = min(len(self._ring), self._seq - seq)
            return list(self._ring)[-fresh:]

    def query(
        self,
        *,
        directions: Collection[str] | None = None,
        types: Collection[str] | None = None,
        search: str = "",
        newest_first: bool = True,
        limit: int | None = None,
    ) -> list[LoggedEvent]:
        """Kept events filtered by direction, type and a case-insensitive substring of the JSON.

        ``None`` (or empty) ``directions``/``types`` means all.
        """
        events = self.events()
        if newest_first:
            events.reverse()
        needle = search.strip().lower()
        out: list[LoggedEvent] = []
        for entry in events:
            if directions and entry.direction not in directions:
                continue
            if types and entry.type not in types:
                continue
            if needle and needle not in entry.text.lower():
                continue
            out.append(entry)
            if limit is not None and len(out) >= limit:
                break
        return out

    def counts(self, direction: str | None = None) -> dict[str, int]:
        """Events recorded per type (dropped ones included), most frequent first."""
        with self._lock:
            counts = collections.Counter[str]()
            for (where, event_type), n in self._counts.items():
                if direction is None or where == direction:
                    counts[event_type] += n
        return dict(counts.most_common())

    def direction_counts(self) -> dict[str, int]:
        with self._lock:
            counts = collections.Counter[str]()
            for (where, _), n in self._counts.items():
                counts[where] += n
        return dict(counts)

    def types_seen(self) -> list[str]:
        """Every event type recorded, sorted: the options of the inspector's type filter."""
        with self._lock:
            return sorted({event_type for _, event_type in self._counts})

    def stats(self) -> LogStats:
        with self._lock:
            kept, recorded, dropped = len(self._ring), self._seq, self._dropped
            capacity = self._ring.maxlen or 0
        return LogStats(capacity, kept, recorded, dropped, self.counts(), self.direction_counts())

    # ---- JSONL --------------------------------------------------------------------------
    def to_jsonl(self, events: Iterable[LoggedEvent] | None = None) -> str:
        """One ``{"t", "dir", "event"}`` line per event (all kept events by default)."""
        chosen = self.events() if events is None else sorted(events, key=lambda e: e.seq)
        origin = self.origin or 0.0
        lines = [
            json.dumps(
                {"t": round(e.t - origin, 6), "dir": e.direction, "event": e.event},
                ensure_ascii=False,
            )
            for e in chosen
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_jsonl(
        cls,
        text: str,
        *,
        capacity: int = DEFAULT_CAPACITY,
        secrets: Iterable[str] = (),
    ) -> EventLog:
        """A log holding the events of a JSONL download or a recorded turn (sanitised again).

        Raises ``ProtocolError`` naming the first line that is not ``{"t", "dir", "event"}``.
        """
        out = cls(capacity, secrets=secrets)
        out.origin = 0.0  # times in the file already count from the first event
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                at, direction, event = float(row["t"]), str(row["dir"]), row["event"]
                if not isinstance(event, dict):
                    raise TypeError("event is not an object")
            except (ValueError, KeyError, TypeError) as exc:
                raise ProtocolError(
                    f"line {number} is not a {{t, dir, event}} event log line: {exc}"
                ) from exc
            out.record(direction, event, at)
        return out


def fan_out(*observers: EventObserver) -> EventObserver:
    """One ``on_event`` calling each observer in turn (the event log, the item clock).

    An observer that raises is logged and skipped: watching must never end the session.
    """

    def observe(direction: str, event: Mapping[str, Any], at: float) -> None:
        for observer in observers:
            try:
                observer(direction, event, at)
            except Exception:  # an observer bug must not kill the bridge's reader/writer
                log.exception("event observer %r failed", observer)

    return observe
