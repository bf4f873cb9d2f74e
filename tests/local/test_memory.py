"""What one abusive session costs the engine, over real sockets on 127.0.0.1.

The engine runs as its own process (``python -m realtime.local``, rules responder) with Whisper
and Piper preloaded and warmed by one session that speaks a turn; its resident memory
(``VmRSS`` of that process, sampled every 20 ms) is measured against the level after that
warm-up. Each abuse is one client session, fed faster than real time:

- audio appended forever with turn detection off (the buffer fills, appends are refused, the
  client clears it and goes on);
- silence with server VAD;
- noise with server VAD and input transcription: bursts of every length up to an endless one,
  so Whisper transcribes turns up to the two-minute cut and Piper speaks the answers;
- a slow reader: it commits audio, adds audio items and asks for them back
  (``conversation.item.retrieve``) faster than it reads (4 MB a second);
- large items echoed: items of 30 s of audio and 1 MB of text, retrieved, read as they come.

Each may raise the engine's memory by at most ``BUDGET`` while it runs, and once it ends the
engine must come back within ``RETURN`` of the warm-up level (the engine trims its heap when a
session ends, ``realtime.local.allocator``). ``MEMORY_MINUTES=30`` (any number) runs each abuse
for that many minutes of audio; unset, a quick mode runs each briefly. Figures print with -s;
the long run's are in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from realtime.local.limits import MAX_BUFFER_MS, MAX_REFUSED_APPENDS
from tests.support.speech import steady_speech

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc"),
]

MB = 2**20
BUDGET = 64 * MB  # resident memory one abusive session may add, at its peak
RETURN = 8 * MB  # what may stay after it ended
SECOND = 48000  # bytes of PCM16 24 kHz mono
LONG = float(os.environ.get("MEMORY_MINUTES") or 0)
# Quick mode: minutes of audio per abuse (the append abuse needs one full buffer and more).
QUICK = {"appends": 6.0, "silence": 2.0, "noise": 0.35, "slow_reader": 2.0, "large_items": 3.0}
READ_RATE = 4 * MB  # bytes a second the slow reader reads
TIMEOUT = 120.0 + 60 * LONG  # seconds a session may take to finish what it was sent


def minutes(abuse: str) -> float:
    return LONG or QUICK[abuse]


# ---- the engine process and its memory ------------------------------------------------------
@dataclass
class EngineProcess:
    process: subprocess.Popen[bytes]
    pid: int
    url: str
    baseline: int = 0
    models: int = 0  # the models' working memory: the warm-up's peak over its start

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def settled(self, target: int, seconds: float = 10.0) -> int:
        """RSS once it is at most ``target``, or the lowest seen within ``seconds``."""
        low = self.rss()
        deadline = time.monotonic() + seconds
        while low > target and time.monotonic() < deadline:
            time.sleep(0.1)
            low = min(low, self.rss())
        return low


class Peak:
    """The highest RSS of the engine, sampled every 20 ms on a thread of its own."""

    def __init__(self, engine: EngineProcess) -> None:
        self._engine = engine
        self.high = engine.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            with contextlib.suppress(OSError, AssertionError):  # the engine gone: stop() says
                self.high = max(self.high, self._engine.rss())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.high, self._engine.rss())


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    log = (tmp_path_factory.mktemp("engine") / "engine.log").open("wb")
    command = [sys.executable, "-m", "realtime.local", "--port", "0", "--responder", "rules"]
    command += ["--ready-json", "--exit-with-stdin", "--log-level", "WARNING"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the models are warm
        assert line, f"the engine did not start: {log.name}"
        ready = json.loads(line)
        running = EngineProcess(process, int(ready["pid"]), f"{ready['url']}/realtime")
        warm = Session()
        before = running.rss()
        peak = Peak(running)
        # A question, then noise Whisper reads in windows of several sizes, up to 30 s.
        noise_with_vad(running.url, 0.75, warm, (4.0, 12.0, 30.0), question=True)
        running.models = peak.stop() - before
        assert warm.seen.get("response.output_audio.delta"), "the warm-up was not answered"
        time.sleep(1.0)
        running.baseline = running.settled(0, 2.0)
        yield running
    finally:
        if process.stdin is not None:
            process.stdin.close()  # --exit-with-stdin: the engine stops
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


# ---- clients --------------------------------------------------------------------------------
@dataclass
class Session:
    """What a client saw: events by type, bytes read, the close code, minutes of audio sent."""

    seen: dict[str, int] = field(default_factory=dict)
    committed: list[str] = field(default_factory=list)
    read_bytes: int = 0
    audio_minutes: float = 0.0
    close_code: int | None = None


@contextlib.contextmanager
def client(
    url: str, session: Session, *, bytes_per_second: float | None = None
) -> Iterator[ClientConnection]:
    """A connection whose events are read on a thread (at most ``bytes_per_second``)."""
    with connect(url, max_size=None, max_queue=4, open_timeout=30) as ws:
        started = time.monotonic()

        def read() -> None:
            with contextlib.suppress(ConnectionClosed):
                for message in ws:
                    event = json.loads(message)
                    kind = event["type"]
                    session.seen[kind] = session.seen.get(kind, 0) + 1
                    session.read_bytes += len(message)
                    if kind == "input_audio_buffer.committed":
                        session.committed.append(event["item_id"])
                    if bytes_per_second:
                        due = started + session.read_bytes / bytes_per_second
                        time.sleep(max(0.0, due - time.monotonic()))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            yield ws
        finally:
            ws.close()
            reader.join(TIMEOUT)
            session.close_code = ws.close_code


def send(ws: ClientConnection, event: dict[str, object]) -> None:
    ws.send(json.dumps(event))


def append(ws: ClientConnection, pcm: bytes, session: Session) -> None:
    send(ws, {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()})
    session.audio_minutes += len(pcm) / SECOND / 60


def wait_for(condition: Callable[[], bool], seconds: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def update(ws: ClientConnection, session: dict[str, object]) -> None:
    send(ws, {"type": "session.update", "session": {"type": "realtime", **session}})


# ---- the abuses -----------------------------------------------------------------------------
def endless_audio_without_vad(url: str, length: float, out: Session) -> None:
    second = bytes(SECOND)
    with client(url, out) as ws:
        update(ws, {"audio": {"input": {"turn_detection": None}}})
        while out.audio_minutes < length:
            for _ in range(MAX_BUFFER_MS // 1000 + MAX_REFUSED_APPENDS // 2):
                append(ws, second, out)  # past the cap: refused, one error each
            send(ws, {"type": "input_audio_buffer.clear"})
        cleared = length // (MAX_BUFFER_MS / 60_000 + MAX_REFUSED_APPENDS / 120)
        assert wait_for(lambda: out.seen.get("input_audio_buffer.cleared", 0) >= cleared)
        assert out.seen.get("error", 0) >= MAX_REFUSED_APPENDS // 2


def silence_with_vad(url: str, length: float, out: Session) -> None:
    chunk = bytes(SECOND // 2)
    with client(url, out) as ws:
        while out.audio_minutes < length:
            append(ws, chunk, out)
        send(ws, {"type": "input_audio_buffer.clear"})
        assert wait_for(lambda: "input_audio_buffer.cleared" in out.seen)
        assert "input_audio_buffer.committed" not in out.seen


def noise_with_vad(
    url: str, length: float, out: Session, bursts: tuple[float, ...] = (), question: bool = False
) -> None:
    """Noise in bursts (long mode: 1.5 s to 150 s, which the two-minute cut commits in two
    turns) between silences, each burst sent at once, the next when the turn is answered:
    Whisper transcribes every turn and Piper speaks every answer; with ``question``, a spoken
    question first (the warm-up)."""
    rng = np.random.default_rng(7)
    bursts = bursts or ((1.5, 4.0, 12.0, 150.0, 30.0) if LONG else (1.5, 4.0, 12.0))
    gap = bytes(SECOND * 2)
    with client(url, out) as ws:
        update(ws, {"audio": {"input": {"transcription": {"model": "whisper-1"}}}})
        spoken = steady_speech("What can you do?") if question else b""
        turn = 0
        while out.audio_minutes < length:
            seconds = bursts[turn % len(bursts)]
            noise = rng.normal(0, 6000, int(24000 * seconds)).clip(-32768, 32767)
            pcm = spoken or noise.astype("<i2").tobytes()
            spoken, turn = b"", turn + 1
            for start in range(0, len(pcm), SECOND):
                append(ws, pcm[start : start + SECOND], out)
            append(ws, gap, out)
            answers = out.seen.get("response.done", 0) + 1 + len(pcm) // (SECOND * 120)
            assert wait_for(functools.partial(answered, out, answers)), "no answer"
        assert out.seen.get("conversation.item.input_audio_transcription.completed")


def answered(out: Session, responses: int) -> bool:
    return out.seen.get("response.done", 0) >= responses


async def read_events(ws: AsyncConnection, out: Session, rate: float | None = None) -> None:
    """Read every event (at most ``rate`` bytes a second), counting them in ``out``."""
    started = time.monotonic()
    with contextlib.suppress(ConnectionClosed):
        async for message in ws:
            event = json.loads(message)
            kind = event["type"]
            out.seen[kind] = out.seen.get(kind, 0) + 1
            out.read_bytes += len(message)
            if kind == "input_audio_buffer.committed":
                out.committed.append(event["item_id"])
            if rate:
                await asyncio.sleep(max(0.0, started + out.read_bytes / rate - time.monotonic()))


async def until(condition: Callable[[], bool], seconds: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return condition()


# The next two run on the asyncio client, whose reads never wait for its sends: websockets'
# sync client reads nothing while a send blocks, so against a server that holds back its
# frames while the client's events drain, its own send and its reading wait for each other.
def slow_reader(url: str, length: float, out: Session) -> None:
    """Appends and commits 20 s of audio at a time, adds an item of 20 s of audio and asks for
    it twice (2.6 MB of events a round), and reads its events at ``READ_RATE``, slower than
    they come: the engine holds back the client's frames while its queue drains, a bounded
    queue, and never closes it."""
    asyncio.run(_slow_reader(url, length, out))


async def _slow_reader(url: str, length: float, out: Session) -> None:
    audio = base64.b64encode(bytes(SECOND)).decode()
    second = json.dumps({"type": "input_audio_buffer.append", "audio": audio})
    async with aconnect(url, max_size=None, max_queue=4, open_timeout=30) as ws:
        reader = asyncio.create_task(read_events(ws, out, READ_RATE))
        off = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
        await ws.send(json.dumps({"type": "session.update", "session": off}))
        rounds = 0
        while out.audio_minutes < length:
            for _ in range(20):
                await ws.send(second)
            await ws.send('{"type":"input_audio_buffer.commit"}')
            content = [{"type": "input_audio", "audio": audio * 20}]
            item = {"type": "message", "role": "user", "id": f"slow{rounds}", "content": content}
            await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
            for _ in range(2):
                retrieve = {"type": "conversation.item.retrieve", "item_id": f"slow{rounds}"}
                await ws.send(json.dumps(retrieve))
            out.audio_minutes += 40 / 60
            rounds += 1
        assert await until(lambda: out.seen.get("conversation.item.retrieved", 0) >= 2 * rounds)
        out.close_code = ws.close_code
        assert ws.close_code is None, "a client that reads, slowly, was closed"
        await ws.close()
        await reader


def large_items_echoed(url: str, length: float, out: Session) -> None:
    """Items of 30 s of audio and 1 MB of text (2.9 MB frames), retrieved once; the events
    are read as they come."""
    asyncio.run(_large_items(url, length, out))


async def _large_items(url: str, length: float, out: Session) -> None:
    audio = base64.b64encode(bytes(SECOND * 30)).decode()
    text = "word " * (MB // 5)
    async with aconnect(url, max_size=None, max_queue=4, open_timeout=30) as ws:
        reader = asyncio.create_task(read_events(ws, out))
        n = 0
        while out.audio_minutes < length:
            content = [
                {"type": "input_text", "text": text},
                {"type": "input_audio", "audio": audio},
            ]
            item = {"type": "message", "role": "user", "id": f"item_big{n}", "content": content}
            await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
            retrieve = {"type": "conversation.item.retrieve", "item_id": f"item_big{n}"}
            await ws.send(json.dumps(retrieve))
            out.audio_minutes += 0.5
            n += 1
        assert await until(lambda: out.seen.get("conversation.item.retrieved", 0) >= n)
        out.close_code = ws.close_code
        assert ws.close_code is None, "a client that reads was closed"
        await ws.close()
        await reader


ABUSES: dict[str, Callable[[str, float, Session], None]] = {
    "appends": endless_audio_without_vad,
    "silence": silence_with_vad,
    "noise": noise_with_vad,
    "slow_reader": slow_reader,
    "large_items": large_items_echoed,
}
RUN_MODELS = {"noise"}  # abuses whose turns Whisper and Piper work on


@pytest.mark.parametrize("abuse", list(ABUSES))
def test_one_abusive_session_stays_within_its_memory_budget(
    engine: EngineProcess, abuse: str
) -> None:
    out = Session()
    started = time.monotonic()
    peak = Peak(engine)
    try:
        ABUSES[abuse](engine.url, minutes(abuse), out)
    finally:
        grown = peak.stop() - engine.baseline
    wall = time.monotonic() - started
    after = engine.settled(engine.baseline + RETURN) - engine.baseline
    # The models' working memory (one Whisper pass over a 30 s window, a Piper piece) is the
    # process's, one pass at a time, not a session's: measured in the warm-up, allowed on top.
    models = engine.models if abuse in RUN_MODELS else 0
    print(  # quoted in docs/benchmarks.md
        f"\n{abuse}: {out.audio_minutes:.1f} min of audio in {wall:.0f} s; peak "
        f"+{grown / MB:.1f} MB (models' working memory {models / MB:.0f} MB of it allowed), "
        f"after the end {after / MB:+.1f} MB (baseline {engine.baseline / MB:.0f} MB)"
    )
    assert grown - models <= BUDGET, f"{abuse} grew the engine by {grown / MB:.0f} MB"
    assert after <= RETURN, f"{abuse} left {after / MB:.0f} MB behind after it ended"
