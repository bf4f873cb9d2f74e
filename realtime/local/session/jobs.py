"""What the sans-I/O session asks its I/O layer to do, and what each call hands back.

Pure data, shared between the server's event loop (which owns the session) and its worker
threads (which run the jobs). Every session call returns a :class:`SessionOutcome`: the events
to send, in order, and the jobs to start. A job's result goes back into the session through the
method named in its docstring, on the loop, so the session alone changes its state.
"""

from __future__ import annotations

from dataclasses import dataclass

from realtime.local.session.guesses import Guess
from realtime.local.session.mcp_servers import McpServer
from realtime.local.session.wire import server_event
from realtime.local.stages.responders.responder import ResponseRequest
from realtime.protocol.events import Event

__all__ = [
    "CallMcp",
    "Cancel",
    "Job",
    "ListMcpTools",
    "Outbox",
    "Respond",
    "SessionOutcome",
    "Speak",
    "Transcribe",
]


@dataclass(frozen=True)
class Transcribe:
    """Run ASR on a committed user turn; report with ``transcribed`` / ``transcription_failed``.

    With a ``guess``, the audio is the speech in progress of ``item_id`` (not yet an item):
    report with ``guessed``, with the process CPU seconds it took and None if it failed."""

    item_id: str
    pcm: bytes
    language: str | None = None
    prompt: str | None = None
    guess: Guess | None = None
    logprobs: bool = False  # the session's include asks for the tokens' logprobs


@dataclass(frozen=True)
class Respond:
    """Run the responder; report with ``replied`` / ``response_failed``. A streaming responder's
    text may come first, sentence by sentence, through ``spoken`` (synthesised in ``voice`` at
    ``speed``; no audio when ``voice`` is None), and then ``replied`` with the calls only.

    ``response_id`` is the key the results come back with (and a ``Cancel`` names): the
    response's id, or an answer prepared ahead's own (``realtime.local.session.prepared``),
    which the response that adopts it keeps for its jobs."""

    response_id: str
    request: ResponseRequest
    voice: str | None = None
    speed: float = 1.0


@dataclass(frozen=True)
class Speak:
    """Synthesise ``text`` sentence by sentence; report each with ``spoken``, then
    ``speech_done`` (or ``response_failed``). With ``lead``, a long first sentence is spoken
    in two pieces (``stages.text.sentences.lead_clause``): the text opens an answer."""

    response_id: str
    text: str
    voice: str
    speed: float
    lead: bool = True


@dataclass(frozen=True)
class ListMcpTools:
    """List an MCP server's tools (``realtime.local.mcp``); report with ``mcp_listed``."""

    item_id: str
    server: McpServer


@dataclass(frozen=True)
class CallMcp:
    """Call one tool of an MCP server; report with ``mcp_called``. Runs under the response's
    key, so a ``Cancel`` of the response stops it."""

    response_id: str
    item_id: str
    server: McpServer
    name: str
    arguments: str


@dataclass(frozen=True)
class Cancel:
    """Stop the response's running job now; nothing it produces later is sent."""

    response_id: str


Job = Transcribe | Respond | Speak | ListMcpTools | CallMcp | Cancel


@dataclass(frozen=True)
class SessionOutcome:
    """What one call of the engine's session hands its connection: the server events to send,
    in order (GA names, plain dicts), and the jobs to start on the worker threads."""

    events: tuple[Event, ...] = ()
    jobs: tuple[Job, ...] = ()

    def __add__(self, other: SessionOutcome) -> SessionOutcome:
        return SessionOutcome(self.events + other.events, self.jobs + other.jobs)


class Outbox:
    """Collects the events and jobs of one session call, in order; ``take`` empties it."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._jobs: list[Job] = []

    def emit(self, event_type: str, **fields: object) -> Event:
        event = server_event(event_type, **fields)
        self._events.append(event)
        return event

    def add(self, event: Event) -> None:
        self._events.append(event)

    def job(self, job: Job) -> None:
        self._jobs.append(job)

    def take(self) -> SessionOutcome:
        outcome = SessionOutcome(tuple(self._events), tuple(self._jobs))
        self._events.clear()
        self._jobs.clear()
        return outcome
