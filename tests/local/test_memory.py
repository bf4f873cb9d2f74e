"""What one abusive session costs the engine, over real sockets on 127.0.0.1: endless audio with
turn detection off, endless noise with it on, a client that floods ``conversation.item.retrieve``
without reading, and one that reads. The engine's resident memory (``VmRSS``, this process: the
server runs on a thread here) may grow by at most 64 MB while such a session lasts, and when it
ends no session object is left behind (a gc census: RSS itself rarely shrinks, since the
allocator keeps freed pages). Instant stages (``tests.support.engines``): no model is loaded."""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from realtime.local.limits import MAX_REFUSED_APPENDS
from realtime.local.server import EngineServer
from realtime.local.session.server_session import ServerSession
from tests.support.engines import instant_engine

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc"
)

QUICK = 5.0
BUDGET = 64 * 2**20  # bytes of resident memory one abusive session may add
SECOND = 48000  # bytes of PCM16 24 kHz mono


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Peak:
    """The highest RSS seen, sampled every 20 ms on a thread of its own."""

    def __init__(self) -> None:
        self.high = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.high = max(self.high, rss())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.high, rss())


def sessions() -> int:
    gc.collect()
    return sum(type(o) is ServerSession for o in gc.get_objects())


@pytest.fixture(scope="module")
def server() -> Iterator[EngineServer]:
    with EngineServer(engine=instant_engine()) as running:
        yield running


@contextlib.contextmanager
def drained(url: str) -> Iterator[tuple[ClientConnection, list[str]]]:
    """A client whose events are read (and counted by type) on a thread, as a live app would."""
    with connect(url, max_size=None) as ws:
        seen: list[str] = []

        def read() -> None:
            with contextlib.suppress(ConnectionClosed):
                for message in ws:
                    seen.append(json.loads(message)["type"])

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        yield ws, seen
        ws.close()
        reader.join(QUICK)


def append(ws: ClientConnection, pcm: bytes) -> None:
    ws.send(
        json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()})
    )


def measure(server: EngineServer, abuse: Callable[[str], None]) -> int:
    """RSS growth (peak minus before) while ``abuse`` runs; checks the session is freed."""
    before_sessions = sessions()
    gc.collect()
    before = rss()
    peak = Peak()
    abuse(server.realtime_url())
    grown = peak.stop() - before
    deadline = time.monotonic() + 3 * QUICK
    while sessions() > before_sessions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sessions() == before_sessions, "the session's state outlived its connection"
    print(
        f"{abuse.__name__}: +{grown / 2**20:.1f} MB"
    )  # shown with -s, quoted in docs/benchmarks.md
    return grown


def endless_audio_without_vad(url: str) -> None:
    with drained(url) as (ws, seen):
        ws.send(
            json.dumps(
                {
                    "type": "session.update",
                    "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
                }
            )
        )
        second = bytes(SECOND)
        # Past the 5-minute buffer cap, each refused append earns one error, up to one short of
        # the refusals in a row that close the connection (tests/local/test_append_refusals.py).
        refused = MAX_REFUSED_APPENDS - 1
        for _ in range(5 * 60 + refused):
            append(ws, second * 1)
        ws.send('{"type":"input_audio_buffer.clear"}')
        deadline = time.monotonic() + 3 * QUICK
        while "input_audio_buffer.cleared" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "error" in seen and "input_audio_buffer.cleared" in seen
        assert seen.count("error") == refused


def endless_noise_with_vad(url: str) -> None:
    rng = np.random.default_rng(7)
    noise = (rng.normal(0, 6000, 24000 * 5).clip(-32768, 32767).astype("<i2")).tobytes()
    with drained(url) as (ws, seen):
        for _ in range(12 * 6):  # 6 minutes of loud noise in 5 s appends: one endless "turn"
            append(ws, noise)
        deadline = time.monotonic() + 3 * QUICK
        while seen.count("input_audio_buffer.committed") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen.count("input_audio_buffer.committed") >= 2, "turns were not cut"


def retrieve_flood_not_reading(url: str) -> None:
    pcm = base64.b64encode(bytes(SECOND * 20)).decode()  # a 20 s item, 1.3 MB per retrieve
    item = {
        "type": "message",
        "role": "user",
        "id": "item_big",
        "content": [{"type": "input_audio", "audio": pcm}],
    }
    with connect(url, max_queue=1, max_size=None) as ws:
        ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        with contextlib.suppress(ConnectionClosed):
            for _ in range(2000):
                ws.send('{"type":"conversation.item.retrieve","item_id":"item_big"}')


def retrieve_flood_reading(url: str) -> None:
    # Read, but slower than 300 retrieves of a 10 s item are answered (190 MB of events): the
    # answers pile up past the outgoing high-water mark and the client is closed with 1008.
    pcm = base64.b64encode(bytes(SECOND * 10)).decode()
    item = {
        "type": "message",
        "role": "user",
        "id": "item_big",
        "content": [{"type": "input_audio", "audio": pcm}],
    }
    with drained(url) as (ws, seen):
        ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        with contextlib.suppress(ConnectionClosed):
            for _ in range(300):
                ws.send('{"type":"conversation.item.retrieve","item_id":"item_big"}')
        deadline = time.monotonic() + 3 * QUICK
        while ws.close_code is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ws.close_code == 1008 or seen.count("conversation.item.retrieved") == 300


@pytest.mark.parametrize(
    "abuse",
    [
        endless_audio_without_vad,
        endless_noise_with_vad,
        retrieve_flood_not_reading,
        retrieve_flood_reading,
    ],
    ids=lambda f: f.__name__,
)
def test_one_abusive_session_stays_within_its_memory_budget(
    server: EngineServer, abuse: Callable[[str], None]
) -> None:
    grown = measure(server, abuse)
    assert grown <= BUDGET, f"{abuse.__name__} grew the engine by {grown / 2**20:.0f} MB"
