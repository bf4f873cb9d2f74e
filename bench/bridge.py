"""How much the bridge adds between the microphone callback and the socket, and its CPU cost.

Feeds 48 kHz stereo 20 ms frames (what browsers send) into ``Bridge.push_frame`` at real-time
pace, as the streamlit-webrtc sink callback would, and a WebSocket server on 127.0.0.1 stamps
each ``input_audio_buffer.append`` as it arrives. For every message, latency is its arrival time
minus the time the frame that completed it entered ``push_frame`` (both clocks are this
process's ``perf_counter``). Prints the median and worst latency and the CPU time spent per
minute of audio by the media thread (resampling, chunking) and by the bridge thread (base64,
JSON, socket). Runs the PyAV ``StreamResampler`` path (the old bridge) and the numpy ``Downmix``
path (the lean bridge) one after the other in the same process, so the two are compared under
the same machine load. Run: ``python bench/bridge.py [seconds]``. Measures; never gates CI.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.browser_audio import FRAME_MS, browser_frame  # noqa: E402
from realtime.client.bridge import Bridge, LinkState  # noqa: E402
from realtime.client.config import Provider, SessionConfig  # noqa: E402
from realtime.protocol.resample import StreamResampler  # noqa: E402


class StampingServer:
    """A WebSocket server on a thread of its own that stamps each append's arrival."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _handle(self, ws: ServerConnection) -> None:
        async for frame in ws:
            now = time.perf_counter()
            if json.loads(frame)["type"] == "input_audio_buffer.append":
                self.arrivals.append(now)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(self._handle, "127.0.0.1", 0) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> StampingServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)


def thread_cpu_seconds(native_id: int) -> float:
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def run(seconds: float, path: str) -> None:
    with StampingServer() as server:
        config = SessionConfig(
            provider=Provider.CUSTOM, base_url=f"ws://127.0.0.1:{server.port}/v1"
        )
        bridge = Bridge(config)
        if path == "pyav":  # the old bridge: a PyAV resampler fed frame by frame
            resampler = StreamResampler()
            bridge._mic.resample = resampler.resample  # type: ignore[method-assign]  # noqa: SLF001
        bridge.start()
        deadline = time.monotonic() + 5
        while bridge.snapshot().state is not LinkState.CONNECTED and time.monotonic() < deadline:
            time.sleep(0.01)
        frames = int(seconds * 1000 / FRAME_MS)
        # (time the frame entered the callback, PCM bytes the bridge had received after it)
        pushes: list[tuple[float, int]] = []
        received = 0
        push_audio = bridge.push_audio

        def counting_push_audio(pcm: bytes) -> None:
            nonlocal received
            received += len(pcm)
            push_audio(pcm)

        bridge.push_audio = counting_push_audio  # type: ignore[method-assign]
        thread = bridge._thread  # noqa: SLF001 - a benchmark reads the thread's CPU counters
        assert thread is not None and thread.native_id is not None
        bridge_cpu0 = thread_cpu_seconds(thread.native_id)
        media_cpu = 0.0
        start = time.perf_counter()
        for i in range(frames):
            frame = browser_frame(i)
            target = start + i * FRAME_MS / 1000
            time.sleep(max(0.0, target - time.perf_counter()))
            pushed = time.perf_counter()
            cpu0 = time.thread_time()
            bridge.push_frame(frame)
            media_cpu += time.thread_time() - cpu0
            pushes.append((pushed, received))
        time.sleep(0.3)
        bridge_cpu = thread_cpu_seconds(thread.native_id) - bridge_cpu0
        bridge.stop()
    # Message k is complete once the bridge has received (k + 1) chunks of bytes: pair each
    # arrival with the frame that brought its last byte.
    chunk = 40 * 48
    latencies = []
    frame_index = 0
    for k, arrived in enumerate(server.arrivals):
        while frame_index < len(pushes) and pushes[frame_index][1] < (k + 1) * chunk:
            frame_index += 1
        if frame_index == len(pushes):
            break
        latencies.append((arrived - pushes[frame_index][0]) * 1000)
    minutes = seconds / 60
    print(f"--- {path} ---")
    print(f"audio sent: {seconds:.0f} s in {len(server.arrivals)} append messages")
    print(f"sink callback -> socket, median: {statistics.median(latencies):.2f} ms")
    print(f"sink callback -> socket, worst:  {max(latencies):.2f} ms")
    print(f"media-thread CPU per minute of audio:  {media_cpu / minutes * 1000:.0f} ms")
    print(f"bridge-thread CPU per minute of audio: {bridge_cpu / minutes * 1000:.0f} ms")


def main(seconds: float) -> None:
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for path in ("pyav", "numpy"):
        run(seconds, path)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
