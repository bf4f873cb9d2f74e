"""``server_vad`` on Google's WebRTC detector: PCM16 24 kHz in, speech started / stopped out.

Runs in the session that owns it, on the server's event loop, which feeds it every
``input_audio_buffer.append`` in order, as a :class:`~realtime.local.stages.vad.detector.Vad`
(one instance per session, no lock; times are milliseconds of audio fed, never the wall clock).

:class:`WebRtcVad` frames the stream into 20 ms frames (a partial frame waits for the next
call, so any chunking gives the same events), doubles their rate to 48 kHz by linear
interpolation (exact in time; WebRTC decimates to 8 kHz internally, which removes the images)
and asks ``webrtcvad`` whether each frame is voiced. The ``server_vad`` settings map onto it so:

* ``threshold`` (0..1, higher is less sensitive) picks the aggressiveness
  ``min(3, int(threshold * 4))`` (0.5 -> 2) and the share of voiced frames needed in the start
  window, ``0.65 + 0.25 * threshold`` (0.5 -> 78 %, 10 of 12 frames).
* Speech starts when that share of the last ``min_speech_ms`` (default 240 ms, 12 frames) is
  voiced. webrtcvad keeps saying "voiced" for 60-140 ms after any sound (its hangover), so a
  click reads as 100-140 ms of voicing; needing at least 160 ms keeps clicks from starting a
  turn. The onset is the first voiced frame of that window; ``audio_start_ms`` is the onset
  minus ``prefix_padding_ms``, clamped at 0 (or at the last :meth:`~WebRtcVad.reset`), which
  is also where the committed item's audio begins (as on the hosted API). The event comes
  ``min_speech_ms`` or so after the onset.
* Speech stops once ``silence_duration_ms`` passed since the last voiced frame;
  ``audio_end_ms`` is that moment (so it includes the silence, as on the hosted API) and
  ``speech_end_ms`` the end of the last voiced frame. A frame webrtcvad calls voiced but
  ``TAIL_DB`` or more below the turn's loudest frame (its hangover over a fading word or the
  room's noise after it) does not move that end: the silence is counted from where the voice
  really stopped, not 60-140 ms later, so a turn ends ``silence_duration_ms`` after the last
  word, as the user expects. A pause of that length spoken that softly ends the turn.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from realtime.local.stages.vad.detector import SpeechStarted, SpeechStopped, VadEvent
from realtime.protocol.errors import ConfigError, EngineError
from realtime.protocol.facts import BYTES_PER_MS, SAMPLE_RATE
from realtime.protocol.pcm import MIN_DBFS, bytes_for_ms, samples_dbfs
from realtime.protocol.session_schema import SERVER_VAD_DEFAULTS

__all__ = ["WebRtcVad"]

_FRAME_MS = 20
_FRAME_BYTES = bytes_for_ms(_FRAME_MS)
_VAD_RATE = 2 * SAMPLE_RATE  # the rate handed to webrtcvad (48 kHz): an exact doubling of ours
TAIL_DB = 35.0  # a voiced frame this far below the turn's loudest is a tail, not the voice


def _check_ms(name: str, value: int) -> int:
    if not 0 <= value <= 60_000:
        raise ConfigError(name, f"{value} is out of range", allowed="0-60000 ms")
    return value


class WebRtcVad:
    """The default :class:`~realtime.local.stages.vad.detector.Vad`, on Google's WebRTC detector
    (``webrtcvad-wheels``)."""

    def __init__(
        self,
        *,
        threshold: float = SERVER_VAD_DEFAULTS["threshold"],
        prefix_padding_ms: int = SERVER_VAD_DEFAULTS["prefix_padding_ms"],
        silence_duration_ms: int = SERVER_VAD_DEFAULTS["silence_duration_ms"],
        min_speech_ms: int = 240,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError("threshold", f"{threshold} is out of range", allowed="0.0-1.0")
        self.threshold = threshold
        self.prefix_padding_ms = _check_ms("prefix_padding_ms", prefix_padding_ms)
        self.silence_duration_ms = _check_ms("silence_duration_ms", silence_duration_ms)
        self.min_speech_ms = _check_ms("min_speech_ms", min_speech_ms)
        self.aggressiveness = min(3, int(threshold * 4))
        window = max(1, math.ceil(min_speech_ms / _FRAME_MS))
        self._needed = max(1, math.ceil((0.65 + 0.25 * threshold) * window))
        self._recent: deque[bool] = deque(maxlen=window)
        self._detector = _make_detector(self.aggressiveness)
        self._pending = bytearray()
        self._fed = 0  # bytes fed, including the pending partial frame
        self._framed = 0  # bytes framed: where the next frame starts
        self._last = 0  # last sample of the previous frame, for the interpolation
        self._start_ms: int | None = None
        self._voiced_end_ms = 0
        self._levels: deque[float] = deque(maxlen=window)  # dBFS of the frames in _recent
        self._peak_db = MIN_DBFS  # the loudest frame of the speech in progress
        self._floor_ms = 0  # audio_start_ms never reaches back past the start or a reset

    @classmethod
    def from_turn_detection(cls, settings: Mapping[str, Any]) -> WebRtcVad:
        """From a ``server_vad`` turn_detection object; absent or null fields take defaults."""
        values = {
            key: settings[key]
            for key in ("threshold", "prefix_padding_ms", "silence_duration_ms")
            if settings.get(key) is not None
        }
        return cls(**values)

    @property
    def position_ms(self) -> int:
        return self._fed // BYTES_PER_MS

    @property
    def speech_start_ms(self) -> int | None:
        return self._start_ms

    @property
    def voiced_end_ms(self) -> int:
        """The end of the last voiced frame of the speech in progress (listening ahead
        starts when ``position_ms`` passes it by a frame)."""
        return self._voiced_end_ms

    def process(self, pcm: bytes) -> list[VadEvent]:
        self._fed += len(pcm)
        self._pending += pcm
        events: list[VadEvent] = []
        while len(self._pending) >= _FRAME_BYTES:
            frame = bytes(self._pending[:_FRAME_BYTES])
            del self._pending[:_FRAME_BYTES]
            start_ms = self._framed // BYTES_PER_MS
            self._framed += _FRAME_BYTES
            event = self._step(start_ms, *self._is_speech(frame))
            if event is not None:
                events.append(event)
        return events

    def reset(self) -> None:
        # The partial frame is dropped with the speech state (its bytes still count as fed),
        # all but a split sample's first byte, so later frames stay sample-aligned.
        keep = len(self._pending) % 2
        del self._pending[: len(self._pending) - keep]
        self._framed = self._fed - keep
        self._floor_ms = -(-self._framed // BYTES_PER_MS)  # audio before a clear is gone
        self._recent.clear()
        self._levels.clear()
        self._start_ms = None
        self._last = 0
        self._detector = _make_detector(self.aggressiveness)  # webrtcvad's hangover is state

    def _is_speech(self, frame: bytes) -> tuple[bool, float]:
        """webrtcvad's verdict on the frame, and its level (dBFS)."""
        raw = np.frombuffer(frame, dtype="<i2")
        samples = raw.astype(np.int32)
        previous = np.concatenate(([self._last], samples[:-1]))
        self._last = int(samples[-1])
        doubled = np.empty(samples.size * 2, dtype="<i2")
        doubled[0::2] = (previous + samples) // 2
        doubled[1::2] = samples
        voiced = bool(self._detector.is_speech(doubled.tobytes(), _VAD_RATE))
        return voiced, samples_dbfs(raw)

    def _step(self, start_ms: int, voiced: bool, level: float) -> VadEvent | None:
        end_ms = start_ms + _FRAME_MS
        if self._start_ms is None:
            self._recent.append(voiced)
            self._levels.append(level)
            if len(self._recent) < (self._recent.maxlen or 1) or sum(self._recent) < self._needed:
                return None
            onset_ms = end_ms - _FRAME_MS * (len(self._recent) - self._recent.index(True))
            self._start_ms = max(self._floor_ms, onset_ms - self.prefix_padding_ms)
            self._peak_db = max(self._levels)
            self._voiced_end_ms = end_ms if voiced else self._last_voiced_end(end_ms)
            return SpeechStarted(self._start_ms, onset_ms)
        if voiced:
            self._peak_db = max(self._peak_db, level)
            if level > self._peak_db - TAIL_DB:
                self._voiced_end_ms = end_ms
            return None
        if end_ms - self._voiced_end_ms < self.silence_duration_ms:
            return None
        self._start_ms = None
        self._recent.clear()
        self._levels.clear()
        return SpeechStopped(end_ms, self._voiced_end_ms)

    def _last_voiced_end(self, end_ms: int) -> int:
        flags = list(self._recent)
        last = len(flags) - 1 - flags[::-1].index(True)
        return end_ms - _FRAME_MS * (len(flags) - 1 - last)


def _make_detector(aggressiveness: int) -> Any:
    try:
        import webrtcvad
    except ImportError as exc:
        raise EngineError(
            "Voice activity detection needs webrtcvad. Install it with: "
            "pip install webrtcvad-wheels"
        ) from exc
    return webrtcvad.Vad(aggressiveness)
