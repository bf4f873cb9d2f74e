"""How many conversations the bundled engine holds at once: N talkers over sockets, swept.

Run: ``python bench/capacity.py [--sweep 1,2,4,6,8,10] [--seconds 30] [-- ENGINE OPTIONS]``.
The engine runs alone, as the app runs it: a child process (``realtime.ui.engine_process``,
``python -m realtime.local``) on 127.0.0.1 with a key in its environment. This process holds N
talkers, each on its own WebSocket session with the app's default session (server VAD,
transcription on, the travel tools): a talker streams a spoken question (made by the engine's
own Piper voice, without its random variation: ``tests/support/speech.py``) as 24 kHz PCM16
``input_audio_buffer.append`` chunks of 40 ms at real-time pace, the way a microphone delivers
them, then keeps streaming silence while it listens; it answers a function call at once (the
app's tool round trip), and when the answer is done it waits a few seconds and asks the next
question. Talkers start at random points of the first seconds, so they do not speak in step.

Per N it prints, over every question asked in the window:

* end of speech (the last sound of the question, in the audio, at the moment a microphone
  would have captured it) to the first ``response.output_audio.delta``: p50, p95, worst, and
  the questions with no answer when the talker moved on (10 s; a later answer counts, late);
  this includes the silence server VAD waits for before it ends the turn (the app's default,
  500 ms), so beside it the same from ``input_audio_buffer.speech_stopped`` (what
  ``bench/local_engine.py`` reports);
* the engine process's CPU over the window (``/proc/PID/stat`` utime + stime, in % of one
  core) and per question answered (CPU seconds: what sets the capacity of an idle machine),
  its resident memory (``VmRSS``, the most seen), this process's own CPU (the talkers share
  the machine's cores with the engine) and how late its microphones ran at worst;
* at the end, the largest N whose p95 stays at or under ``--target`` (0.6 s).

A benchmark: it prints figures and asserts nothing; on a machine shared with other work the
figures say as much about the other work as about the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from realtime.client.core.config import Provider, SessionConfig  # noqa: E402
from realtime.client.core.session_update import session_payload  # noqa: E402
from realtime.protocol.facts import SAMPLE_RATE  # noqa: E402
from realtime.tools import default_registry  # noqa: E402
from realtime.ui.engine_process import KEY_ENV, EngineProcess  # noqa: E402
from tests.support.speech import steady_speech  # noqa: E402

QUESTIONS = (
    "Hello, who are you?",
    "What time is it in Tokyo?",
    "What can you do?",
    "Which airport is LHR?",
    "How far is it from Paris to New York?",
)
CHUNK_MS = 40
CHUNK_BYTES = SAMPLE_RATE * 2 * CHUNK_MS // 1000
LEAD_MS = 300  # silence before each question
ANSWER_TIMEOUT_S = 10.0
PAUSE_S = (2.0, 4.0)  # between an answer's end and the next question
TICK_S = os.sysconf("SC_CLK_TCK")


@dataclass
class Question:
    """One question asked: when its speech ended (wall clock) and its first answer audio."""

    spoken_end: float
    stopped: float | None = None  # input_audio_buffer.speech_stopped arrived
    first_audio: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Clip:
    pcm: bytes
    speech_ms: float  # where the last sound is, from the clip's start


def clips() -> list[Clip]:
    """The questions, spoken; ``speech_ms`` ends at the last sample above -40 dBFS."""
    out = []
    for text in QUESTIONS:
        pcm = steady_speech(text)
        samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
        loud = np.flatnonzero(samples > 328)
        last = int(loud[-1]) + 1 if loud.size else len(samples)
        out.append(Clip(pcm, last * 1000 / SAMPLE_RATE))
    return out


class Talker:
    """One conversation: a paced microphone, a reader, and the questions asked."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.asked: list[Question] = []
        self.lag_ms = 0.0  # how late the microphone's worst chunk left
        self._speech = bytearray()  # audio waiting to be "captured"
        self._current: Question | None = None
        self._clock0 = 0.0
        self._sent = 0  # chunks sent since ``_clock0``

    async def microphone(self) -> None:
        """A chunk every 40 ms, at the time a microphone would have captured its end."""
        self._clock0 = time.perf_counter()
        while True:
            due = self._clock0 + (self._sent + 1) * CHUNK_MS / 1000
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.lag_ms = max(self.lag_ms, -delay * 1000)
            chunk = bytes(self._speech[:CHUNK_BYTES]).ljust(CHUNK_BYTES, b"\0")
            del self._speech[:CHUNK_BYTES]
            self._sent += 1
            audio = base64.b64encode(chunk).decode()
            await self.ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))

    def say(self, clip: Clip) -> Question:
        """Queue ``clip`` after a lead of silence; the question knows when its speech ends."""
        queued_ms = len(self._speech) / (SAMPLE_RATE * 2) * 1000
        start = self._clock0 + self._sent * CHUNK_MS / 1000 + queued_ms / 1000
        self._speech += bytes(LEAD_MS * SAMPLE_RATE * 2 // 1000) + clip.pcm
        question = Question(spoken_end=start + (LEAD_MS + clip.speech_ms) / 1000)
        self._current = question
        self.asked.append(question)
        return question

    async def reader(self) -> None:
        async for frame in self.ws:
            event = json.loads(frame)
            kind = event["type"]
            question = self._current
            if kind == "input_audio_buffer.speech_stopped" and question is not None:
                question.stopped = question.stopped or time.perf_counter()
            elif kind == "response.output_audio.delta" and question is not None:
                if question.first_audio is None and time.perf_counter() >= question.spoken_end:
                    question.first_audio = time.perf_counter()
            elif kind == "response.function_call_arguments.done":
                await self._answer_call(event)
            elif kind == "response.done" and question is not None:
                output = event["response"].get("output") or [{}]
                if output[-1].get("type") == "function_call":
                    await self.ws.send(json.dumps({"type": "response.create"}))
                elif question.first_audio is not None:
                    question.done.set()

    async def _answer_call(self, event: dict[str, Any]) -> None:
        output = default_registry.call(event["name"], event["arguments"]).output
        item = {"type": "function_call_output", "call_id": event["call_id"], "output": output}
        await self.ws.send(json.dumps({"type": "conversation.item.create", "item": item}))


async def converse(
    url: str, key: str, spoken: list[Clip], until: float, start_in: float, seed: int
) -> Talker:
    """A talker's session: questions until ``until`` (wall clock), after ``start_in`` s."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"}
    async with connect(url, additional_headers=headers, compression=None) as ws:
        await ws.recv()  # session.created
        session = session_payload(SessionConfig(provider=Provider.LOCAL))
        session["tools"] = default_registry.definitions()
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        talker = Talker(ws)
        tasks = [asyncio.create_task(talker.microphone()), asyncio.create_task(talker.reader())]
        try:
            await asyncio.sleep(start_in)
            while time.perf_counter() < until:
                question = talker.say(rng.choice(spoken))
                try:
                    await asyncio.wait_for(question.done.wait(), ANSWER_TIMEOUT_S)
                except TimeoutError:
                    pass
                await asyncio.sleep(rng.uniform(*PAUSE_S))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return talker


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK_S


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def watch_rss(pid: int, peak: list[float]) -> None:
    while True:
        peak[0] = max(peak[0], rss_mb(pid))
        await asyncio.sleep(0.5)


@dataclass
class Step:
    n: int
    latencies: list[float]  # end of speech -> first audio
    after_stop: list[float]  # speech_stopped -> first audio
    missed: int
    engine_cpu: float  # % of one core
    own_cpu: float
    rss_mb: float
    lag_ms: float
    seconds: float = 0.0  # the step's length


async def step(url: str, key: str, pid: int, spoken: list[Clip], n: int, seconds: float) -> Step:
    start = time.perf_counter()
    until = start + seconds
    cpu0, own0 = cpu_seconds(pid), time.process_time()
    peak = [rss_mb(pid)]
    watcher = asyncio.create_task(watch_rss(pid, peak))
    talkers = await asyncio.gather(
        *(converse(url, key, spoken, until, random.uniform(0, 3), seed=i) for i in range(n))
    )
    watcher.cancel()
    wall = time.perf_counter() - start
    engine = (cpu_seconds(pid) - cpu0) / wall * 100
    own = (time.process_time() - own0) / wall * 100
    asked = [q for t in talkers for q in t.asked if q.spoken_end < until]
    answered = [q.first_audio - q.spoken_end for q in asked if q.first_audio is not None]
    after_stop = [
        q.first_audio - q.stopped for q in asked if q.first_audio and q.stopped is not None
    ]
    lag = max(t.lag_ms for t in talkers)
    missed = len(asked) - len(answered)
    return Step(n, answered, after_stop, missed, engine, own, peak[0], lag, wall)


def fits(latencies: list[float], missed: int, target: float) -> bool:
    return bool(latencies) and not missed and percentile(latencies, 95) <= target


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(s: Step) -> str:
    if not s.latencies:
        return f"{s.n:3d}  no answer ({s.missed} questions)"
    ms = [x * 1000 for x in s.latencies]
    stop = [x * 1000 for x in s.after_stop] or [float("nan")]
    per_question = s.engine_cpu / 100 * s.seconds / len(s.latencies)
    return (
        f"{s.n:3d} {len(s.latencies):5d} {s.missed:4d} "
        f"{statistics.median(ms):6.0f} {percentile(ms, 95):6.0f} {max(ms):6.0f} "
        f"{statistics.median(stop):6.0f} {percentile(stop, 95):6.0f} "
        f"{s.engine_cpu:6.0f} % {per_question:6.2f} {s.rss_mb:7.0f} {s.own_cpu:5.0f} % "
        f"{s.lag_ms:6.0f}"
    )


async def main(sweep: list[int], seconds: float, target: float, engine_args: list[str]) -> None:
    print("making the questions with Piper…", flush=True)
    spoken = clips()
    key = secrets.token_urlsafe(24)
    engine = EngineProcess(
        key=key, args=["--max-sessions", str(max(sweep) + 2), *engine_args]
    ).start()
    try:
        ready = engine.ready()
        print(f"engine pid {ready.pid}, answers from {ready.answers}; {os.cpu_count()} cores,")
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} before the sweep")
        print(f"idle engine: {rss_mb(ready.pid):.0f} MB resident")
        url = f"{ready.url}/realtime?model=gpt-realtime"
        await step(url, key, ready.pid, spoken, 1, 6)  # warm: first turns, caches
        print()
        print("                 end of speech->audio  stopped->audio     engine")
        print(
            "  N  ans. miss    p50    p95  worst    p50    p95      CPU  s/q   RSS MB  bench lag ms"
        )
        steps = []
        for n in sweep:
            steps.append(await step(url, key, ready.pid, spoken, n, seconds))
            print(report(steps[-1]), flush=True)
        print()
        for name, series in (
            ("end of speech", lambda s: s.latencies),
            ("speech_stopped", lambda s: s.after_stop),
        ):
            ok = [s.n for s in steps if fits(series(s), s.missed, target)]
            print(
                f"largest N with p95 {name} -> first audio <= {target:.2f} s: {max(ok, default=0)}"
            )
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        engine.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", default="1,2,4,6,8,10", help="talkers per step, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each step")
    parser.add_argument("--target", type=float, default=0.6, help="the p95 to stay under, s")
    parser.add_argument("engine_args", nargs="*", help="after --: python -m realtime.local options")
    args = parser.parse_args()
    os.environ.pop(KEY_ENV, None)  # the child gets the bench's own key
    sizes = [int(x) for x in args.sweep.split(",") if x.strip()]
    asyncio.run(main(sizes, args.seconds, args.target, args.engine_args))
