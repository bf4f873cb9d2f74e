"""What a bridge publishes for the page: frozen values, safe to read from any thread.

Built by ``realtime.client.io.publisher`` when read after a change (``version`` counts the
changes); pages, exports and tests only ever read them, and a page compares ``version`` to
know whether anything changed since it last drew.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from realtime.client.core.values import AttachedImage, Item, RateLimit, Turn, Usage

__all__ = ["LinkState", "Notice", "Snapshot", "ToolRun"]


class LinkState(enum.Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class Notice:
    at: float
    level: str  # info | warning | error
    text: str


@dataclass(frozen=True)
class ToolRun:
    """One tool call as the page shows it."""

    call_id: str
    name: str
    arguments: str
    output: str | None = None
    ok: bool | None = None  # None while running
    error: str | None = None
    duration_ms: float | None = None
    item_id: str = ""


@dataclass(frozen=True)
class Snapshot:
    """What the page needs, frozen: safe to read from any thread."""

    version: int = 0  # of the bridge's changes; equal versions: equal snapshots
    state: LinkState = LinkState.IDLE
    items: tuple[Item, ...] = ()
    # The images the user sent, by item id (the newest 16: ``ImageShelf``); items carry only
    # their type and size.
    images: Mapping[str, tuple[AttachedImage, ...]] = field(default_factory=dict)
    tool_runs: tuple[ToolRun, ...] = ()
    notices: tuple[Notice, ...] = ()
    turns: tuple[Turn, ...] = ()
    usage: Usage = field(default_factory=Usage)
    session: dict[str, Any] = field(default_factory=dict)
    rate_limits: tuple[RateLimit, ...] = ()  # of the last rate_limits.updated
    response_active: bool = False
    reconnects: int = 0
    dropped_audio_chunks: int = 0
    buffered_ms: float = 0.0
    mic_dbfs: float = -96.0
    error: str | None = None  # why the bridge failed, when state is FAILED
