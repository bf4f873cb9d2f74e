"""The speech-to-text stage: one committed user turn in, its transcript out.

Runs on the local server's transcription worker, once per committed ``input_audio_buffer`` item
(PCM16 24 kHz mono ``bytes``, already cut by our VAD), and once per early transcription of the
speech in progress; the text becomes ``conversation.item.input_audio_transcription.completed``
(or a ``.delta``). Backends: :class:`realtime.local.stages.asr.whisper.FasterWhisperTranscriber`
(in process, the default) and
:class:`realtime.local.stages.asr.transcription_http.HttpTranscriber` (a delegated service).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from realtime.protocol.logprobs import TokenLogprob

__all__ = ["Transcriber", "Transcript"]


@dataclass(frozen=True)
class Transcript:
    """What was said in a turn; ``language`` is what the backend used (given or detected);
    ``logprobs``, when asked for and the backend has them, one entry per token of ``text``."""

    text: str
    language: str | None = None
    duration_ms: float = 0.0
    logprobs: tuple[TokenLogprob, ...] = ()


class Transcriber(Protocol):
    """Speech to text for a whole committed turn."""

    def transcribe(
        self,
        pcm24k: bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        logprobs: bool = False,
    ) -> Transcript:
        """PCM16 24 kHz mono in; ``language`` and ``prompt`` as in the session's transcription
        settings (an ISO-639-1 code, and text that biases spelling and vocabulary);
        ``logprobs``: the session's ``include`` asks for the tokens' log probabilities."""
        ...
