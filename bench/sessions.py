"""How many concurrent voice sessions one app process holds: N bridges, real-time audio both ways.

Each bridge is the app's own ``Bridge`` (one thread and one WebSocket per browser session), fed
48 kHz stereo 20 ms frames of a user in conversation (talking 3 s, listening 3 s, each user at
a random point of that cycle) at real-time pace by one feeder thread standing in for aiortc's loop
(every session's sink callback and speaker track run on that one loop in the app), which also
pulls each bridge's 20 ms speaker frame from its ``Playback``. A light fake Realtime server runs
in a child process on 127.0.0.1 (so its CPU is not counted): it ignores what it receives and,
every few seconds per connection, answers with a response whose audio deltas arrive in real time.

Latency is measured inside this process: the time an ``input_audio_buffer.append`` left the
bridge (its event observer fires once the socket took the bytes) minus the time the frame that
completed it entered ``push_frame``. N rises until input is dropped or the 99th percentile passes
20 ms (or the feeder itself ends 200 ms behind real time); it prints the largest N with
0 dropped chunks and p99 under 20 ms, and the process CPU per session.
Run: ``python bench/sessions.py [seconds per step] [max N]``. Measures; never gates CI.
"""

from __future__ import annotations

import asyncio
import base64
import fractions
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bridge import audio_bytes, latencies_ms  # noqa: E402
from bench.browser_audio import FRAME_MS, LISTEN_S, TALK_S, conversation_frame  # noqa: E402
from realtime.client.core.config import Provider, SessionConfig  # noqa: E402
from realtime.client.core.snapshot import LinkState  # noqa: E402
from realtime.client.io.bridge import Bridge  # noqa: E402
from realtime.client.io.playback import Playback  # noqa: E402
from realtime.protocol.events import serialize  # noqa: E402

ANSWER_EVERY_S = 4.0  # per connection, with a random phase
ANSWER_S = 1.5  # of assistant audio per answer, sent in 100 ms deltas at real-time pace
TIME_BASE = fractions.Fraction(1, 24000)
STEPS = (10, 25, 50, 75, 100, 125, 150, 200, 250)
CYCLE = int((TALK_S + LISTEN_S) * 1000 / FRAME_MS)  # frames in one talk/listen cycle


# ---- the fake server (child process) ---------------------------------------------------------
def _event(kind: str, **fields: Any) -> str:
    return serialize({"type": kind, "event_id": f"event_{random.getrandbits(40):x}", **fields})


async def _answers(ws: Any) -> None:
    delta = base64.b64encode(bytes(4800)).decode()  # 100 ms of PCM16 24 kHz silence
    await asyncio.sleep(random.uniform(0, ANSWER_EVERY_S))
    turn = 0
    while True:
        turn += 1
        rid, iid = f"resp_{turn}", f"item_a{turn}"
        item = {"id": iid, "object": "realtime.item", "type": "message", "role": "assistant"}
        await ws.send(_event("response.created", response={"id": rid, "status": "in_progress"}))
        await ws.send(
            _event("response.output_item.added", response_id=rid, output_index=0, item=item)
        )
        where = {"response_id": rid, "item_id": iid, "output_index": 0, "content_index": 0}
        for _ in range(int(ANSWER_S * 10)):
            await ws.send(_event("response.output_audio.delta", **where, delta=delta))
            await asyncio.sleep(0.1)
        await ws.send(_event("response.output_audio.done", **where))
        await ws.send(_event("response.done", response={"id": rid, "status": "completed"}))
        await asyncio.sleep(ANSWER_EVERY_S - ANSWER_S)


async def _handle(ws: Any) -> None:
    await ws.send(_event("session.created", session={"id": "sess_1", "type": "realtime"}))
    task = asyncio.ensure_future(_answers(ws))
    try:
        async for _ in ws:
            pass  # appends and updates: a light server only swallows them
    finally:
        task.cancel()


def _serve(ports: Any) -> None:
    from websockets.asyncio.server import serve

    async def main() -> None:
        async with serve(_handle, "127.0.0.1", 0, max_size=2**24) as server:
            ports.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


# ---- the sessions (this process) -------------------------------------------------------------
class Session:
    """One bridge plus the bookkeeping that pairs each append with the frame completing it."""

    def __init__(self, port: int, index: int) -> None:
        self.pushes: list[tuple[float, int]] = []  # (time entering push_frame, bytes converted)
        self.sent: list[tuple[float, int]] = []  # (when each append left the bridge, its bytes)
        self.received = 0
        self.phase = random.randrange(CYCLE)  # where in its talk/listen cycle this user starts
        config = SessionConfig(provider=Provider.CUSTOM, base_url=f"ws://127.0.0.1:{port}/v1")
        self.playback = Playback()
        self.bridge = Bridge(
            config,
            playback=self.playback,
            clock=time.perf_counter,
            on_event=self._on_event,
            on_mic_audio=self._on_mic_audio,
        )

    def _on_mic_audio(self, pcm: bytes, at: float) -> None:
        self.received += len(pcm)

    def _on_event(self, direction: str, event: Any, at: float) -> None:
        if direction == "client" and event.get("type") == "input_audio_buffer.append":
            self.sent.append((at, audio_bytes(event["audio"])))

    def latencies_ms(self) -> list[float]:
        return latencies_ms(self.sent, self.pushes)


def run_step(port: int, n: int, seconds: float) -> dict[str, float]:
    sessions = [Session(port, i) for i in range(n)]
    for s in sessions:
        s.bridge.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
        s.bridge.snapshot().state is LinkState.CONNECTED for s in sessions
    ):
        time.sleep(0.05)
    connected = sum(s.bridge.snapshot().state is LinkState.CONNECTED for s in sessions)
    frames = [conversation_frame(i) for i in range(CYCLE)]
    ticks = int(seconds * 1000 / FRAME_MS)
    late = [0.0]
    feeder_cpu = [0.0]
    behind = [0.0]  # how far the feeder ended behind real time: it could not keep up

    def feed() -> None:
        start = time.perf_counter()
        cpu0 = time.thread_time()
        for i in range(ticks):
            target = start + i * FRAME_MS / 1000
            now = time.perf_counter()
            if now < target:
                time.sleep(target - now)
            late[0] = max(late[0], (time.perf_counter() - target) * 1000)
            for s in sessions:
                pushed = time.perf_counter()
                s.bridge.push_frame(frames[(i + s.phase) % CYCLE])
                s.pushes.append((pushed, s.received))
                s.playback.frame(i * 480, TIME_BASE)
        feeder_cpu[0] = time.thread_time() - cpu0
        behind[0] = (time.perf_counter() - start - seconds) * 1000

    cpu0, wall0 = time.process_time(), time.perf_counter()
    feeder = threading.Thread(target=feed, name="feeder (aiortc loop stand-in)")
    feeder.start()
    feeder.join()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    time.sleep(0.2)
    latencies = sorted(x for s in sessions for x in s.latencies_ms())
    dropped = sum(s.bridge.snapshot().dropped_audio_chunks for s in sessions)
    for s in sessions:
        s.bridge.stop()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("inf")
    return {
        "n": n,
        "connected": connected,
        "dropped": dropped,
        "p50": statistics.median(latencies) if latencies else float("inf"),
        "p99": p99,
        "cpu_per_session_pct": cpu / wall / n * 100,
        "appends_per_s": sum(len(s.sent) for s in sessions) / n / wall,
        "feeder_cpu_pct": feeder_cpu[0] / wall * 100,
        "late_ms": late[0],
        "behind_ms": behind[0],
    }


def main(seconds: float, max_n: int) -> None:
    print(
        f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}, "
        f"{os.cpu_count()} cores"
    )
    ports: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(ports,))
    server.start()
    best, sustained = 0, 0
    try:
        port = ports.get(timeout=30)
        print(
            " N  connected dropped  p50 ms  p99 ms  appends/s  CPU/session  feeder CPU"
            "  worst tick late / behind at end (ms)"
        )
        for n in [x for x in STEPS if x <= max_n]:
            r = run_step(port, n, seconds)
            print(
                f"{n:3d}  {r['connected']:9.0f} {r['dropped']:7.0f} {r['p50']:7.2f} "
                f"{r['p99']:7.2f}  {r['appends_per_s']:9.1f}  {r['cpu_per_session_pct']:9.2f} %"
                f"  {r['feeder_cpu_pct']:8.1f} %"
                f"  {r['late_ms']:8.1f} / {r['behind_ms']:.0f}"
            )
            # A feeder running late means the media loop itself cannot keep real time: the
            # sink callbacks of every session would queue up in aiortc just the same.
            if r["dropped"] or r["connected"] < n or r["behind_ms"] > 200:
                break
            if r["p99"] < 20 and best == sustained:  # every smaller N passed too
                best = n
            sustained = n
    finally:
        server.terminate()
        server.join(5)
    print(f"largest N with 0 dropped chunks and p99 < 20 ms: {best}")
    print(f"largest N keeping real time with 0 dropped chunks (any p99): {sustained}")


if __name__ == "__main__":
    main(
        float(sys.argv[1]) if len(sys.argv) > 1 else 8.0,
        int(sys.argv[2]) if len(sys.argv) > 2 else max(STEPS),
    )
