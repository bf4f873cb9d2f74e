"""The real page in a real browser: spoken question in, transcript and spoken answer out.

Streamlit serves app.py on 127.0.0.1 (no key, so the bundled local engine answers); Debian's
headless Chromium, driven by Playwright, plays a WAV question as its fake microphone, presses
START, and waits for the user transcript, the tool call, the assistant's answer, and audio energy
arriving on the remote WebRTC track. It saves screenshots in artifacts/ (docs/ with
UPDATE_SCREENSHOTS=1, for the README). Without
/usr/bin/chromium or Playwright the test skips and says how to enable it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realtime.protocol.resample import convert_pcm16
from realtime.protocol.wav import write_wav
from tests.support.webrtc_page import (
    RECORD_PEERS,
    SPOKEN_QUESTION,
    download,
    download_path,
    press_start,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"  # screenshots of every run (ignored by git)
# UPDATE_SCREENSHOTS=1 writes them to docs/ instead, where the README shows them.
SCREENSHOT = (ROOT / "docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else ARTIFACTS) / (
    "voice-page.png"
)

pytestmark = [pytest.mark.browser, pytest.mark.engine]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install playwright (no browser download needed)"
)
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's Chromium is not installed: apt-get install chromium chromium-driver",
        allow_module_level=True,
    )


INBOUND_AUDIO_ENERGY = """
async () => {
  let energy = 0, bytes = 0;
  for (const pc of (window.__peers || [])) {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        energy += s.totalAudioEnergy || 0;
        bytes += s.bytesReceived || 0;
      }
    });
  }
  return [energy, bytes];
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The question spoken by the engine's own voice, padded with silence, at 48 kHz."""
    from realtime.local.stages.tts.piper import PiperSynthesizer

    speech = PiperSynthesizer().synthesize(SPOKEN_QUESTION)
    silence = bytes(2 * 24000)
    pcm = convert_pcm16(silence + speech + silence * 20, 24000, to_rate=48000)
    path = tmp_path_factory.mktemp("browser") / "question.wav"
    write_wav(path, pcm, rate=48000)
    return path


class ServedApp:
    """``streamlit run app.py`` on a free loopback port; its output goes to a file."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        self._log = log_path.open("w")
        env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                "--server.address", "127.0.0.1", "--server.port", str(self.port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    served = ServedApp(tmp_path_factory.mktemp("streamlit") / "streamlit.log")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", served.port)) == 0:
                    break
            time.sleep(0.2)
        yield served
    finally:
        served.stop()
        output = served.output()
        assert "Traceback" not in output, output[-4000:]


def test_spoken_question_gets_transcript_tool_call_and_spoken_answer(
    app: ServedApp, question_wav: Path
) -> None:
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=_chromium_args(question_wav)
        )
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        context.add_init_script(RECORD_PEERS)
        page = context.new_page()
        console: list[str] = []  # the page's own errors, for whoever reads a failure
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        page.on(
            "console",
            lambda m: console.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        try:
            energy = _ask_and_check_the_spoken_answer(page, app)
            _check_inspector_then_close_the_tab(page, app)
        except Exception:
            # Keep what the page showed, for whoever reads the failure.
            if not page.is_closed():
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "browser-failure.png"), full_page=True)
                (ARTIFACTS / "browser-failure.txt").write_text(page.inner_text("body"))
                _keep_downloads(page)
            print("the app's last output lines:", *app.output().splitlines()[-40:], sep="\n")
            print("the browser's errors:", *console[-20:], sep="\n")
            raise
        finally:
            browser.close()
    assert energy > 0


def _keep_downloads(page: Any) -> None:
    """A failed run's conversation audio (what the app heard, left channel) and event log, in
    artifacts/, when the page still offers them."""
    for label, name in (
        ("Audio (.wav)", "browser-failure.wav"),
        ("Events (.jsonl)", "browser-failure.jsonl"),
    ):
        try:
            shutil.copy(download_path(page, label), ARTIFACTS / name)
        except Exception as exc:  # the failure being reported matters more
            print(f"could not keep {label}: {type(exc).__name__}: {exc}")


def _chromium_args(question_wav: Path) -> list[str]:
    return [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={question_wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]


def _ask_and_check_the_spoken_answer(page: Any, app: ServedApp) -> float:
    """START, the question heard, the tool called, the answer shown and exported; its energy."""
    page.goto(app.url, wait_until="domcontentloaded")
    page.get_by_text("offline engine", exact=False).first.wait_for(timeout=90_000)
    press_start(page)
    chat = page.locator('[data-testid="stChatMessage"]')
    chat.filter(has_text=re.compile("tokyo", re.I)).first.wait_for(timeout=90_000)
    page.get_by_text("Called get_local_time", exact=False).first.wait_for(timeout=60_000)
    answer = chat.filter(has_text=re.compile(r"tokyo.*\d{1,2}:\d{2}", re.I | re.S))
    answer.last.wait_for(timeout=60_000)
    energy = _wait_for_audio_energy(page)
    # The spoken answer carries the time the tool returned (its JSON is on the page).
    page.get_by_text("arguments and result").first.click()
    result = _tool_result(page)
    assert result["time"] in answer.last.inner_text()
    user = chat.filter(has_text=re.compile(r"the time in tokyo", re.I | re.S))
    user.first.wait_for(timeout=30_000)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    transcript = download(page, "Transcript (.md)")
    assert "get_local_time" in transcript and result["time"] in transcript
    events = download(page, "Events (.jsonl)")
    assert '"response.done"' in events and "input_audio_buffer.append" in events
    (ARTIFACTS / "events.jsonl").write_text(events, encoding="utf-8")
    _check_partials_and_print_latency(events)
    return energy


def _check_inspector_then_close_the_tab(page: Any, app: ServedApp) -> None:
    # The session's events are in the inspector, newest first; leaving the voice page
    # ends the bridge's thread and socket.
    assert "realtime bridge stopped" not in app.output()
    page.get_by_role("link", name="Event inspector").click()
    page.get_by_text("response.done").first.wait_for(timeout=30_000)
    completed = page.get_by_text("conversation.item.input_audio_transcription.completed")
    completed.first.wait_for(timeout=30_000)
    assert app.wait_for_output("realtime bridge stopped", timeout=5)
    page.screenshot(path=str(SCREENSHOT.with_name("inspector-page.png")), full_page=True)
    # Back on the voice page, START again, then close the tab: the bridge stops too.
    page.get_by_role("link", name="Voice chat").click()
    press_start(page)
    page.get_by_text("Connected.").first.wait_for(timeout=30_000)
    closed_at = time.monotonic()
    page.close()
    deadline = closed_at + 3  # measured here: 0.1 to 0.5 s
    while app.output().count("realtime bridge stopped") < 2:
        assert time.monotonic() < deadline, "closing the tab did not stop the bridge"
        time.sleep(0.1)
    print(f"bridge stopped {time.monotonic() - closed_at:.2f} s after the tab closed")


def _check_partials_and_print_latency(jsonl: str) -> None:
    """The user's words came while the question was still being spoken (a partial transcript
    before the final one), and how long after the question ended the answer's audio came."""
    rows = [json.loads(line) for line in jsonl.splitlines() if line.strip()]
    server = [(row["t"], row["event"]) for row in rows if row["dir"] == "server"]

    def first(kind: str) -> float:
        times = [t for t, event in server if event["type"] == kind]
        assert times, f"no {kind} event reached the app"
        return float(times[0])

    partial = first("conversation.item.input_audio_transcription.delta")
    final = first("conversation.item.input_audio_transcription.completed")
    stopped = first("input_audio_buffer.speech_stopped")
    assert partial < final, "the first partial transcript came after the final one"
    print(f"first partial transcript {stopped - partial:.2f} s before the question ended")
    audio = [t for t, event in server if event["type"] == "response.output_audio.delta"]
    answer = min(t for t in audio if t > stopped)
    print(f"question ended -> first answer audio at the app: {1000 * (answer - stopped):.0f} ms")


def _tool_result(page: object) -> dict[str, str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        blocks = page.locator('[data-testid="stCode"]').all_inner_texts()  # type: ignore[attr-defined]
        for text in blocks:
            if '"utc_offset"' in text:
                return dict(json.loads(text))
        time.sleep(0.3)
    opened = page.locator("details").evaluate_all("ds => ds.map(d => d.open)")  # type: ignore[attr-defined]
    raise AssertionError(
        f"the tool's result never showed on the page ({len(blocks)} code blocks; "
        f"expanders open: {opened})"
    )


def _wait_for_audio_energy(page: object) -> float:
    deadline = time.monotonic() + 30
    energy = 0.0
    while time.monotonic() < deadline:
        for frame in page.frames:  # type: ignore[attr-defined]
            try:
                energy, _ = frame.evaluate(INBOUND_AUDIO_ENERGY)
            except Exception:  # frames come and go while the page reruns
                continue
            if energy > 0:
                return float(energy)
        time.sleep(0.5)
    return float(energy)
