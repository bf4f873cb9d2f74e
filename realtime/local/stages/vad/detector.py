"""The voice-activity stage: a session's PCM16 24 kHz in, speech started / stopped events out.

Owned by one session (through ``realtime.local.session.input_audio``) on the server's event
loop, which feeds it every ``input_audio_buffer.append`` in order; one detector belongs to one
session, and holds no lock. All times are milliseconds of audio fed since the detector was
made (bytes, never the wall clock), the clock the protocol's ``audio_start_ms`` /
``audio_end_ms`` use. The events become ``input_audio_buffer.speech_started`` /
``speech_stopped``. Detectors: :class:`realtime.local.stages.vad.webrtc.WebRtcVad`
(``server_vad``) and :class:`realtime.local.stages.vad.semantic.SemanticVad` (``semantic_vad``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["SpeechStarted", "SpeechStopped", "Vad", "VadEvent"]


@dataclass(frozen=True)
class SpeechStarted:
    """``input_audio_buffer.speech_started``; ``onset_ms`` is speech itself, before padding."""

    audio_start_ms: int
    onset_ms: int


@dataclass(frozen=True)
class SpeechStopped:
    """``input_audio_buffer.speech_stopped``; the turn's audio is ``audio_start_ms`` to here."""

    audio_end_ms: int
    speech_end_ms: int


VadEvent = SpeechStarted | SpeechStopped


class Vad(Protocol):
    """A voice activity detector fed the session's input audio in order."""

    @property
    def position_ms(self) -> int:
        """Milliseconds of audio fed so far."""
        ...

    @property
    def speech_start_ms(self) -> int | None:
        """``audio_start_ms`` of the speech in progress, or ``None`` between turns."""
        ...

    def process(self, pcm: bytes) -> list[VadEvent]:
        """Feed PCM16 24 kHz mono; return the events it completed, oldest first."""
        ...

    def reset(self) -> None:
        """Forget any speech in progress (``input_audio_buffer.clear``); the clock runs on."""
        ...
