"""A local engine with instant stages: the real VAD and rules responder, a fixed transcript and
silent speech, so attack tests run the whole server without loading a model."""

from __future__ import annotations

from collections.abc import Iterator

from realtime.local.engine import Engine
from realtime.local.stages.asr.transcriber import Transcript
from realtime.local.stages.responders.factory import make_responder


class FixedTranscriber:
    def transcribe(
        self, pcm: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        return Transcript("What time is it in Tokyo?")


class SilentSynthesizer:
    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        yield text, bytes(4800)  # 100 ms of silence


def instant_engine() -> Engine:
    return Engine(
        transcriber=FixedTranscriber(),
        responder=make_responder("rules"),
        synthesizer=lambda voice, speed: SilentSynthesizer(),
    )
