"""Where a turn's time goes in the app: inside the app server, or on the two WebRTC legs.

Pure apart from reading a WAV; used by ``bench/mouth_to_ear.py --save``. The voice page's
conversation audio (its "Audio (.wav)" download) holds both sides on one timeline, stamped with
the bridge's clock: left, the microphone as the bridge received it from aiortc; right, the
answer as the bridge handed it to the speaker track. So for each turn, from the end of the
user's speech on the left to the first answer audio on the right after it, is the time the turn
spent in the app server (the bridge, the engine child with its end-of-turn silence, the playback
queue). What the browser's taps measure beyond that is the two WebRTC legs: the browser's
capture and Opus encoding, aiortc's receive buffer, then aiortc's send pacing, the browser's
jitter buffer and playout.

Spans are found as the taps find them (RMS over short blocks against the same threshold),
merged over pauses shorter than a question's (user) or an answer's (assistant).

The WAV places each side's audio by bytes after the previous chunk, and jumps to a chunk's own
time only when it comes more than a quarter second late (``ConversationRecorder``): after a
stall of the microphone's path the user's side stays that much late for the rest of the
recording, and a turn's split would be off by it. The questions' places in the track are known,
so each turn's drift against the first is measured and taken out (and reported: a drift is a
stall of the microphone's audio on its way to the bridge).
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from bench.ear_taps import THRESHOLD_DBFS

__all__ = ["in_app_ms", "spans"]

BLOCK_MS = 20


def spans(samples: np.ndarray, rate: int, merge_ms: float) -> list[tuple[float, float]]:
    """(start, end) in ms of the audio above the threshold, pauses under ``merge_ms`` merged."""
    size = rate * BLOCK_MS // 1000
    count = len(samples) // size
    blocks = samples[: count * size].astype(np.float64).reshape(count, size) / 32768
    loud = np.flatnonzero(10 * np.log10((blocks**2).mean(axis=1) + 1e-20) > THRESHOLD_DBFS)
    out: list[tuple[float, float]] = []
    for index in loud:
        start, end = float(index * BLOCK_MS), float((index + 1) * BLOCK_MS)
        if out and start - out[-1][1] < merge_ms:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def in_app_ms(
    wav: Path, starts_ms: list[float], *, user_merge_ms: float, answer_merge_ms: float
) -> tuple[list[float | None], list[float]] | None:
    """Per question (``starts_ms``: where each starts in the track), in order: the end of the
    user's speech to the first answer audio after it, in ms on the bridge's clock (None: no
    answer before the next question), and the drift taken out of it. None when the recording
    does not hold one user span per question (the pairing would be a guess)."""
    with wave.open(str(wav), "rb") as file:
        rate, channels = file.getframerate(), file.getnchannels()
        pcm = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2")
    if channels != 2:
        return None
    both = pcm[: len(pcm) // 2 * 2].reshape(-1, 2)
    users = spans(both[:, 0], rate, user_merge_ms)
    answers = spans(both[:, 1], rate, answer_merge_ms)
    if len(users) != len(starts_ms):
        return None
    shift = users[0][0] - starts_ms[0]  # the capture's own offset, as of the first question
    out: list[float | None] = []
    drifts: list[float] = []
    for n, (begin, end) in enumerate(users):
        drift = begin - starts_ms[n] - shift  # > 0: the user's side sits that much late
        until = users[n + 1][0] if n + 1 < len(users) else float("inf")
        first = next((start for start, _ in answers if end <= start < until), None)
        out.append(None if first is None else first - end + drift)
        drifts.append(drift)
    return out, drifts
