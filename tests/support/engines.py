"""A local engine with instant stages: the real VAD and rules responder, a fixed transcript and
silent speech, so attack tests run the whole server without loading a model."""

from __future__ import annotations

from collections.abc import Iterator

from realtime.local.engine import Engine
from realtime.local.stages.asr.transcriber import Transcript
from realtime.local.stages.responders.factory import make_responder
from realtime.protocol.logprobs import from_words


class FixedTranscriber:
    def transcribe(
        self,
        pcm: bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        logprobs: bool = False,
    ) -> Transcript:
        text = "What time is it in Tokyo?"
        if not logprobs:
            return Transcript(text)
        # One token per word, as Whisper's 30 s path gives them; "Tokyo?" the unsure one.
        probabilities = [0.99, 0.95, 0.97, 0.9, 0.98, 0.3]
        words = [" " + word for word in text.split()]
        return Transcript(text, logprobs=from_words(zip(words, probabilities, strict=True)))


class SilentSynthesizer:
    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        yield text, bytes(4800)  # 100 ms of silence


def instant_engine() -> Engine:
    return Engine(
        transcriber=FixedTranscriber(),
        responder=make_responder("rules"),
        synthesizer=lambda voice, speed: SilentSynthesizer(),
    )
