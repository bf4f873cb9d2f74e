"""How much the bridge adds between the microphone callback and the socket, and its CPU cost.

Feeds 48 kHz stereo 20 ms frames (what browsers send) into ``Bridge.push_frame`` at real-time
pace, as the streamlit-webrtc sink callback would, twice: a user talking throughout (a tone),
and a conversation (talking 3 s, then 3 s of a quiet microphone), since the bridge's messages are
40 ms long at the edges of speech and 100 ms in between (``ChunkPace``). A WebSocket server on
127.0.0.1 stamps each ``input_audio_buffer.append`` as it arrives. For every message, latency
is the time it left the bridge (the socket took its bytes: the bridge's ``on_event`` observer)
and the time it reached the server, minus the time the frame that completed its audio entered
``push_frame`` (one ``perf_counter`` clock). Prints the median and worst latency and the CPU
time spent per minute of audio by the media thread (``push_frame``: level, resampling,
chunking) and by the bridge thread (base64, JSON, socket), and what this machine charges a
thread that does nothing but wake as often (the floor under any bridge). Run:
``python bench/bridge.py [seconds]``. Measures; never gates CI.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.browser_audio import (  # noqa: E402
    FRAME_MS,
    LISTEN_S,
    TALK_S,
    browser_frame,
    conversation_frame,
)
from realtime.client.core.config import Provider, SessionConfig  # noqa: E402
from realtime.client.core.snapshot import LinkState  # noqa: E402
from realtime.client.io.bridge import Bridge, new_event_loop  # noqa: E402
from realtime.client.io.mic_queue import MicQueue  # noqa: E402


class StampingServer:
    """A WebSocket server on a thread of its own that stamps each append's arrival."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, int]] = []  # (when, PCM bytes)
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _handle(self, ws: ServerConnection) -> None:
        async for frame in ws:
            now = time.perf_counter()
            event = json.loads(frame)
            if event["type"] == "input_audio_buffer.append":
                self.arrivals.append((now, audio_bytes(event["audio"])))

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


def thread_cpu_seconds(thread: threading.Thread) -> float:
    """The CPU time of another thread of this process, to the nanosecond (not /proc's ticks)."""
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def audio_bytes(b64: str) -> int:
    """The PCM bytes an append's base64 ``audio`` holds (without decoding it)."""
    return len(b64) // 4 * 3 - b64[-2:].count("=")


def latencies_ms(stamps: list[tuple[float, int]], pushes: list[tuple[float, int]]) -> list[float]:
    """Each append's stamp minus the time its completing frame entered ``push_frame``: an
    append is complete once the bridge has converted every byte up to its last."""
    out, frame, total = [], 0, 0
    for stamp, size in stamps:
        total += size
        while frame < len(pushes) and pushes[frame][1] < total:
            frame += 1
        if frame == len(pushes):
            break
        out.append((stamp - pushes[frame][0]) * 1000)
    return out


def run(seconds: float, conversation: bool) -> None:
    sent: list[tuple[float, int]] = []
    received = 0  # PCM bytes the bridge has converted (its on_mic_audio hook sees them)

    def on_event(direction: str, event: dict[str, Any], at: float) -> None:
        if direction == "client" and event.get("type") == "input_audio_buffer.append":
            sent.append((time.perf_counter(), audio_bytes(event["audio"])))

    def on_mic_audio(pcm: bytes, at: float) -> None:
        nonlocal received
        received += len(pcm)

    with StampingServer() as server:
        config = SessionConfig(
            provider=Provider.CUSTOM, base_url=f"ws://127.0.0.1:{server.port}/v1"
        )
        bridge = Bridge(config, on_event=on_event, on_mic_audio=on_mic_audio)
        bridge.start()
        deadline = time.monotonic() + 5
        while bridge.snapshot().state is not LinkState.CONNECTED and time.monotonic() < deadline:
            time.sleep(0.01)
        # (when the frame entered the callback, PCM bytes the bridge had converted after it)
        pushes: list[tuple[float, int]] = []
        thread = bridge._thread  # noqa: SLF001 - a benchmark reads the thread's CPU counters
        assert thread is not None
        bridge_cpu0 = thread_cpu_seconds(thread)
        media_cpu = 0.0
        start = time.perf_counter()
        for i in range(int(seconds * 1000 / FRAME_MS)):
            target = start + i * FRAME_MS / 1000
            time.sleep(max(0.0, target - time.perf_counter()))
            # Made just before, as aiortc decodes it just before.
            frame = conversation_frame(i) if conversation else browser_frame(i)
            pushed = time.perf_counter()
            cpu0 = time.thread_time()
            bridge.push_frame(frame)
            media_cpu += time.thread_time() - cpu0
            pushes.append((pushed, received))
        time.sleep(0.3)
        bridge_cpu = thread_cpu_seconds(thread) - bridge_cpu0
        bridge.stop()
    to_socket, to_server = latencies_ms(sent, pushes), latencies_ms(server.arrivals, pushes)
    minutes = seconds / 60
    what = f"talking {TALK_S:.0f} s, listening {LISTEN_S:.0f} s" if conversation else "talking"
    print(f"--- {what}: {seconds:.0f} s of audio in {len(server.arrivals)} append messages")
    print(
        f"sink callback -> socket, median / worst: {statistics.median(to_socket):.2f} / "
        f"{max(to_socket):.2f} ms"
    )
    print(
        f"sink callback -> server's reader, median / worst: {statistics.median(to_server):.2f} / "
        f"{max(to_server):.2f} ms"
    )
    print(f"media-thread CPU per minute of audio:  {media_cpu / minutes * 1000:.0f} ms")
    print(f"bridge-thread CPU per minute of audio: {bridge_cpu / minutes * 1000:.0f} ms")
    print(f"both threads: {(media_cpu + bridge_cpu) / minutes * 1000:.0f} ms per minute of audio")


def wake_floor(seconds: float) -> None:
    """What a thread costs here that only wakes, 50 times a second (as the media thread) and
    through an event loop 25 times a second (as the bridge loop, once per 40 ms chunk)."""
    periods = int(seconds * 1000 / FRAME_MS)
    cpu0 = time.thread_time()
    for _ in range(periods):
        time.sleep(FRAME_MS / 1000)
    sleeper = time.thread_time() - cpu0
    loop = new_event_loop()  # the bridge's own kind of loop (uvloop where installed)
    woken = asyncio.Event()
    used = [0.0]

    async def waiter() -> None:
        cpu = time.thread_time()
        for _ in range(periods // 2):
            await woken.wait()
            woken.clear()
        used[0] = time.thread_time() - cpu

    thread = threading.Thread(target=lambda: loop.run_until_complete(waiter()))
    thread.start()
    time.sleep(0.05)
    for _ in range(periods // 2):
        time.sleep(2 * FRAME_MS / 1000)
        loop.call_soon_threadsafe(woken.set)
    thread.join()
    loop.close()
    minutes = seconds / 60
    print(
        f"floor on this machine: a thread that only sleeps and wakes every 20 ms costs "
        f"{sleeper / minutes * 1000:.0f} ms per minute; the bridge's event loop woken every 40 ms "
        f"{used[0] / minutes * 1000:.0f} ms"
    )


def warm_media() -> None:
    """The media thread's work for a minute of audio with the CPU kept busy (frames back to
    back, as on a loaded server): the same code without this machine's wake-up penalty."""
    queue = MicQueue()
    frames = [conversation_frame(i) for i in range(60_000 // FRAME_MS)]
    cpu0 = time.thread_time()
    for frame in frames:
        queue.push_frame(frame)
        while queue.pop() is not None:
            pass
    print(
        f"the media thread's work warm (a minute of conversation back to back): "
        f"{(time.thread_time() - cpu0) * 1000:.0f} ms"
    )


def main(seconds: float) -> None:
    print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    run(seconds, conversation=False)
    run(seconds, conversation=True)
    wake_floor(min(seconds, 10.0))
    warm_media()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
