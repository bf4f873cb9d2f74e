"""The semantic VAD set: spoken turns, complete and hesitant, made by the suite itself.

Each turn is a list of phrases spoken by the engine's own Piper voice without its random
variation (``tests.support.speech``), with exact silences between them: a complete question is
one phrase; a hesitant turn is a phrase that stops mid-thought ("I'd like to fly to"), a pause
of 0.6-1.2 s, then the rest. Each phrase is trimmed to its voiced samples first, so a pause is
the silence written here and the end of the voice is known to the millisecond: the end of turn
is measured in audio time from it, never by the wall clock. Nothing is downloaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from realtime.protocol.pcm import bytes_for_ms

__all__ = ["COMPLETE", "HESITANT", "LEAD_MS", "TAIL_MS", "Turn", "trimmed"]

LEAD_MS = 300  # silence before each turn
TAIL_MS = 2500  # silence after it: longer than any window semantic_vad waits


@dataclass(frozen=True)
class Turn:
    """Phrases spoken one after the other, ``pauses_ms[i]`` of silence after phrase ``i``."""

    phrases: tuple[str, ...]
    pauses_ms: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return " ... ".join(self.phrases)

    @property
    def hesitant(self) -> bool:
        return bool(self.pauses_ms)

    def audio(self) -> tuple[bytes, int, list[tuple[int, int]]]:
        """``(pcm, voice_end_ms, pauses)``: the turn with ``LEAD_MS`` before and ``TAIL_MS``
        after; where its voice ends, and each pause as ``(start_ms, end_ms)``, in ms of ``pcm``."""
        pcm = bytearray(bytes_for_ms(LEAD_MS))
        pauses: list[tuple[int, int]] = []
        for index, phrase in enumerate(self.phrases):
            pcm += trimmed(phrase)
            if index < len(self.pauses_ms):
                start = len(pcm) // 48
                pcm += bytes(bytes_for_ms(self.pauses_ms[index]))
                pauses.append((start, len(pcm) // 48))
        voice_end_ms = len(pcm) // 48
        return bytes(pcm + bytes(bytes_for_ms(TAIL_MS))), voice_end_ms, pauses


_LEVEL = 150  # |sample| above this (about -47 dBFS) in a 5 ms window is voice


@functools.cache
def trimmed(phrase: str) -> bytes:
    """``phrase`` spoken steadily, without the silence Piper puts before and after it."""
    from tests.support.speech import steady_speech

    pcm = steady_speech(phrase)
    samples = np.frombuffer(pcm, "<i2").astype(np.int32)
    window = 120  # 5 ms at 24 kHz
    loud = np.flatnonzero(
        np.abs(samples[: samples.size // window * window]).reshape(-1, window).max(axis=1) > _LEVEL
    )
    if loud.size == 0:
        return b""
    start, end = loud[0] * window, (loud[-1] + 1) * window
    return pcm[2 * start : 2 * end]


COMPLETE = (
    Turn(("What time is it in Tokyo?",)),
    Turn(("How long is the flight from Paris to New York?",)),
    Turn(("What's the weather like in Lisbon today?",)),
    Turn(("Can you book me a table for two?",)),
    Turn(("Where is the nearest train station?",)),
    Turn(("How far is Madrid from Barcelona?",)),
    Turn(("Who wrote the novel Dune?",)),
    Turn(("Is it raining in London right now?",)),
    Turn(("What is the capital of Australia?",)),
    Turn(("Could you tell me the time in Sydney?",)),
    Turn(("When does the museum open tomorrow?",)),
    Turn(("Which airline flies from Berlin to Rome?",)),
)
"""Complete questions: the turn should end at most 300 ms after the voice."""

HESITANT = (
    Turn(("I'd like to fly to", "Lisbon."), (800,)),
    Turn(("I want to book a flight from", "Paris to Rome."), (1000,)),
    Turn(("What time is it in", "Tokyo?"), (700,)),
    Turn(("Can you tell me the", "distance to Madrid?"), (900,)),
    Turn(("I need a hotel in Berlin and", "a car for Friday."), (1100,)),
    Turn(("How long is the flight from London to, um,", "New York?"), (1000,)),
    Turn(("Book me a table for", "two people tonight."), (600,)),
    Turn(("I'm looking for a", "cheap hotel near the station."), (800,)),
    Turn(("What's the weather like, uh,", "in Lisbon tomorrow?"), (1200,)),
    Turn(("Could you, um,", "check the time in Sydney?"), (900,)),
    Turn(("I'd like", "a coffee with milk."), (700,)),
    Turn(("Tell me about the", "museum in Florence."), (1000,)),
    Turn(("How far is it from Rome to", "Naples?"), (800,)),
    Turn(("My flight leaves at", "seven in the morning."), (1100,)),
    Turn(("I'm going to Paris because", "I have a meeting there."), (900,)),
    Turn(("Find me a restaurant with", "vegetarian food."), (700,)),
    Turn(("Is there a train to Madrid or", "should I fly?"), (1000,)),
    Turn(("Remind me to call my", "sister tomorrow."), (600,)),
    Turn(("The meeting is on", "Monday at noon."), (1200,)),
    Turn(("So, um, I was thinking about", "a trip to Japan."), (800,)),
    Turn(("Send a message to", "Anna saying I'm late."), (900,)),
    Turn(("What is the, um,", "population of Canada?"), (1000,)),
)
"""Hesitant turns: the turn should not end in the pause."""
