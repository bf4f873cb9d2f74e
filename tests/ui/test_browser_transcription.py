"""The voice page's Transcription switch in a real browser: spoken audio in, partial words while
it is spoken, completed segments with their times, and subtitle files a parser reads back.

Served and driven as in tests/ui/test_browser.py (its ``ServedApp``, the question spoken by the
engine's own voice as Chromium's fake microphone, looping); the bundled engine transcribes.
Skips, saying why, without Chromium or Playwright.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.recording.test_subtitles import parse_srt, parse_webvtt
from tests.support.webrtc_page import RECORD_PEERS, download, press_start
from tests.ui.test_browser import (  # the module skips first when there is no browser
    ARTIFACTS,
    CHROMIUM,
    ServedApp,
    _chromium_args,
    app,
    playwright_api,
    question_wav,
)

pytestmark = [pytest.mark.browser, pytest.mark.engine]

__all__ = ["app", "question_wav"]  # fixtures, used by name

# A partial segment is drawn in italics ending with "…" ("_words…_"); words, not "hearing…".
PARTIAL_WORDS = """
() => Array.from(document.querySelectorAll('[data-testid="stMarkdownContainer"] em'))
  .map((e) => e.innerText.trim())
  .find((t) => t.endsWith('…') && /[a-z]{2,}/i.test(t) && t !== 'hearing…') || null
"""
SPAN = re.compile(r"\d{2}:\d{2}:\d{2}–\d{2}:\d{2}:\d{2}")


def test_transcription_mode_shows_partials_then_timed_segments_and_exports_subtitles(
    app: ServedApp, question_wav: Path
) -> None:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=_chromium_args(question_wav)
        )
        page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
        page.add_init_script(RECORD_PEERS)
        try:
            partial, segment = _transcribe(page, app)
            files = {"expander": "Export the transcript", "prepare": "Prepare transcript files"}
            srt = download(page, "Subtitles (.srt)", **files)
            vtt = download(page, "Subtitles (.vtt)", **files)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            if not page.is_closed():
                page.screenshot(path=str(ARTIFACTS / "transcription-failure.png"), full_page=True)
            print("the app's last output lines:", *app.output().splitlines()[-40:], sep="\n")
            raise
        finally:
            browser.close()
    print(f"partial seen: {partial!r}; first segment: {segment!r}")
    cues = parse_srt(srt)
    assert cues and any("tokyo" in text.lower() for *_, text in cues)
    assert [(start, end, text) for _, start, end, text in cues] == [
        (start, end, text) for _, start, end, text in parse_webvtt(vtt)
    ]


def _transcribe(page: Any, app: ServedApp) -> tuple[str, str]:
    """Switch to Transcription, START, and catch a partial then a completed segment."""
    page.goto(app.url, wait_until="domcontentloaded")
    page.get_by_text("offline engine", exact=False).first.wait_for(timeout=90_000)
    page.get_by_text("Transcription", exact=True).first.click()
    page.get_by_text("Press START and speak", exact=False).first.wait_for(timeout=30_000)
    press_start(page)
    # Polled on every animation frame: a partial lives for about the second it takes to speak.
    partial = page.wait_for_function(PARTIAL_WORDS, timeout=90_000, polling="raf").json_value()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for text in page.locator('[data-testid="stMarkdownContainer"] p').all_inner_texts():
            if SPAN.match(text) and "tokyo" in text.lower() and not text.endswith("…"):
                return str(partial), text
        time.sleep(0.3)
    raise AssertionError("no completed segment with its time span reached the page")
