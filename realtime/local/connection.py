"""One WebSocket connection of the local server: a ``ServerSession`` driven over a socket.

Runs as one task on the server's event loop, which alone touches the session; the heavy jobs
the session asks for (ASR, the responder, TTS) run on the server's worker threads and their
results come back to the loop, so the loop stays free to read the next client event (a
``response.cancel`` or the audio of a barge-in) while a model works. Events leave through one
queue and one writer task, in the order the session produced them. TTS runs sentence by
sentence in a worker that checks a cancel flag between sentences; on a cancel the session has
already sent ``response.done`` and drops whatever the worker still makes, so the client sees
the answer stop at once. A client that goes away mid-answer only cancels its own jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from realtime.local.engine import Engine
from realtime.local.session.beta import beta_event
from realtime.local.session.expiry import CLOSE_REASON, expired_event, with_expires_at
from realtime.local.session.jobs import Cancel, Job, Outcome, Respond, Speak, Transcribe
from realtime.local.session.server_session import ServerSession
from realtime.protocol.errors import RealtimeError
from realtime.protocol.events import Event, serialize

__all__ = ["SessionRunner"]

logger = logging.getLogger(__name__)
_DONE = object()


class SessionRunner:
    """Feeds one session from its socket and runs the jobs it asks for."""

    def __init__(
        self,
        websocket: ServerConnection,
        session: ServerSession,
        engine: Engine,
        executor: Executor,
        *,
        beta: bool = False,
        max_session_seconds: float | None = None,
    ) -> None:
        self._ws = websocket
        self._max_session = max_session_seconds
        self._session = session
        self._engine = engine
        self._executor = executor
        self._beta = beta
        self._outbox: asyncio.Queue[Event] = asyncio.Queue()
        self._tasks: dict[asyncio.Task[None], str | None] = {}  # task -> its response id
        self._cancels: dict[str, threading.Event] = {}
        self._starters: dict[type, Callable[[Any], Any]] = {
            Transcribe: self._transcribe,
            Respond: self._respond,
            Speak: self._speak,
        }

    async def run(self) -> None:
        """Serve until the client goes away; never raises for the client's doing."""
        writer = asyncio.create_task(self._write())
        started = self._session.start()
        if self._max_session is not None:  # announced as the hosted API does, then enforced
            started = with_expires_at(started, int(time.time() + self._max_session))
            self._tasks[asyncio.create_task(self._expire(self._max_session))] = None
        self._apply(started)
        try:
            async for frame in self._ws:
                self._apply(self._session.receive_frame(frame))
        except ConnectionClosed:
            pass
        finally:
            for flag in self._cancels.values():
                flag.set()
            for task in [*self._tasks, writer]:
                task.cancel()
            await asyncio.gather(*self._tasks, writer, return_exceptions=True)

    # ---- session outcomes -------------------------------------------------------------
    def _apply(self, outcome: Outcome) -> None:
        for event in outcome.events:
            self._outbox.put_nowait(event)
        for job in outcome.jobs:
            self._start(job)

    def _start(self, job: Job) -> None:
        if isinstance(job, Cancel):
            self._cancel(job.response_id)
            return
        rid = None if isinstance(job, Transcribe) else job.response_id
        task = asyncio.create_task(self._guarded(self._starters[type(job)](job)))
        self._tasks[task] = rid
        task.add_done_callback(self._tasks.pop)

    def _cancel(self, response_id: str) -> None:
        flag = self._cancels.pop(response_id, None)
        if flag is not None:
            flag.set()
        for task, rid in list(self._tasks.items()):
            if rid == response_id:
                task.cancel()

    async def _guarded(self, job: Awaitable[None]) -> None:
        try:
            await job
        except Exception:  # a bug or a stopped pool: log it once, keep serving the session
            logger.exception("a job of session %s failed", self._session.id)

    async def _expire(self, seconds: float) -> None:
        """End the session at its time limit: ``error`` ``session_expired``, then close."""
        await asyncio.sleep(seconds)
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(serialize(expired_event(seconds)))
            await self._ws.close(1000, CLOSE_REASON)

    async def _write(self) -> None:
        while True:
            event = await self._outbox.get()
            out = beta_event(event) if self._beta else event
            if out is None:
                continue
            try:
                await self._ws.send(serialize(out))
            except ConnectionClosed:
                return

    async def _in_worker(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))

    # ---- jobs ---------------------------------------------------------------------------
    async def _transcribe(self, job: Transcribe) -> None:
        try:
            transcript = await self._in_worker(
                self._engine.transcriber.transcribe,
                job.pcm,
                language=job.language,
                prompt=job.prompt,
            )
        except RealtimeError as exc:
            self._apply(self._session.transcription_failed(job.item_id, str(exc)))
        except Exception as exc:  # a model runtime's own error: report it, keep serving
            logger.exception("transcription failed")
            self._apply(self._session.transcription_failed(job.item_id, repr(exc)))
        else:
            self._apply(self._session.transcribed(job.item_id, transcript.text))

    async def _respond(self, job: Respond) -> None:
        try:
            reply = await self._in_worker(self._engine.responder.respond, job.request)
        except RealtimeError as exc:
            self._apply(self._session.response_failed(job.response_id, str(exc)))
        except Exception as exc:  # a backend's own error: report it, keep serving
            logger.exception("responder failed")
            self._apply(self._session.response_failed(job.response_id, repr(exc)))
        else:
            self._apply(self._session.replied(job.response_id, reply))

    async def _speak(self, job: Speak) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = self._cancels.setdefault(job.response_id, threading.Event())
        synthesizer = self._engine.synthesizer(job.voice, job.speed)

        def post(item: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            stream = synthesizer.stream(job.text)
            try:
                for sentence in stream:
                    if cancel.is_set():
                        return
                    post(sentence)
            except Exception as exc:  # reported on the loop as a failed response
                post(exc)
            finally:
                close = getattr(stream, "close", None)  # a generator: stop synthesis now
                if callable(close):
                    close()
                post(_DONE)

        self._executor.submit(work)
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, Exception):
                    message = str(item) if isinstance(item, RealtimeError) else repr(item)
                    self._apply(self._session.response_failed(job.response_id, message))
                    return
                self._apply(self._session.spoken(job.response_id, *item))
            self._apply(self._session.speech_done(job.response_id))
        finally:
            cancel.set()  # a cancelled consumer stops the producer at the next sentence
            self._cancels.pop(job.response_id, None)
