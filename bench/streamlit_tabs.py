"""The Streamlit server's CPU per open voice tab, idle and talking, in real headless Chromium.

Run: ``python bench/streamlit_tabs.py [--tabs N] [--seconds S]`` (needs Debian's Chromium at
/usr/bin/chromium and Playwright's Python package, as the browser test does). It serves
``app.py`` with ``streamlit run`` on a free loopback port (no key: the in-process offline engine
answers), opens N tabs, each in a headless Chromium of its own whose fake microphone plays a
spoken question followed by silence, on a loop, and measures the CPU of the Streamlit process
(its user + system time from ``/proc``) over S seconds twice:

* **idle**: every tab on the voice page, nothing started (the page's own polling and reruns);
* **talking**: START pressed in every tab, each one streaming its microphone to a bridge and the
  engine answering (WebRTC, bridges, the page's live fragment, and the engine in the same process).

It prints the CPU as a share of one core per tab for both phases, and the load average. The
figure is a measurement of this machine at that moment; it gates nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from realtime.local.stages.tts.piper import PiperSynthesizer  # noqa: E402
from realtime.protocol.resample import convert_pcm16  # noqa: E402
from realtime.protocol.wav import write_wav  # noqa: E402
from tests.support.webrtc_page import press_start  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
QUESTION = "What time is it in Tokyo?"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def question_wav(folder: Path) -> Path:
    speech = PiperSynthesizer().synthesize(QUESTION)
    silence = bytes(2 * 24000)  # 1 s at 24 kHz
    pcm = convert_pcm16(silence + speech + silence * 6, 24000, to_rate=48000)
    path = folder / "question.wav"
    write_wav(path, pcm, rate=48000)
    return path


def measure(pid: int, seconds: float) -> float:
    """The share of one core ``pid`` used over the next ``seconds``."""
    cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    return (cpu_seconds(pid) - cpu0) / (time.perf_counter() - wall0)


def main(tabs: int, seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        wav = question_wav(Path(folder))
        log = (Path(folder) / "streamlit.log").open("w")
        env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
        app = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                "--server.address", "127.0.0.1", "--server.port", str(port),
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            args = [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
                "--autoplay-policy=no-user-gesture-required",
            ]  # fmt: skip
            with sync_playwright() as pw:
                # One browser per tab: in one browser, background tabs do not render the
                # component until brought to the front, and then not always in time.
                browsers = [
                    pw.chromium.launch(executable_path=CHROMIUM, args=args) for _ in range(tabs)
                ]
                pages = []
                for browser in browsers:
                    page = browser.new_context().new_page()
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
                    page.get_by_text("offline engine", exact=False).first.wait_for(timeout=90_000)
                    pages.append(page)
                time.sleep(5)  # the engine's models finish loading in the background
                idle = measure(app.pid, seconds)
                for number, page in enumerate(pages, 1):
                    press_start(page)
                    try:
                        page.get_by_text("Connected.").first.wait_for(timeout=30_000)
                    except Exception:
                        print(f"tab {number} did not connect within 30 s")
                time.sleep(3)
                talking = measure(app.pid, seconds)
                for browser in browsers:
                    browser.close()
        finally:
            app.terminate()
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
            log.close()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"tabs                              {tabs}")
    print(f"Streamlit CPU per tab, idle       {100 * idle / tabs:.1f} % of a core")
    print(f"Streamlit CPU per tab, talking    {100 * talking / tabs:.1f} % of a core")
    print(f"  (whole process: idle {100 * idle:.0f} %, talking {100 * talking:.0f} %)")
    print(f"load average                      {load}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    options = parser.parse_args()
    main(max(1, options.tabs), max(5.0, options.seconds))
