"""MicQueue across threads: a reset or a push-to-talk release on another thread, landing in the
middle of a browser frame whose format changes, never mixes two formats' samples.

The interleaving is forced, not hoped for: the frame's ``planes`` (what ``push_frame`` reads
once it has looked at the frame's format) runs the other thread's call, as a preemption at that
moment would. A threaded stress run then checks that nothing raises under many switches.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from realtime.client.io.mic_queue import MicQueue
from tests.support.timing import S

MS = 48  # bytes per ms of PCM16 mono 24 kHz
LOUD = 0  # silence: no edge of speech, so frames are held until a chunk is complete


class Frame:
    """A 20 ms browser frame (48 kHz s16) as ``push_frame`` reads it; ``planes`` may first run
    ``meanwhile`` (another thread's call, at the moment the media thread would be preempted)."""

    def __init__(self, layout: str, value: int, meanwhile: Callable[[], Any] | None = None) -> None:
        channels = 2 if layout == "stereo" else 1
        self.samples, self.sample_rate = 960, 48000
        self.layout = type("Layout", (), {"name": layout})()
        self.format = type("Format", (), {"name": "s16"})()
        self._pcm = np.full(960 * channels, value, dtype="<i2").tobytes()
        self._meanwhile = meanwhile

    @property
    def planes(self) -> list[bytes]:
        if self._meanwhile is not None:
            meanwhile, self._meanwhile = self._meanwhile, None
            meanwhile()
        return [self._pcm]


def pcm_of(chunks: list[bytes]) -> np.ndarray[Any, np.dtype[np.int16]]:
    return np.frombuffer(b"".join(chunks), dtype="<i2")


def test_a_reset_during_a_frame_leaves_no_sample_of_the_old_format_behind() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    queue.push_frame(Frame("stereo", LOUD))  # 20 ms held: less than a chunk
    # The stream restarts (the script thread's ``reset``) while the next stereo frame is read.
    queue.push_frame(Frame("stereo", LOUD, meanwhile=queue.reset))
    queue.push_frame(Frame("mono", -LOUD))  # the new stream is mono
    out = pcm_of(queue.drain())
    # Every sample comes from a frame read as its own format: at most the 20 ms stereo frame
    # (read after the reset) and the 20 ms mono one, within the resampler's delay.
    assert len(out) * 2 <= 40 * MS + 2 * 24, len(out) * 2 / MS


@pytest.mark.parametrize(("other", "heard_ms"), [("drain", 100), ("reset", 40)])
def test_a_format_change_during_another_threads_call_keeps_each_frame_whole(
    other: str, heard_ms: int
) -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=40)
    for _ in range(3):
        queue.push_frame(Frame("mono", LOUD))  # 60 ms: a chunk queued, 20 ms held
    released: list[bytes] = []
    call = getattr(queue, other)
    queue.push_frame(Frame("stereo", LOUD, meanwhile=lambda: released.extend(call() or [])))
    queue.push_frame(Frame("stereo", LOUD))
    out = pcm_of([*released, *iter(queue.pop, None), *queue.drain()])
    # Each frame once, in its own format (after a reset, only the two stereo frames); a
    # stereo frame read as mono would add 20 ms, a lost one take 20 ms off.
    assert abs(len(out) * 2 / MS - heard_ms) <= 1


@pytest.fixture
def fine_switching() -> Iterator[None]:
    """Hand the GIL over far more often, so the threads interleave mid-method."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("fine_switching")
def test_format_changes_beside_drains_and_resets_never_raise() -> None:
    queue = MicQueue(chunk_ms=40, steady_chunk_ms=100)
    stop = threading.Event()
    errors: list[BaseException] = []
    counts = {"frames": 0, "drains": 0}

    def media() -> None:
        layouts = ["mono", "stereo", "stereo", "mono", "mono", "stereo"]
        try:
            while not stop.is_set():
                layout = layouts[counts["frames"] % len(layouts)]
                queue.push_frame(Frame(layout, LOUD if counts["frames"] % 7 else 0))
                counts["frames"] += 1
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    def bridge() -> None:
        try:
            while not stop.is_set():
                queue.drain()
                queue.pop()
                if counts["drains"] % 5 == 0:
                    queue.reset()
                counts["drains"] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=media), threading.Thread(target=bridge)]
    for thread in threads:
        thread.start()
    time.sleep(0.5 * S)
    stop.set()
    for thread in threads:
        thread.join(5 * S)
    assert not errors, errors
    assert counts["frames"] > 100 and counts["drains"] > 100
