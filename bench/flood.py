"""Benchmark: one client floods the local engine while a second one times its round trips.

Run: ``python bench/flood.py [--seconds 10] [--trips 200]``. The engine starts in-process on a free
port with its real WebRTC VAD and instant ASR / responder / TTS stand-ins (no model loads: the
figure is the event loop's, not Whisper's). Client A sends 12 MiB appends of loud noise with
``server_vad`` on, as fast as the engine takes them (each one is 4 minutes of audio, so turns are
cut at their length bound too). Client B, in a process of its own like A, meanwhile sends
``input_audio_buffer.clear`` and waits for ``input_audio_buffer.cleared``, ``--trips`` times; the
p50 / p95 / max of those round trips are printed (the target is p95 < 100 ms). Then abusive sessions
run one after another (endless audio with and without VAD, a client that never reads, a retrieve
flood) and the process's resident memory is printed before, at the peak of each and after it ended.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from realtime.local.engine import Engine  # noqa: E402
from realtime.local.server import EngineServer  # noqa: E402
from realtime.local.stages.asr.transcriber import Transcript  # noqa: E402
from realtime.local.stages.responders.factory import make_responder  # noqa: E402


class _Asr:
    def transcribe(self, pcm: bytes, *, language: str | None = None, prompt: str | None = None):
        return Transcript("hello")


class _Tts:
    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        yield text, bytes(4800)


def _engine() -> Engine:
    return Engine(_Asr(), make_responder("rules"), lambda voice, speed: _Tts())


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def noise(seconds: float) -> str:
    rng = np.random.default_rng(0)
    pcm = rng.integers(-12000, 12000, int(seconds * 24000), dtype=np.int16).tobytes()
    return base64.b64encode(pcm).decode()


async def flood(url: str, stop: asyncio.Event, chunk: str) -> int:
    sent = 0
    async with connect(url, max_size=None) as ws:
        session = {"type": "realtime", "output_modalities": ["text"]}
        await ws.send(json.dumps({"type": "session.update", "session": session}))

        async def drain() -> None:
            async for _ in ws:
                pass

        reader = asyncio.create_task(drain())
        message = json.dumps({"type": "input_audio_buffer.append", "audio": chunk})
        while not stop.is_set():
            await ws.send(message)
            sent += 1
        reader.cancel()
    return sent


async def round_trips(url: str, trips: int) -> list[float]:
    times = []
    async with connect(url, max_size=None) as ws:
        await ws.recv()  # session.created
        for _ in range(trips):
            start = time.perf_counter()
            await ws.send('{"type":"input_audio_buffer.clear"}')
            while json.loads(await ws.recv())["type"] != "input_audio_buffer.cleared":
                pass
            times.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.02)
    return times


def _flooding(url: str, mib: int, stop: Any, sent: Any) -> None:
    """Child process: flood until ``stop`` is set; put the number of appends sent."""
    chunk = noise(mib * 2**20 * 3 / 4 / 2 / 24000)

    async def until_stopped() -> int:
        done = asyncio.Event()
        asyncio.get_running_loop().run_in_executor(None, lambda: (stop.wait(), done.set()))
        return await flood(url, done, chunk)

    sent.put(asyncio.run(until_stopped()))


def _timing(url: str, trips: int, times: Any) -> None:
    """Child process: the timed client's round trips."""
    times.put(asyncio.run(round_trips(url, trips)))


async def latency(url: str, trips: int, mib: int) -> None:
    # The flooder and the timed client each run in a process of their own, as real clients
    # would: in this process their work (masking 16 MiB frames, JSON) would hold this
    # process's GIL and be counted against the engine. What is measured is the engine.
    spawn = multiprocessing.get_context("spawn")
    stop, sent, times = spawn.Event(), spawn.Queue(), spawn.Queue()
    flooder = spawn.Process(target=_flooding, args=(url, mib, stop, sent), daemon=True)
    flooder.start()
    await asyncio.sleep(3.0)  # the child imports and builds its 12 MiB chunk first
    timer = spawn.Process(target=_timing, args=(url, trips, times), daemon=True)
    timer.start()
    measured: list[float] = await asyncio.get_running_loop().run_in_executor(None, times.get)
    timer.join()
    stop.set()
    appends = await asyncio.get_running_loop().run_in_executor(None, sent.get)
    flooder.join()
    q = statistics.quantiles(measured, n=20)
    print(
        f"round trip while flooding ({appends} appends of {mib} MiB): "
        f"p50 {statistics.median(measured):.1f} ms, p95 {q[18]:.1f} ms, "
        f"max {max(measured):.1f} ms over {len(measured)} trips"
    )


async def abusive(url: str, name: str, run) -> None:  # type: ignore[no-untyped-def]
    before = rss_mb()
    peak = before

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb())
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    try:
        await run(url)
    except ConnectionClosed as exc:
        name += f" (closed {exc.rcvd.code if exc.rcvd else 'without a frame'})"
    await asyncio.sleep(1.0)
    watcher.cancel()
    print(f"{name}: RSS {before:.0f} MB -> peak +{peak - before:.0f} MB -> after {rss_mb():.0f} MB")


def endless(vad: bool, minutes: int):  # type: ignore[no-untyped-def]
    async def run(url: str) -> None:
        async with connect(url, max_size=None) as ws:
            td = {"type": "server_vad"} if vad else None
            session = {
                "type": "realtime",
                "output_modalities": ["text"],
                "audio": {"input": {"turn_detection": td}},
            }
            await ws.send(json.dumps({"type": "session.update", "session": session}))
            chunk = json.dumps({"type": "input_audio_buffer.append", "audio": noise(60)})
            for _ in range(minutes):
                await ws.send(chunk)
            await ws.send('{"type":"input_audio_buffer.clear"}')
            async for frame in ws:
                if '"input_audio_buffer.cleared"' in str(frame):
                    break

    return run


async def not_reading(url: str) -> None:
    async with connect(url, max_size=None, max_queue=1) as ws:
        item = {
            "type": "message",
            "role": "user",
            "id": "big",
            "content": [{"type": "input_audio", "audio": noise(60)}],
        }
        await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        for _ in range(2000):
            await ws.send('{"type":"conversation.item.retrieve","item_id":"big"}')
        await asyncio.sleep(3)


async def retrieve_flood(url: str) -> None:
    async with connect(url, max_size=None) as ws:
        item = {
            "type": "message",
            "role": "user",
            "id": "big",
            "content": [{"type": "input_audio", "audio": noise(60)}],
        }
        await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        for _ in range(200):
            await ws.send('{"type":"conversation.item.retrieve","item_id":"big"}')
        got = 0
        async for frame in ws:
            if '"conversation.item.retrieved"' in str(frame):
                got += 1
                if got == 200:
                    break


async def main(args: argparse.Namespace) -> None:
    with EngineServer(engine=_engine()) as server:
        url = server.realtime_url()
        await latency(url, args.trips, args.mib)
        if args.no_memory:
            return
        await abusive(url, "endless audio, turn detection off (30 min)", endless(False, 30))
        await abusive(url, "endless noise, server_vad on (30 min)", endless(True, 30))
        await abusive(url, "client that never reads (2,000 retrieves of 1 min)", not_reading)
        await abusive(url, "retrieve flood, read (200 x 1 min item)", retrieve_flood)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trips", type=int, default=200)
    parser.add_argument("--mib", type=int, default=12, help="size of each flooding append")
    parser.add_argument("--no-memory", action="store_true", help="only the round-trip figure")
    asyncio.run(main(parser.parse_args()))
