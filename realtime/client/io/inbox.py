"""Work handed to the bridge loop by other threads, and the one way to wake that loop.

The Streamlit script thread ``post``s commands (closures that run on the bridge loop and return
the conversation's ``ClientOutcome``) and settings changes (:class:`ChangeSettings`); the media
thread only ``wake``s the loop when microphone chunks are ready. The bridge loop alone takes
items out, in the order they were posted, and alone applies them, so the conversation, the
config and the key have one owner. ``collections.deque`` appends and pops are atomic; waking
goes through ``loop.call_soon_threadsafe``, once per wait: a wake already on its way is not sent
again (each one is a system call that wakes the loop's thread, and costs the waker the GIL), so
under load one wake carries several microphone chunks, and on an idle machine every chunk still
goes at once.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from dataclasses import dataclass

from realtime.client.core.config import SessionConfig
from realtime.client.core.values import ClientOutcome

__all__ = ["ChangeSettings", "Command", "Inbox"]

Command = Callable[[], ClientOutcome]
"""Runs on the bridge loop; its events are sent, a ``RealtimeError`` becomes a notice."""


@dataclass(frozen=True)
class ChangeSettings:
    """New settings for the session: ``session.update`` live, or a reconnect when the endpoint
    or the key changed. ``api_key`` None keeps the key in use."""

    config: SessionConfig
    api_key: str | None = None

    def __repr__(self) -> str:  # never show the key
        return f"ChangeSettings(config={self.config!r}, api_key={'…' if self.api_key else None})"


class Inbox:
    """Script thread -> bridge loop, in order; see the module docstring."""

    def __init__(self) -> None:
        self._items: collections.deque[Command | ChangeSettings] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        # Set by the first wake after a wait; the loop clears it when it wakes, before it looks
        # at the queues, so a chunk queued after that look always sends a wake of its own.
        self._wake_sent = False
        self.wakes_sent = 0  # system calls made to wake the loop (what the coalescing saves)

    # ---- any thread -------------------------------------------------------------------------
    @property
    def bound(self) -> bool:
        """True while a bridge loop runs to take the items."""
        return self._loop is not None

    def post(self, item: Command | ChangeSettings) -> None:
        self._items.append(item)
        self.wake()

    def wake(self) -> None:
        """Wake the bridge loop's writer (new commands, or microphone chunks ready)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not self._wake_sent:
            self._wake_sent = True
            self.wakes_sent += 1
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:
                pass  # closed between the check and the call: the bridge is stopping

    # ---- the bridge loop ----------------------------------------------------------------------
    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called on the loop's thread as it starts; items posted before stay queued."""
        self._wake = asyncio.Event()
        self._wake_sent = False
        self._loop = loop

    def unbind(self) -> None:
        self._loop = None
        self._wake = None

    def pop(self) -> Command | ChangeSettings | None:
        return self._items.popleft() if self._items else None

    def take_settings(self) -> list[ChangeSettings]:
        """The settings changes waiting (in order), leaving the commands queued in order.

        Applied before connecting, so a connection always opens with the latest endpoint.
        """
        taken: list[Command | ChangeSettings] = []
        while self._items:
            taken.append(self._items.popleft())
        commands = [item for item in taken if not isinstance(item, ChangeSettings)]
        # Items posted meanwhile went to the right; the kept commands go back before them.
        self._items.extendleft(reversed(commands))
        return [item for item in taken if isinstance(item, ChangeSettings)]

    async def wait(self) -> None:
        """Until ``wake`` is called (at once if it was called since the last wait)."""
        assert self._wake is not None, "bind() first"
        await self._wake.wait()
        self._wake.clear()
        self._wake_sent = False  # before the caller looks at the queues (see __init__)
