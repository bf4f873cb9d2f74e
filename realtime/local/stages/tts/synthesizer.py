"""The text-to-speech stage: answer text in, PCM16 24 kHz mono sentence by sentence out.

Runs on a response's worker thread in the local server. :meth:`Synthesizer.stream` is a lazy
generator: it synthesises one sentence, yields ``(sentence, pcm)`` and only then starts the
next, so the server sends ``response.output_audio.delta`` with the matching
``response.output_audio_transcript.delta`` as each sentence is ready, and a ``response.cancel``
or barge-in stops synthesis at the next sentence boundary by closing the generator. Sentences
are stripped (``realtime.local.stages.text.sentences``); join them with single spaces for the
full transcript.

Backends: :class:`realtime.local.stages.tts.piper.PiperSynthesizer` (in process, the default)
and :class:`realtime.local.stages.tts.speech_http.HttpSynthesizer` (a delegated speech
service). Both are built over a whole-clip ``synthesize`` with :func:`by_sentence`, and check
the session's speed with :func:`checked_speed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from realtime.local.stages.text.sentences import sentences
from realtime.protocol.errors import ConfigError
from realtime.protocol.session_schema import bounds

__all__ = ["Synthesizer", "by_sentence", "checked_speed"]


class Synthesizer(Protocol):
    """Text to speech, streamed by sentence as PCM16 24 kHz mono."""

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        """Yield ``(sentence, pcm)`` for each sentence of ``text`` that has sound, in order."""
        ...


def checked_speed(speed: float) -> float:
    """A session's ``audio.output.speed``, refused outside the session schema's range."""
    low, high = bounds("speed")
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
