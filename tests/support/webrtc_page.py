"""Pressing START on the voice page's WebRTC component and downloading its exports in a real
browser (Playwright), for the browser tests and the benchmarks in ``bench/``. Playwright is
imported at first use, so importing this module needs nothing beyond the runtime requirements."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

__all__ = ["RECORD_PEERS", "SPOKEN_QUESTION", "download", "download_path", "press_start"]

# What the browser tests say into Chromium's fake microphone, in the engine's own voice (Piper):
# about 2.8 s, room for partial transcripts. Whisper hears it word for word after an Opus round
# trip at 24-48 kbps (12 of 12 offsets and bitrates), where "... what time it is in Tokyo right
# now?" came out as "in? Okay, I'll write now" about half the time (Piper pauses before "Tokyo").
SPOKEN_QUESTION = "Could you please tell me the time in Tokyo right now?"

# Every RTCPeerConnection the page makes is kept, so the test can read its stats.
RECORD_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native || Native.__recorded) return;
  window.__peers = [];
  const Recorded = function (...args) {
    const pc = new Native(...args);
    window.__peers.push(pc);
    return pc;
  };
  Recorded.prototype = Native.prototype;
  Recorded.__recorded = true;
  window.RTCPeerConnection = Recorded;
})();
"""


def press_start(page: object) -> None:
    """START, as a user would press it: again if the component did not take the first press
    (under load its handler is wired a moment after the button shows; measured here: it takes
    the first press on an idle machine)."""
    for attempt in range(3):
        _find_start_button(page).click()  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(_count(frame, "STOP") for frame in page.frames):  # type: ignore[attr-defined]
                return
            time.sleep(0.3)
        print(f"START press {attempt + 1} was not taken; pressing again")
    raise AssertionError("the WebRTC component never took the START press")


def _count(frame: object, name: str) -> int:
    from playwright.sync_api import Error

    try:
        return int(frame.get_by_role("button", name=name).count())  # type: ignore[attr-defined]
    except Error:  # the frame went away while the page reran
        return 0


def _find_start_button(page: object) -> object:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for frame in page.frames:  # type: ignore[attr-defined]
            if _count(frame, "START"):
                time.sleep(1)  # the component wires its handler just after it renders
                return frame.get_by_role("button", name="START").first
        time.sleep(0.5)
    raise AssertionError("the START button of the WebRTC component never appeared")


def download(
    page: Any,
    label: str,
    *,
    expander: str = "Export the conversation",
    prepare: str = "Prepare downloads",
) -> str:
    """The text of the voice page's download ``label``, opening its expander and preparing
    the files first when needed."""
    return download_path(page, label, expander=expander, prepare=prepare).read_text(
        encoding="utf-8"
    )


def download_path(
    page: Any,
    label: str,
    *,
    expander: str = "Export the conversation",
    prepare: str = "Prepare downloads",
) -> Path:
    """Where the browser saved the voice page's download ``label`` (see :func:`download`)."""
    prepare_button = page.get_by_role("button", name=prepare)
    button = page.get_by_role("button", name=label)
    deadline = time.monotonic() + 30
    while True:
        # The expander may be open already, or its state in flux during a rerun: look first,
        # click its title only when the button stays hidden (a click may close it: look again).
        with contextlib.suppress(Exception):
            prepare_button.wait_for(timeout=3_000)
            break
        assert time.monotonic() < deadline, f"{prepare!r} never appeared under {expander!r}"
        page.get_by_text(expander, exact=True).click()
    while not button.is_visible():
        # A click can fall between two of the live fragment's reruns and be lost: click again.
        assert time.monotonic() < deadline, f"{label!r} never appeared after {prepare!r}"
        prepare_button.click()
        with contextlib.suppress(Exception):
            button.wait_for(timeout=5_000)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    return Path(info.value.path())
