"""Client frames on their way into one local-engine session.

Runs on the server's event loop, for the ``SessionRunner`` of one connection, which owns it.
Each frame is read strictly (``realtime.local.frames``); a large one is parsed and its audio
decoded on a worker thread, then fed to the session in ``SLICE_MS`` slices (views of it, so the
audio is held once) with the loop free between them, so one client's big appends never stall
another's turn. Each outcome goes to the
runner's ``apply`` as it comes. A full input buffer refuses an append whole, with one ``error``
(a large append is checked whole at its first slice, not refused slice by slice); ``refused``
counts such refusals in a row, and an accepted append starts it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from realtime.local.frames import read_append, read_event
from realtime.local.limits import LARGE_FRAME_BYTES, SLICE_MS
from realtime.local.session.jobs import SessionOutcome
from realtime.local.session.listening import BUFFER_FULL
from realtime.local.session.server_session import ServerSession
from realtime.local.session.wire import InvalidRequest, error_event
from realtime.protocol.pcm import bytes_for_ms

__all__ = ["Intake"]


class Intake:
    """Feeds one session from its client's frames; see the module docstring."""

    def __init__(
        self,
        session: ServerSession,
        *,
        apply: Callable[[SessionOutcome], None],
        in_worker: Callable[..., Awaitable[Any]],
    ) -> None:
        self._session = session
        self._apply = apply
        self._in_worker = in_worker
        self.refused = 0  # appends refused in a row for a full input buffer

    async def receive(self, frame: str | bytes) -> None:
        pcm: bytes | None = None
        try:
            if len(frame) > LARGE_FRAME_BYTES:
                event, pcm = await self._in_worker(read_append, frame)
            else:
                event = read_event(frame)
        except InvalidRequest as exc:
            self._apply(SessionOutcome((error_event(exc, None),)))
            return
        del frame  # read: a frame of megabytes is not held while its event is handled
        if pcm is None:
            outcome = self._session.receive(event)
            self._apply(outcome)
            if event.get("type") == "input_audio_buffer.append":
                self._count(outcome)
            return
        event_id = event.get("event_id") if isinstance(event.get("event_id"), str) else None
        step = bytes_for_ms(SLICE_MS)
        view = memoryview(pcm)  # slices are views: the buffer holds the append's audio once
        for start in range(0, len(pcm), step):
            whole = pcm if start == 0 else b""  # checked whole: one error, not one per slice
            outcome = self._session.append_pcm(view[start : start + step], event_id, whole)
            self._apply(outcome)
            if start == 0 and self._count(outcome):
                return
            await asyncio.sleep(0)  # the loop serves other clients between slices

    def _count(self, outcome: SessionOutcome) -> bool:
        """Whether an append's outcome is its refusal for a full buffer (counted in a row)."""
        errors = (e.get("error") or {} for e in outcome.events if e["type"] == "error")
        refused = any(error.get("code") == BUFFER_FULL for error in errors)
        self.refused = self.refused + 1 if refused else 0
        return refused
