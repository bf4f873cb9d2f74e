"""The events on their way to one client of the local server, and whether that client reads.

Runs on the server's event loop, beside the ``SessionRunner`` that owns it: the runner ``put``s
each event's encoded text in the order the session produced them, and ``run`` (the connection's
one writer task) sends them. The bytes waiting are counted; past ``OUTBOX_HIGH_WATER`` the runner
reads the client's next frame only once ``wait_for_room`` says so, which waits while the client's
socket drains: a client that sends large items faster than it reads their echoes is slowed,
never closed for a burst. Progress is an event sent in full, or the socket's write buffer going
down; a client whose socket has made none for ``NOT_READING_SECONDS`` while events wait, or with
``OUTBOX_HARD_CAP`` bytes waiting, is not reading (``not_reading``), and the runner closes it.
"""

from __future__ import annotations

import asyncio
import contextlib

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from realtime.local import limits

__all__ = ["Sender"]

_PAUSE_SECONDS = 0.5  # how long a client's next frame waits at a time for its socket to drain


class Sender:
    """One client's queue of encoded events and its writer; see the module docstring."""

    def __init__(self, websocket: ServerConnection) -> None:
        self._ws = websocket
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.pending = 0  # bytes of encoded events waiting (the one being sent not counted)
        self._drained = asyncio.Event()  # set when the bytes waiting fall to the high water
        self._progress_at = 0.0  # loop time of the last progress (see ``_stalled``)
        self._buffered = 0  # the socket's write buffer when last looked at

    def put(self, text: str) -> None:
        if self.pending == 0:  # nothing was waiting: no stall so far
            self._progress_at = asyncio.get_running_loop().time()
        data = text.encode()  # held as UTF-8 and sent as such: no second copy when it is sent
        self._queue.put_nowait(data)
        self.pending += len(data)

    def not_reading(self) -> bool:
        """Too much waiting: past the hard cap, or past the high water with no progress."""
        if self.pending > limits.OUTBOX_HARD_CAP:
            return True
        return self.pending > limits.OUTBOX_HIGH_WATER and self._stalled()

    async def wait_for_room(self) -> bool:
        """Past the high water, until the bytes waiting drain below it while the socket makes
        progress; False when the client is not reading. Up to twice the high water, a pause
        with no progress at all ends at once: a client may read only once its own send is done
        (websockets' sync client does), and that send waits for this frame to be read."""
        while self.pending > limits.OUTBOX_HIGH_WATER:
            before = self._progress_at
            self._drained.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), timeout=_PAUSE_SECONDS)
            if self.pending > limits.OUTBOX_HIGH_WATER and self._stalled():
                return False
            if self._progress_at == before and self.pending <= 2 * limits.OUTBOX_HIGH_WATER:
                return True  # nothing moved: read on, its send may be what it waits for
        return True

    def _stalled(self) -> bool:
        """No event finished sending and the socket's write buffer did not go down for
        ``NOT_READING_SECONDS``."""
        now = asyncio.get_running_loop().time()
        buffered = self._ws.transport.get_write_buffer_size()
        if buffered < self._buffered:
            self._progress_at = now
        self._buffered = buffered
        return now - self._progress_at > limits.NOT_READING_SECONDS

    def drop(self) -> None:
        """Free what waits (a client that is not reading never gets it)."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self.pending = 0

    async def sent(self, timeout: float) -> None:
        """Until every event put so far is sent, or ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)

    async def run(self) -> None:
        """The writer: send in order until the connection closes."""
        self._progress_at = asyncio.get_running_loop().time()
        while True:
            data = await self._queue.get()
            self.pending -= len(data)
            try:
                await self._ws.send(data, text=True)
            except ConnectionClosed:
                return
            self._queue.task_done()
            self._progress_at = asyncio.get_running_loop().time()
            if self.pending <= limits.OUTBOX_HIGH_WATER:
                self._drained.set()
