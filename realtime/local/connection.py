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

Frames come in through an ``Intake`` (``realtime.local.intake``): read strictly; a large one is
parsed and its audio decoded on a worker thread, and reaches the VAD in slices with the loop
free between them, so one client's big appends never stall another's turn. Events are
encoded as they are queued (strict JSON; one that cannot be becomes ``server_error``) and sent
by a ``Sender`` (``realtime.local.sender``): past its high water the client's next frame waits
while its socket drains, so a client that sends faster than it reads is slowed; one that is not
reading is closed with 1008 and its queue freed. ``MAX_REFUSED_APPENDS`` appends in a row
refused for a full input buffer (one ``error`` each) close the client with 1008 once those
errors have gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from realtime.local import workers
from realtime.local.engine import Engine
from realtime.local.frames import encode_event
from realtime.local.intake import Intake
from realtime.local.limits import (
    MAX_REFUSED_APPENDS,
    MCP_CALL_SECONDS,
    MCP_LIST_SECONDS,
    NOT_READING_CLOSE,
    REFUSED_APPENDS_CLOSE,
)
from realtime.local.mcp.client import CallResult, McpFailed, call_tool, list_tools
from realtime.local.sender import Sender
from realtime.local.session.beta import beta_event
from realtime.local.session.expiry import CLOSE_REASON, expired_event, with_expires_at
from realtime.local.session.jobs import (
    CallMcp,
    Cancel,
    Job,
    ListMcpTools,
    Respond,
    SessionOutcome,
    Speak,
    Transcribe,
)
from realtime.local.session.server_session import ServerSession
from realtime.local.session.wire import InvalidRequest, error_event
from realtime.local.stages.responders.responder import Reply
from realtime.protocol.errors import RealtimeError

__all__ = ["SessionRunner"]

logger = logging.getLogger(__name__)


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
        self._out = Sender(websocket)
        self._in = Intake(session, apply=self._apply, in_worker=self._in_worker)
        self._closing = False
        self._closer: asyncio.Future[None] | None = None
        self._tasks: dict[asyncio.Task[None], str | None] = {}  # task -> its response id
        self._cancels: dict[str, threading.Event] = {}
        self._starters: dict[type, Callable[[Any], Any]] = {
            Transcribe: self._transcribe,
            Respond: self._respond,
            Speak: self._speak,
            ListMcpTools: self._list_mcp,
            CallMcp: self._call_mcp,
        }

    async def run(self) -> None:
        """Serve until the client goes away; never raises for the client's doing."""
        writer = asyncio.create_task(self._out.run())
        started = self._session.start()
        if self._max_session is not None:  # announced as the hosted API does, then enforced
            started = with_expires_at(started, int(time.time() + self._max_session))
            self._tasks[asyncio.create_task(self._expire(self._max_session))] = None
        self._apply(started)
        try:
            while True:  # the frame is passed on, not kept here: Intake lets it go once read
                await self._in.receive(await self._ws.recv())
                if self._in.refused >= MAX_REFUSED_APPENDS and not self._closing:
                    self._refusing()
                if not (self._closing or await self._out.wait_for_room()):
                    self._not_reading()
                if self._closing:
                    break
        except ConnectionClosed:
            pass
        finally:
            if self._closer is not None:
                await self._closer  # the close frame goes out before the socket is dropped
            for flag in self._cancels.values():
                flag.set()
            for task in [*self._tasks, writer]:
                task.cancel()
            await asyncio.gather(*self._tasks, writer, return_exceptions=True)

    # ---- session outcomes -------------------------------------------------------------
    def _apply(self, outcome: SessionOutcome) -> None:
        if self._closing:
            return
        for event in outcome.events:
            out = beta_event(event) if self._beta else event
            if out is None:
                continue
            try:
                text = encode_event(out)
            except (ValueError, TypeError):  # not valid JSON: a bug, never the client's input
                logger.exception("session %s: could not encode %.60r", self._session.id, out)
                text = encode_event(error_event(InvalidRequest.server_error(), None))
            self._out.put(text)
        if self._out.not_reading():
            self._not_reading()
            return
        for job in outcome.jobs:
            self._start(job)

    def _not_reading(self) -> None:
        """Close a client that lets events pile up; its queue and jobs go at once."""
        self._closing = True
        logger.warning(
            "session %s: closing a client that is not reading (%d bytes waiting)",
            self._session.id,
            self._out.pending,
        )
        self._out.drop()
        for flag in self._cancels.values():
            flag.set()
        for task in self._tasks:
            task.cancel()
        self._closer = asyncio.ensure_future(self._close(*NOT_READING_CLOSE))

    def _refusing(self) -> None:
        """Close a client that keeps appending to a full buffer, once its errors have gone."""
        self._closing = True
        logger.warning(
            "session %s: closing a client that keeps appending to a full input buffer",
            self._session.id,
        )
        self._closer = asyncio.ensure_future(self._close_after_outbox(*REFUSED_APPENDS_CLOSE))

    async def _close_after_outbox(self, code: int, reason: str) -> None:
        await self._out.sent(timeout=1.0)  # a client not reading them gets the close anyway
        await self._close(code, reason)

    async def _close(self, code: int, reason: str) -> None:
        try:
            await asyncio.wait_for(self._ws.close(code, reason), timeout=1.0)
        except (TimeoutError, ConnectionClosed):
            pass
        finally:
            self._ws.transport.abort()  # what a client never read is dropped, not kept

    def _start(self, job: Job) -> None:
        if isinstance(job, Cancel):
            self._cancel(job.response_id)
            return
        rid = None if isinstance(job, Transcribe | ListMcpTools) else job.response_id
        task = asyncio.create_task(self._guarded(self._starters[type(job)], job))
        self._tasks[task] = rid
        task.add_done_callback(self._tasks.pop)

    def _cancel(self, response_id: str) -> None:
        flag = self._cancels.pop(response_id, None)
        if flag is not None:
            flag.set()
        for task, rid in list(self._tasks.items()):
            if rid == response_id:
                task.cancel()

    async def _guarded(self, starter: Callable[[Any], Awaitable[None]], job: Job) -> None:
        # The job's coroutine is made here, so a task cancelled before it ran leaves none behind.
        try:
            await starter(job)
        except Exception:  # a bug or a stopped pool: log it once, keep serving the session
            logger.exception("a job of session %s failed", self._session.id)

    async def _expire(self, seconds: float) -> None:
        """End the session at its time limit: ``error`` ``session_expired``, then close."""
        await asyncio.sleep(seconds)
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(encode_event(expired_event(seconds)))
            await self._ws.close(1000, CLOSE_REASON)

    async def _in_worker(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))

    # ---- jobs ---------------------------------------------------------------------------
    async def _transcribe(self, job: Transcribe) -> None:
        if job.guess is not None:
            await self._guess(job)
            return
        try:
            transcript = await self._in_worker(
                self._engine.transcriber.transcribe,
                job.pcm,
                language=job.language,
                prompt=job.prompt,
                logprobs=job.logprobs,
            )
        except RealtimeError as exc:
            self._apply(self._session.transcription_failed(job.item_id, str(exc)))
        except Exception as exc:  # a model runtime's own error: report it, keep serving
            logger.exception("transcription failed")
            self._apply(self._session.transcription_failed(job.item_id, repr(exc)))
        else:
            self._apply(
                self._session.transcribed(job.item_id, transcript.text, transcript.logprobs)
            )

    async def _guess(self, job: Transcribe) -> None:
        """An early transcription of the speech in progress (see ``workers.guess``)."""
        text, cpu_s = await self._in_worker(workers.guess, self._engine.transcriber, job)
        self._apply(self._session.guessed(job, text, cpu_s))

    async def _respond(self, job: Respond) -> None:
        """Run the responder; a streamed answer is spoken sentence by sentence as it comes."""
        box = workers.Mailbox(asyncio.get_running_loop())
        cancel = self._cancels[job.response_id] = threading.Event()
        synthesizer = self._engine.synthesizer(job.voice, job.speed) if job.voice else None
        responder = self._engine.responder
        self._executor.submit(workers.respond, responder, job, synthesizer, cancel, box)
        try:
            while (item := await box.queue.get()) is not workers.DONE:
                if isinstance(item, Exception):
                    self._failed(job.response_id, item)
                    return
                if isinstance(item, Reply):  # the Speak job it may start has a flag of its own
                    self._forget(job.response_id, cancel)
                    self._apply(self._session.replied(job.response_id, item))
                else:
                    self._apply(self._session.spoken(job.response_id, *item))
        finally:
            cancel.set()  # a cancelled consumer stops the producer at the next chunk
            self._forget(job.response_id, cancel)

    def _failed(self, response_id: str, error: Exception) -> None:
        if not isinstance(error, RealtimeError):
            logger.error("a response of session %s failed", self._session.id, exc_info=error)
        message = str(error) if isinstance(error, RealtimeError) else repr(error)
        self._apply(self._session.response_failed(response_id, message))

    def _forget(self, response_id: str, flag: threading.Event) -> None:
        if self._cancels.get(response_id) is flag:
            del self._cancels[response_id]

    async def _speak(self, job: Speak) -> None:
        box = workers.Mailbox(asyncio.get_running_loop())
        cancel = self._cancels.setdefault(job.response_id, threading.Event())
        synthesizer = self._engine.synthesizer(job.voice, job.speed)
        self._executor.submit(
            functools.partial(workers.speak, lead=job.lead), synthesizer, job.text, cancel, box
        )
        try:
            while (item := await box.queue.get()) is not workers.DONE:
                if isinstance(item, Exception):
                    self._failed(job.response_id, item)
                    return
                self._apply(self._session.spoken(job.response_id, *item))
            self._apply(self._session.speech_done(job.response_id))
        finally:
            cancel.set()  # a cancelled consumer stops the producer at the next sentence
            self._forget(job.response_id, cancel)

    # ---- MCP servers (on the loop: the client is asyncio's; realtime.local.mcp) ------------
    async def _list_mcp(self, job: ListMcpTools) -> None:
        policy, seconds = self._engine.mcp_policy, MCP_LIST_SECONDS
        try:
            tools = await list_tools(job.server, policy, seconds)
        except McpFailed as exc:
            self._apply(self._session.mcp_listed(job.item_id, None, str(exc)))
        else:
            self._apply(self._session.mcp_listed(job.item_id, tools, None))

    async def _call_mcp(self, job: CallMcp) -> None:
        policy, seconds = self._engine.mcp_policy, MCP_CALL_SECONDS
        result = await call_tool(job.server, policy, seconds, job.name, job.arguments)
        outcome = self._session.mcp_called(job.response_id, job.item_id, *_fields(result))
        self._apply(outcome)


def _fields(result: CallResult) -> tuple[str | None, Mapping[str, Any] | None]:
    return result.output, result.error
