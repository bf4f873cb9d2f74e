"""A local-engine session driven by hand: no models, sockets or threads.

:class:`LoudnessVad` stands in for the WebRTC detector (any non-zero sample in a 20 ms frame is
speech; :class:`PausingLoudnessVad` also says where voicing ended, as the WebRTC one does);
:class:`SessionHarness` keeps everything a ``ServerSession`` sent, answers its jobs by hand and
replays its events through the client's own ``Conversation``, so a test checks that a client
can read them. ``tone`` and ``silence`` make audio the fake detector hears as speech or not.
"""

from __future__ import annotations

import base64
from typing import Any

from realtime.client.core.conversation import Conversation
from realtime.local.session.beta import beta_event
from realtime.local.session.input_audio import VadFactory
from realtime.local.session.jobs import Respond, SessionOutcome
from realtime.local.session.prepared import AnswerCounts
from realtime.local.session.server_session import ServerSession
from realtime.local.stages.responders.responder import Reply
from realtime.local.stages.vad.detector import SpeechStarted, SpeechStopped, VadEvent
from realtime.protocol.events import serialize
from realtime.protocol.facts import BYTES_PER_MS, ApiVersion
from realtime.protocol.pcm import bytes_for_ms

__all__ = [
    "TOOLS",
    "TRANSCRIBED",
    "LoudnessVad",
    "PausingLoudnessVad",
    "SessionHarness",
    "error_of",
    "silence",
    "tone",
]

FRAME_MS = 20
TOOLS = [
    {
        "type": "function",
        "name": "get_local_time",
        "description": "Local time of a place.",
        "parameters": {"type": "object", "properties": {"place": {"type": "string"}}},
    }
]
TRANSCRIBED = {"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}}
"""A GA session with input transcription on."""


class LoudnessVad:
    """A stand-in for WebRtcVad: a 20 ms frame with any non-zero sample is speech."""

    def __init__(self, settings: Any) -> None:
        self.prefix = int(settings.get("prefix_padding_ms", 300))
        self.silence = int(settings.get("silence_duration_ms", 500))
        self._fed = 0
        self._start: int | None = None
        self._last_voiced = 0
        self._pending = b""

    @property
    def position_ms(self) -> int:
        return self._fed // BYTES_PER_MS

    @property
    def speech_start_ms(self) -> int | None:
        return self._start

    def process(self, pcm: bytes) -> list[VadEvent]:
        self._pending += pcm
        events: list[VadEvent] = []
        size = bytes_for_ms(FRAME_MS)
        while len(self._pending) >= size:
            frame, self._pending = self._pending[:size], self._pending[size:]
            start = self._fed // BYTES_PER_MS
            self._fed += size
            voiced = any(frame)
            if voiced:
                self._last_voiced = start + FRAME_MS
                if self._start is None:
                    self._start = max(0, start - self.prefix)
                    events.append(SpeechStarted(self._start, start))
            elif self._start is not None and start + FRAME_MS - self._last_voiced >= self.silence:
                self._start = None
                events.append(SpeechStopped(start + FRAME_MS, self._last_voiced))
        return events

    def reset(self) -> None:
        self._pending = b""
        self._start = None


class PausingLoudnessVad(LoudnessVad):
    """The fake detector, also saying where voicing ended (as ``WebRtcVad`` does)."""

    @property
    def voiced_end_ms(self) -> int:
        return self._last_voiced


def tone(ms: int) -> bytes:
    return (b"\x00\x10" * (bytes_for_ms(ms) // 2))[: bytes_for_ms(ms)]


def silence(ms: int) -> bytes:
    return bytes(bytes_for_ms(ms))


class SessionHarness:
    """A session plus everything it sent, with helpers to talk to it."""

    def __init__(
        self,
        version: ApiVersion = ApiVersion.GA,
        *,
        answers: AnswerCounts | None = None,
        vad: VadFactory | None = None,
        **session: Any,
    ) -> None:
        """With ``answers``, the session prepares answers ahead (counted there); its detector
        is ``vad``, by default one that says where voicing ended when it does, so it listens
        ahead too."""
        self.session = ServerSession(
            version=version,
            vad_factory=vad or (LoudnessVad if answers is None else PausingLoudnessVad),
            prepare_answers=answers is not None,
            answer_counts=answers,
        )
        self.events: list[dict[str, Any]] = []
        self.jobs: list[Any] = []
        self.take(self.session.start())
        if session:
            self.send("session.update", session=session)

    def take(self, outcome: SessionOutcome) -> SessionOutcome:
        self.events += outcome.events
        self.jobs += outcome.jobs
        return outcome

    def send(self, event_type: str, **fields: Any) -> SessionOutcome:
        return self.take(self.session.receive({"type": event_type, **fields}))

    def append(self, pcm: bytes) -> SessionOutcome:
        return self.send("input_audio_buffer.append", audio=base64.b64encode(pcm).decode())

    def types(self, outcome: SessionOutcome | None = None) -> list[str]:
        events = outcome.events if outcome is not None else self.events
        return [e["type"] for e in events]

    def last(self, event_type: str) -> dict[str, Any]:
        return next(e for e in reversed(self.events) if e["type"] == event_type)

    def job(self, kind: type) -> Any:
        return next(j for j in reversed(self.jobs) if isinstance(j, kind))

    def text_turn(self, text: str) -> SessionOutcome:
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        self.send("conversation.item.create", item=item)
        return self.send("response.create")

    def speak(self, *sentences: str, ms: int = 500) -> str:
        """Answer the pending Respond job with text, then its Speak job with tone audio."""
        rid = self.job(Respond).response_id
        self.take(self.session.replied(rid, Reply(" ".join(sentences))))
        for sentence in sentences:
            self.take(self.session.spoken(rid, sentence, tone(ms)))
        self.take(self.session.speech_done(rid))
        return rid

    def conversation(self, version: ApiVersion = ApiVersion.GA) -> Conversation:
        conv = Conversation()
        for event in self.events:
            wire = beta_event(event) if version is ApiVersion.BETA else event
            if wire is not None:
                conv.receive_frame(serialize(wire))
        return conv


def error_of(outcome: SessionOutcome) -> dict[str, Any]:
    (event,) = outcome.events
    assert event["type"] == "error"
    return dict(event["error"])
