"""How long each microphone message is: short around the edges of speech, long in between.

Pure. Every ``input_audio_buffer.append`` costs the app a wake of the bridge thread, a base64
and JSON encoding and a socket write, and those costs, not the audio, are what bound the
sessions one process holds. Long messages (``steady_ms``) are cheap but hold audio back: a
message leaves when its last sample arrives. That only matters at the edges of speech, where the
server decides something: when speech stops it times the silence to end the turn, and when it
starts (a barge-in) it detects it to stop the assistant. So :class:`ChunkPace` follows the
microphone's level frame by frame and answers with the chunk duration to use:

- when speech stops (``quiet_frames`` frames under ``threshold_dbfs``) or starts again, the
  audio held so far is sent at once (``step`` returns True), and messages stay short
  (``agile_ms``) for ``after_speech_ms`` (while the server times the silence) or
  ``after_onset_ms`` (while it detects the speech);
- otherwise, in the middle of speech or of a long silence, messages are ``steady_ms`` long.

A wrong guess (a noisy room that never goes quiet) costs latency or CPU, never audio: every
sample is sent either way. ``steady_ms == agile_ms`` turns the pacing off.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChunkPace"]


@dataclass
class ChunkPace:
    """The chunk duration for the next microphone audio; see the module docstring."""

    # One WebRTC packet: the server decides on 20 ms slices, so a 40 ms message held the audio
    # that ended a turn back by 20-39 ms (the app's event logs); 20 ms messages of a
    # frame-aligned stream (MicQueue's downmix) carry each slice whole, with no wait.
    agile_ms: int = 20
    steady_ms: int = 100
    threshold_dbfs: float = -50.0
    quiet_frames: int = 3  # 60 ms of quiet ends speech: the gaps between syllables do not
    # Longer than server_vad's 500 ms and the engine's longest semantic_vad wait at medium
    # eagerness (1.5 s after a trailing "and"): the silence that ends a turn goes out promptly.
    after_speech_ms: float = 1600.0
    after_onset_ms: float = 300.0
    speaking: bool = False
    _agile_left: float = 0.0
    _quiet_run: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.agile_ms <= self.steady_ms:
            raise ValueError("chunk durations must satisfy 0 < agile_ms <= steady_ms")
        self._agile_left = self.after_onset_ms  # a stream starts at an edge too

    @property
    def chunk_ms(self) -> int:
        return self.agile_ms if self._agile_left > 0 else self.steady_ms

    def step(self, level_dbfs: float, ms: float) -> bool:
        """One frame of ``ms`` at ``level_dbfs``; True when speech just started or stopped
        (send what is held now)."""
        loud = level_dbfs > self.threshold_dbfs
        self._quiet_run = 0 if loud else self._quiet_run + 1
        if loud and not self.speaking:
            self.speaking, self._agile_left = True, self.after_onset_ms
            return True
        if self.speaking and self._quiet_run >= self.quiet_frames:
            self.speaking, self._agile_left = False, self.after_speech_ms
            return True
        self._agile_left -= ms
        return False
