"""Test speech: Piper's voice without its random variation, so every run hears the same audio.

Piper varies its output from run to run (``noise_scale``), and a test that feeds speech to the
voice detector or to Whisper could then pass or fail by chance. These helpers load the voice the
engine ships once and synthesise with the variation off: PCM16 24 kHz mono, like the engine.
"""

from __future__ import annotations

import functools

from realtime.protocol.pcm import float_to_pcm16
from realtime.protocol.resample import convert_pcm16


@functools.cache
def _voice() -> object:
    from realtime.local.stages.tts.piper import PiperSynthesizer

    return PiperSynthesizer()._voice()  # noqa: SLF001 - the engine's own voice, loaded once


def steady_speech(text: str) -> bytes:
    """``text`` spoken the same way every time, as PCM16 24 kHz mono."""
    from piper import SynthesisConfig

    voice = _voice()
    chunks = voice.synthesize(text, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))  # type: ignore[attr-defined]
    native = b"".join(float_to_pcm16(chunk.audio_float_array) for chunk in chunks)
    rate = int(voice.config.sample_rate)  # type: ignore[attr-defined]
    return convert_pcm16(native, rate, to_rate=24_000)
