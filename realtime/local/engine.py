"""The stages one local server shares between its sessions: VAD, ASR, responder and TTS.

Built once per server, on whichever thread starts it; read by every connection's task on the
event loop and used by the worker threads that run the jobs. The heavy models (Whisper, the
Piper voice) load once per process at first use (or at :meth:`Engine.warm`), and the stages
are safe to call from several threads at once (see ``stages.asr.whisper`` and ``stages.tts.piper``).
Each stage is a Protocol, so a test or an embedder swaps one with ``dataclasses.replace``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from realtime.local.mcp.client import policy_from_environment
from realtime.local.session.guesses import AheadCounts
from realtime.local.session.input_audio import VadFactory, default_vad
from realtime.local.session.prepared import AnswerCounts
from realtime.local.stages.asr.transcriber import Transcriber
from realtime.local.stages.asr.transcription_http import HttpTranscriber
from realtime.local.stages.asr.whisper import FasterWhisperTranscriber
from realtime.local.stages.responders.factory import make_responder
from realtime.local.stages.responders.responder import Responder
from realtime.local.stages.text.sentences import opening
from realtime.local.stages.tts.language import VoiceLanguageGuard
from realtime.local.stages.tts.piper import PiperSynthesizer, voices
from realtime.local.stages.tts.speech_http import HttpSynthesizer
from realtime.local.stages.tts.synthesizer import Synthesizer
from realtime.protocol.address_policy import AddressPolicy
from realtime.protocol.errors import EngineError

__all__ = ["Engine", "SynthesizerFactory", "http_synthesizer"]

SynthesizerFactory = Callable[[str, float], Synthesizer]
"""``(voice, speed) -> Synthesizer``; the voice is a session's (hosted names map to the
bundled voice)."""


@functools.lru_cache(maxsize=32)
def _piper(voice: str, speed: float) -> Synthesizer:
    """Piper for one response; a voice of a known language reads only that language."""
    synthesizer = PiperSynthesizer(voice, speed=speed)
    language = synthesizer.voice.language.partition("_")[0]
    return VoiceLanguageGuard(synthesizer, language) if language else synthesizer


def http_synthesizer(
    url: str, *, model: str = "tts-1", api_key: str | None = None
) -> SynthesizerFactory:
    """A factory of :class:`HttpSynthesizer` for ``url``: the session's voice goes as is."""

    def make(voice: str, speed: float) -> Synthesizer:
        return HttpSynthesizer(url, model=model, voice=voice, speed=speed, api_key=api_key)

    return make


@dataclass(frozen=True)
class Engine:
    """The stages of one server (see the module docstring)."""

    transcriber: Transcriber
    responder: Responder
    synthesizer: SynthesizerFactory = _piper
    vad_factory: VadFactory = default_vad
    voices: tuple[str, ...] = ()  # the engine's own voice names, beside the hosted ones
    # Partial transcripts while the user speaks (input_audio_transcription.delta), when the
    # session asks for transcription. On by default since Whisper's window fits the turn
    # (``stages.asr.whisper_window``), which makes a pass over a short turn cheap.
    partials: bool = True
    # The answer to a turn prepared at its first pause, from the words heard so far, and the
    # answer after a function call's output as soon as it arrives (``session.prepared``).
    prepare_answers: bool = True
    # Every session's counts of listening ahead are also added here when given (a benchmark
    # creates one and reads it); None: each session keeps its own only.
    ahead_counts: AheadCounts | None = None
    # Likewise every session's counts of answers prepared ahead (``session.prepared``).
    answer_counts: AnswerCounts | None = None
    # Which MCP server URLs sessions may reach (``realtime.local.mcp``): the deployment's
    # REALTIME_ALLOW_PRIVATE_URLS / REALTIME_ALLOWED_HOSTS, read when the engine is built.
    mcp_policy: AddressPolicy = field(default_factory=policy_from_environment)

    @classmethod
    def default(
        cls,
        *,
        asr_model: str | os.PathLike[str] | None = None,
        responder: str = "auto",
        responder_model: str | None = None,
        asr_url: str | None = None,
        tts_url: str | None = None,
        asr_api_key: str | None = None,
        tts_api_key: str | None = None,
    ) -> Engine:
        """WebRTC VAD, Whisper base (or ``asr_model``), ``responder``, Piper's bundled voice.

        ``asr_url`` and ``tts_url`` (an OpenAI-compatible API base such as
        ``http://127.0.0.1:8000/v1``) delegate transcription to ``URL/audio/transcriptions``
        (``asr_model`` is then the model name sent, default ``whisper-1``) and speech to
        ``URL/audio/speech`` (the session's voice name sent as is), with the keys given.

        ``auto`` is the rules plus the bundled SmolLM2 through ``xllamacpp`` when both are
        installed (the default install: ``requirements.txt`` and ``requirements-model.txt``),
        else the rules alone.

        No model loads here (an ``asr_model`` folder that does not exist is refused at once);
        a missing package or model raises ``EngineError`` at first use, or at :meth:`warm`.
        """
        transcriber: Transcriber = (
            HttpTranscriber(asr_url, model=str(asr_model or "whisper-1"), api_key=asr_api_key)
            if asr_url
            else FasterWhisperTranscriber(asr_model)
        )
        if tts_url:
            return cls(
                transcriber=transcriber,
                responder=make_responder(responder, model=responder_model),
                synthesizer=http_synthesizer(tts_url, api_key=tts_api_key),
            )
        return cls(
            transcriber=transcriber,
            responder=make_responder(responder, model=responder_model),
            voices=tuple(v.name for v in voices()),
        )

    def warm(self) -> None:
        """Load the models and run each once (blocking, a few seconds), so the first turn is
        as fast as the next: a model's first call also allocates its buffers."""
        try:
            voice = self.synthesizer("alloy", 1.0)
            speech = b"".join(pcm for _, pcm in voice.stream("Ready to go."))
            self.transcriber.transcribe(speech)
            if self.synthesizer is _piper:  # the openings of stock answers, kept as clips
                for answer in self._stock_answers():
                    for _ in voice.stream(opening(answer)):
                        pass
        except EngineError as exc:
            raise EngineError(f"Warming up failed: {exc}") from exc
        load = getattr(getattr(self.responder, "model", self.responder), "load", None)
        if callable(load):  # a language model in process
            load()

    def _stock_answers(self) -> tuple[str, ...]:
        """The answers the responder (or the rules before its language model) always words the
        same way."""
        rules = getattr(self.responder, "rules", self.responder)
        stock = getattr(rules, "stock_answers", None)
        return tuple(stock()) if callable(stock) else ()

    @property
    def responder_name(self) -> str:
        """Which responder answers, for logs and the page: ``rules`` or ``rules + MODEL``."""
        model = getattr(self.responder, "model_name", None)
        if model is None:
            return (
                "rules"
                if type(self.responder).__name__ == "RuleBasedResponder"
                else type(self.responder).__name__
            )
        return f"rules + {model}" if hasattr(self.responder, "rules") else str(model)
