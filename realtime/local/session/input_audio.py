"""The input audio buffer of one local-engine session, with its voice activity detector.

Pure; owned by the session state machine on the server's event loop. PCM16 24 kHz bytes come
in from ``input_audio_buffer.append``; with turn detection on, each chunk also goes through the
VAD (a WebRTC frame is microseconds of work), whose events come back in session time: the
milliseconds of audio appended since the session began, the clock of ``audio_start_ms`` /
``audio_end_ms`` (a VAD made by a later ``session.update`` starts counting at zero, so its times
are shifted by where it began). Between turns only the last ``prefix_padding_ms`` + 1 s is kept,
enough for the padding of the next turn's start. A detector that says where voicing ended
(:class:`PausingVad`) lets the listener transcribe a turn before it ends; ``semantic_vad`` is
a :class:`~realtime.local.stages.vad.semantic.SemanticVad`, which hears those words.

The buffer is a list of the appended chunks (:class:`PcmChunks`), never one growing
``bytearray``: a buffer of minutes regrown append by append copies itself over and over and
leaves the heap fragmented, and the slices of a large append (views of it) are held as they are,
so its audio is held once.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from realtime.local.stages.vad.detector import SpeechStarted, Vad, VadEvent
from realtime.local.stages.vad.semantic import SemanticVad
from realtime.local.stages.vad.webrtc import WebRtcVad
from realtime.protocol.pcm import bytes_for_ms, duration_ms
from realtime.protocol.session_schema import SERVER_VAD_DEFAULTS

__all__ = ["InputAudio", "PausingVad", "PcmChunks", "VadFactory", "default_vad"]

VadFactory = Callable[[Mapping[str, Any]], Vad]
_DEFAULT_PREFIX_MS = SERVER_VAD_DEFAULTS["prefix_padding_ms"]
_KEEP_IDLE_MS = 1000  # kept before speech, beyond prefix_padding_ms


class PausingVad(Vad, Protocol):
    """A detector that also says where the voicing of the speech in progress ended."""

    @property
    def voiced_end_ms(self) -> int: ...


def default_vad(turn_detection: Mapping[str, Any]) -> Vad:
    """A WebRTC detector for ``server_vad`` settings; for ``semantic_vad`` one whose silence
    window follows the words heard, scaled by eagerness."""
    if turn_detection.get("type") == "semantic_vad":
        return SemanticVad(str(turn_detection.get("eagerness") or "auto"))
    return WebRtcVad.from_turn_detection(turn_detection)


class PcmChunks:
    """Audio as the chunks it came in: appended and dropped from the front without copying."""

    def __init__(self) -> None:
        self._chunks: deque[bytes | memoryview] = deque()
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def append(self, pcm: bytes | memoryview) -> None:
        if len(pcm):
            self._chunks.append(pcm)
            self._length += len(pcm)

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` (offsets into what is held), as one new ``bytes``."""
        start, end = max(0, start), min(end, self._length)
        pieces: list[bytes | memoryview] = []
        offset = 0
        for chunk in self._chunks:
            if offset >= end:
                break
            size = len(chunk)
            if offset + size > start:
                pieces.append(chunk[max(0, start - offset) : end - offset])
            offset += size
        return b"".join(pieces)

    def drop(self, count: int) -> None:
        """Forget the first ``count`` bytes."""
        count = min(count, self._length)
        self._length -= count
        while count > 0:
            head = self._chunks[0]
            if len(head) <= count:
                self._chunks.popleft()
                count -= len(head)
            else:
                self._chunks[0] = memoryview(head)[count:]
                count = 0

    def clear(self) -> None:
        self._chunks.clear()
        self._length = 0


class InputAudio:
    def __init__(self, vad_factory: VadFactory) -> None:
        self._vad_factory = vad_factory
        self._vad: Vad | None = None
        self._vad_origin_ms = 0
        self._prefix_ms = 0
        self._buffer = PcmChunks()
        self._start = 0  # session byte position of _buffer[0]
        self._position = 0  # bytes appended since the session began

    @property
    def buffered_ms(self) -> float:
        return duration_ms(len(self._buffer))

    @property
    def position_ms(self) -> int:
        """Session milliseconds of audio appended so far (the clock of ``audio_end_ms``)."""
        return round(duration_ms(self._position))

    @property
    def detecting(self) -> bool:
        return self._vad is not None

    @property
    def voiced_end_ms(self) -> int | None:
        """Session ms where the voicing of the speech in progress ended, if the detector says
        (None between turns, or for a detector that does not)."""
        # Duck-typed, not isinstance(PausingVad): a runtime Protocol check inspects every
        # attribute of the protocol, and this runs on every append.
        vad = self._vad
        voiced_end = getattr(vad, "voiced_end_ms", None)
        if voiced_end is None or getattr(vad, "speech_start_ms", None) is None:
            return None
        return int(voiced_end) + self._vad_origin_ms

    def hear(self, text: str) -> None:
        """The words of the speech in progress so far, for a detector that judges by them."""
        if isinstance(self._vad, SemanticVad):
            self._vad.hear(text)

    def peek(self, start_ms: int, end_ms: int) -> bytes:
        """The buffered audio between two session times, left in the buffer."""
        start = max(0, bytes_for_ms(start_ms) - self._start)
        return self._buffer.read(start, max(start, bytes_for_ms(end_ms) - self._start))

    def configure(self, turn_detection: Mapping[str, Any] | None) -> None:
        """A fresh detector for new settings (None: manual commits); speech in progress ends."""
        self._vad = None if turn_detection is None else self._vad_factory(turn_detection)
        self._vad_origin_ms = round(duration_ms(self._position))
        self._prefix_ms = int((turn_detection or {}).get("prefix_padding_ms", _DEFAULT_PREFIX_MS))

    def append(self, pcm: bytes | memoryview) -> list[VadEvent]:
        """Buffer ``pcm``; returns the VAD's events with times in session milliseconds."""
        self._buffer.append(pcm)
        self._position += len(pcm)
        if self._vad is None:
            return []
        shift = self._vad_origin_ms
        events: list[VadEvent] = []
        for event in self._vad.process(pcm if isinstance(pcm, bytes) else bytes(pcm)):
            if isinstance(event, SpeechStarted):
                events.append(SpeechStarted(event.audio_start_ms + shift, event.onset_ms + shift))
            else:
                events.append(
                    dataclasses.replace(
                        event,
                        audio_end_ms=event.audio_end_ms + shift,
                        speech_end_ms=event.speech_end_ms + shift,
                    )
                )
        return events

    def trim(self) -> None:
        """Between turns, forget audio older than the next turn's padding could reach; call it
        after the turns of the last :meth:`append` were taken."""
        if self._vad is not None and self._vad.speech_start_ms is None:
            self._drop_before(self._position - bytes_for_ms(self._prefix_ms + _KEEP_IDLE_MS))

    def turn(self, start_ms: int, end_ms: int) -> bytes:
        """The audio of a detected turn; everything up to its end leaves the buffer."""
        start = max(0, bytes_for_ms(start_ms) - self._start)
        end = max(start, bytes_for_ms(end_ms) - self._start)
        pcm = self._buffer.read(start, end)
        self._drop_before(self._start + end)
        return pcm

    def take(self) -> bytes:
        """Everything buffered (a manual commit); the buffer and the detector start over."""
        pcm = self._buffer.read(0, len(self._buffer))
        self.reset()
        return pcm

    def reset(self) -> None:
        self._buffer.clear()
        self._start = self._position
        if self._vad is not None:
            self._vad.reset()

    def _drop_before(self, position: int) -> None:
        position -= position % 2  # whole samples
        cut = position - self._start
        if cut > 0:
            self._buffer.drop(cut)
            self._start = position
