"""The worker-thread side of the engine's jobs: early ASR, the responder and TTS.

Runs on the server's worker threads (``SessionRunner`` submits these); nothing here touches a
session. Each producer posts what it makes to a :class:`Mailbox`, which hands it to the
connection's event loop thread-safely, and checks a cancel flag between sentences and chunks,
so a cancelled response stops within one sentence. A streaming responder (a language model) is
read chunk by chunk: each sentence is synthesised as soon as it is complete, so the first audio
leaves while the model is still generating; closing the generator stops generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

from realtime.local.session.jobs import Respond, Transcribe
from realtime.local.stages.asr.transcriber import Transcriber
from realtime.local.stages.responders.responder import CallRequest, Reply, Responder, start_reply
from realtime.local.stages.text.sentences import lead_clause, sentences
from realtime.local.stages.text.streaming import SentenceBuffer
from realtime.local.stages.tts.synthesizer import Synthesizer

__all__ = ["DONE", "Mailbox", "guess", "respond", "speak"]

logger = logging.getLogger(__name__)

DONE = object()  # the last item a producer posts, whatever happened


class Mailbox:
    """A queue on the connection's loop that worker threads post into."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self._loop = loop

    def post(self, item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
            self._loop.call_soon_threadsafe(self.queue.put_nowait, item)


def _close(stream: object) -> None:
    close = getattr(stream, "close", None)  # a generator: stop it now
    if callable(close):
        close()


def _say(synthesizer: Synthesizer | None, text: str, cancel: threading.Event, box: Mailbox) -> None:
    """``(sentence, pcm)`` for each synthesised sentence of ``text`` (pcm None: text only)."""
    if synthesizer is None:
        box.post((text, None))
        return
    stream = synthesizer.stream(text)
    try:
        for sentence in stream:
            if cancel.is_set():
                return
            box.post(sentence)
    finally:
        _close(stream)


def speak(
    synthesizer: Synthesizer,
    text: str,
    cancel: threading.Event,
    box: Mailbox,
    *,
    lead: bool = True,
) -> None:
    """A ``Speak`` job: sentences, then ``DONE`` (an exception is posted as it is). With
    ``lead`` (the text opens an answer) a long first sentence goes in two pieces."""
    try:
        parts = sentences(text)
        if lead and parts:
            parts = [*lead_clause(parts[0]), *parts[1:]]
        for piece in parts:
            if cancel.is_set():
                return
            _say(synthesizer, piece, cancel, box)
    except Exception as exc:  # reported on the loop as a failed response
        box.post(exc)
    finally:
        box.post(DONE)


def guess(transcriber: Transcriber, job: Transcribe) -> tuple[str | None, float]:
    """An early transcription of the speech in progress: its text (None if it failed) and the
    process CPU seconds while it ran (Whisper computes on CTranslate2's own threads, so the
    worker thread's clock would miss it; overlapping jobs make it an upper bound)."""
    cpu = time.process_time()
    try:
        text: str | None = transcriber.transcribe(
            job.pcm, language=job.language, prompt=job.prompt
        ).text
    except Exception:  # the turn's end transcribes it again, and reports a failure
        logger.warning("an early transcription failed", exc_info=True)
        text = None
    return text, time.process_time() - cpu


def respond(
    responder: Responder,
    job: Respond,
    synthesizer: Synthesizer | None,
    cancel: threading.Event,
    box: Mailbox,
) -> None:
    """A ``Respond`` job: a whole ``Reply``, or streamed sentences then a ``Reply`` with the
    calls only; then ``DONE`` (an exception is posted as it is)."""
    result: object = None
    try:
        result = start_reply(responder, job.request)
        if isinstance(result, Reply):  # known at once: the loop sends it as one reply
            box.post(result)
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
                    _say(synthesizer, sentence, cancel, box)
        for sentence in pending.flush():
            _say(synthesizer, sentence, cancel, box)
        if not cancel.is_set():
            box.post(Reply(calls=tuple(calls)))
    except Exception as exc:  # the responder refused, or failed mid-answer
        box.post(exc)
    finally:
        _close(result)
        box.post(DONE)
