"""One WebSocket connection of the local server: a ``ServerSession`` driven over a socket.

Runs as one task on the server's event loop, which alone touches the session; the heavy jobs
the session asks for (ASR, the responder, TTS) run on the server's worker threads and their
results come back to the loop, so the loop stays free to read the next client event (a
``response.cancel`` or the audio of a barge-in) while a model works. Events leave through one
queue and one writer task, in the order the session produced them. TTS runs sentence by
sentence in a worker that checks a cancel flag between sentences; on a cancel the session has
already sent ``response.done`` and drops whatever the worker still makes, so the client sees
the answer stop at once. A responder that streams (a language model) is read chunk by chunk on
its worker: each sentence is synthesised as soon as it is complete, so the first audio leaves
while the model is still generating, and a cancel closes the generator at the next chunk. A
client that goes away mid-answer only cancels its own jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from realtime.local.engine import Engine
from realtime.local.session.beta import beta_event
from realtime.local.session.jobs import Cancel, Job, Outcome, Respond, Speak, Transcribe
from realtime.local.session.server_session import ServerSession
from realtime.local.stages.responder import CallRequest, Reply, start_reply
from realtime.local.stages.streaming import SentenceBuffer
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
    ) -> None:
        self._ws = websocket
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
        self._apply(self._session.start())
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
        """Run the responder; a streamed answer is spoken sentence by sentence as it comes."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = self._cancels[job.response_id] = threading.Event()
        synthesizer = self._engine.synthesizer(job.voice, job.speed) if job.voice else None

        def post(item: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def say(text: str) -> None:
            if synthesizer is None:
                post((text, None))
                return
            stream = synthesizer.stream(text)
            try:
                for sentence in stream:
                    if cancel.is_set():
                        return
                    post(sentence)
            finally:
                close = getattr(stream, "close", None)
                if callable(close):
                    close()

        def work() -> None:
            result = start_reply(self._engine.responder, job.request)
            try:
                if isinstance(result, Reply):  # known at once: the loop sends it as one reply
                    post(result)
                    return
                calls: list[CallRequest] = []
                pending = SentenceBuffer()
                for chunk in result:
                    if cancel.is_set():
                        return
                    if isinstance(chunk, CallRequest):
                        calls.append(chunk)
                    else:
                        for sentence in pending.feed(chunk):
                            say(sentence)
                for sentence in pending.flush():
                    say(sentence)
                if not cancel.is_set():
                    post(Reply(calls=tuple(calls)))
            except Exception as exc:  # reported on the loop as a failed response
                post(exc)
            finally:
                close = getattr(result, "close", None)  # a generator: stop generating now
                if callable(close):
                    close()
                post(_DONE)

        def started() -> None:
            try:
                work()
            except Exception as exc:  # the responder refused before its first chunk
                post(exc)
                post(_DONE)

        self._executor.submit(started)
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, Exception):
                    if not isinstance(item, RealtimeError):
                        logger.error("responder failed", exc_info=item)
                    message = str(item) if isinstance(item, RealtimeError) else repr(item)
                    self._apply(self._session.response_failed(job.response_id, message))
                    return
                if isinstance(item, Reply):  # the Speak job it may start has a flag of its own
                    self._forget(job.response_id, cancel)
                    self._apply(self._session.replied(job.response_id, item))
                else:
                    self._apply(self._session.spoken(job.response_id, *item))
        finally:
            cancel.set()  # a cancelled consumer stops the producer at the next chunk
            self._forget(job.response_id, cancel)

    def _forget(self, response_id: str, flag: threading.Event) -> None:
        if self._cancels.get(response_id) is flag:
            del self._cancels[response_id]

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
            self._forget(job.response_id, cancel)
