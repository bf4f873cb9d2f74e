"""The semantic VAD set (``tests.support.turn_set``) through the engine's listener.

Each turn is fed in 20 ms appends to a session with ``semantic_vad``, as a client streams it;
every early transcription it asks for runs Whisper at once and comes back before the next
append, so the end of turn depends on the words and the audio alone, in audio time: the delay
is ``audio_end_ms`` of ``speech_stopped`` minus where the voice ended, never the wall clock. A
complete question must end at most 300 ms after its voice; no more than 1 in 20 hesitant turns
may end in their pause. The table printed also shows ``server_vad`` (500 ms) on the same audio,
and the same turns with each transcription coming back as late as Whisper took here (for a
reader; not asserted: that column depends on the machine).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from realtime.local.session.input_audio import default_vad
from realtime.local.session.jobs import Transcribe
from realtime.local.session.server_session import ServerSession
from realtime.protocol.pcm import bytes_for_ms
from tests.support.turn_set import COMPLETE, HESITANT, Turn, trimmed

pytestmark = pytest.mark.engine

FRAME_MS = 20


class Whisper:
    """The engine's transcriber, each audio transcribed once; how long each took is kept."""

    def __init__(self) -> None:
        from realtime.local.stages.asr.whisper import FasterWhisperTranscriber

        self._asr = FasterWhisperTranscriber()
        self._asr.transcribe(trimmed("Ready to go."))  # loaded and warm: times are a turn's
        self._done: dict[bytes, tuple[str, float]] = {}

    def __call__(self, pcm: bytes) -> tuple[str, float]:
        if pcm not in self._done:
            start = time.perf_counter()
            text = self._asr.transcribe(pcm).text
            self._done[pcm] = text, (time.perf_counter() - start) * 1000
        return self._done[pcm]


@dataclass(frozen=True)
class Heard:
    stops_ms: tuple[int, ...]  # audio_end_ms of each speech_stopped, minus where the voice ended
    words: tuple[str, ...]  # what each transcription at a pause heard

    @property
    def cut(self) -> bool:
        return any(stop < 0 for stop in self.stops_ms)  # a turn ended before the voice did

    @property
    def delay_ms(self) -> int:
        return next(stop for stop in self.stops_ms if stop >= 0)


def listen(turn: Turn, whisper: Whisper, *, late: bool = False, **turn_detection: Any) -> Heard:
    """``turn`` through a session; with ``late``, each transcription comes back after as much
    audio as Whisper took to make it."""
    pcm, voice_end_ms, _ = turn.audio()
    session = ServerSession(vad_factory=default_vad)
    session.start()
    audio = {"input": {"turn_detection": turn_detection}}
    session.receive({"type": "session.update", "session": {"type": "realtime", "audio": audio}})
    stops: list[int] = []
    words: list[str] = []
    waiting: list[tuple[int, Transcribe, str]] = []  # (due at ms, job, its text)
    step = bytes_for_ms(FRAME_MS)
    for index, start in enumerate(range(0, len(pcm), step)):
        position = (index + 1) * FRAME_MS
        outcomes = [session.append_pcm(pcm[start : start + step])]
        for job in (j for j in outcomes[0].jobs if isinstance(j, Transcribe) and j.guess):
            text, took_ms = whisper(job.pcm)
            words.append(text)
            delay = FRAME_MS * math.ceil(took_ms / FRAME_MS) if late else 0
            waiting.append((position + delay, job, text))
        for due, job, text in [w for w in waiting if w[0] <= position]:
            waiting.remove((due, job, text))
            outcomes.append(session.guessed(job, text, 0.0))
        stops += [
            e["audio_end_ms"] - voice_end_ms
            for o in outcomes
            for e in o.events
            if e["type"] == "input_audio_buffer.speech_stopped"
        ]
    return Heard(tuple(stops), tuple(words))


@pytest.fixture(scope="module")
def whisper() -> Iterator[Whisper]:
    yield Whisper()


def _row(turn: Turn, results: dict[str, Heard]) -> str:
    cells = []
    for heard in results.values():
        cells.append("cut" if heard.cut else f"{heard.delay_ms:>4}")
    kind = "hesitant" if turn.hesitant else "complete"
    pause = f"{turn.pauses_ms[0]:>5}" if turn.pauses_ms else "    -"
    return f"{kind:9} {pause}  " + "  ".join(f"{c:>9}" for c in cells) + f"  {turn.text[:58]}"


def test_complete_questions_end_within_300_ms_and_hesitations_are_waited_through(
    whisper: Whisper, capsys: pytest.CaptureFixture[str]
) -> None:
    modes = {
        "auto": {"type": "semantic_vad", "eagerness": "auto"},
        "medium": {"type": "semantic_vad", "eagerness": "medium"},
        "server": {"type": "server_vad"},
    }
    table: dict[Turn, dict[str, Heard]] = {}
    for turn in COMPLETE + HESITANT:
        table[turn] = {name: listen(turn, whisper, **mode) for name, mode in modes.items()}
        table[turn]["auto+asr"] = listen(turn, whisper, late=True, **modes["auto"])
    header = "kind      pause  " + "  ".join(f"{n:>9}" for n in [*modes, "auto+asr"])
    lines = [header, *(_row(turn, results) for turn, results in table.items())]
    summary = {}
    for name in [*modes, "auto+asr"]:
        delays = [table[t][name].delay_ms for t in COMPLETE if not table[t][name].cut]
        cuts = sum(table[t][name].cut for t in HESITANT)
        summary[name] = (statistics.median(delays), max(delays), cuts)
        lines.append(
            f"{name}: complete questions end {statistics.median(delays):.0f} ms after the voice "
            f"(median; worst {max(delays)}), hesitant turns cut {cuts}/{len(HESITANT)}"
        )
    with capsys.disabled():
        print("\nsemantic VAD set (ms of silence after the voice until speech_stopped)")
        print("\n".join(lines))
    for name in ("auto", "medium"):
        assert not any(table[t][name].cut for t in COMPLETE)
        assert all(table[t][name].delay_ms <= 300 for t in COMPLETE), name
        assert summary[name][2] * 20 <= len(HESITANT), name  # at most 1 in 20 cut in its pause
    assert len(COMPLETE) + len(HESITANT) >= 20
