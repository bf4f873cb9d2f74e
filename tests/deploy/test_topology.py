"""The deployment past one machine, on loopback: a spoken turn through nginx, two Streamlit
replicas, the engine as its own service and coturn, with the browser's media relayed.

Every configuration file comes from deploy/ (templates filled in with free ports and a random
key and password). The services run as child processes of the test, stopped by their pids:
``python -m realtime.local`` (its key from the environment, deploy/engine.env), two ``streamlit
run app.py`` (deploy/app.env: the custom provider pointed at that engine, coturn as the only
ICE server and relay-only media), Debian's nginx (deploy/nginx.conf, sticky by cookie, WebSocket
upgrades) and Debian's coturn (deploy/turnserver.conf, plus ``--allow-loopback-peers``, which a
real host must never set). Headless Chromium opens nginx's port, plays a spoken question as its
microphone, and waits for the answer's words and sound; then the test checks that the browser's
media went through a relay candidate and coturn relayed it, that each browser stayed on one
replica, and that more browsers reached both replicas.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realtime.protocol.resample import convert_pcm16
from realtime.protocol.wav import write_wav
from tests.deploy.services import Service, env_file, free_ports, free_udp_range, render
from tests.support.webrtc_page import RECORD_PEERS, SPOKEN_QUESTION, press_start

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
TURN_USER = "rvs"
RELAYED_BYTES = 20_000

pytestmark = [pytest.mark.browser, pytest.mark.engine]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install playwright (no browser download needed)"
)
for _program, _package in (("nginx", "nginx"), ("turnserver", "coturn")):
    if shutil.which(_program) is None:
        pytest.skip(
            f"Debian's {_package} is not installed (`{_program}` missing): "
            f"apt-get install {_package} (.ci/run does)",
            allow_module_level=True,
        )
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's Chromium is not installed: apt-get install chromium chromium-driver",
        allow_module_level=True,
    )


# The sound that arrived, and the kinds of the local candidates the connection uses.
MEDIA_PATH = """
async () => {
  let energy = 0;
  const used = [];
  for (const pc of (window.__peers || [])) {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') energy += s.totalAudioEnergy || 0;
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = stats.get(s.selectedCandidatePairId);
        const local = pair && stats.get(pair.localCandidateId);
        if (local) used.push(local.candidateType);
      }
    });
  }
  return [energy, used];
}
"""


class Topology:
    """The five services on free loopback ports, configured from deploy/."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.services: list[Service] = []
        key, password = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
        self.engine_port, self.nginx_port, self.turn_port, *apps = free_ports(5)
        self.app_ports = tuple(apps)
        low, high = free_udp_range(40)
        values: dict[str, object] = {
            "ENGINE": f"127.0.0.1:{self.engine_port}", "ENGINE_KEY": key,
            "PREFIX": folder, "LISTEN": f"127.0.0.1:{self.nginx_port}",
            "APP_1": f"127.0.0.1:{self.app_ports[0]}", "APP_2": f"127.0.0.1:{self.app_ports[1]}",
            "TURN": f"127.0.0.1:{self.turn_port}", "TURN_PORT": self.turn_port,
            "TURN_LISTEN_IP": "127.0.0.1", "TURN_RELAY_IP": "127.0.0.1",
            "TURN_MIN_PORT": low, "TURN_MAX_PORT": high, "TURN_REALM": "rvs.test",
            "TURN_USER": TURN_USER, "TURN_PASSWORD": password,
            "APP_SERVERS_IP": "127.0.0.1", "RUN_DIR": folder,
        }  # fmt: skip
        self.files = {
            name: render(name, values, folder / name)
            for name in ("engine.env", "app.env", "nginx.conf", "turnserver.conf")
        }

    def environment(self, name: str) -> dict[str, str]:
        """This test's environment without any key or REALTIME_ setting, plus ``name``'s."""
        base = {
            k: v
            for k, v in os.environ.items()
            if "API_KEY" not in k and not k.startswith("REALTIME_")
        }
        return base | env_file(self.files[name])

    def start(self) -> None:
        py, files = sys.executable, self.files
        engine = self._start(
            "engine", f"{py} -m realtime.local --port {self.engine_port}", "engine.env"
        )
        # --allow-loopback-peers: the replicas' WebRTC peers are on loopback here (never on a
        # real host); --verbose: coturn logs each allocation and the bytes it relayed.
        turn = self._start(
            "coturn", f"turnserver -c {files['turnserver.conf']} --allow-loopback-peers --verbose"
        )
        apps = [
            self._start(
                f"streamlit-{port}",
                f"{py} -m streamlit run app.py --server.port {port} --server.address 127.0.0.1 "
                "--server.headless true --browser.gatherUsageStats false "
                "--server.fileWatcherType none",
                "app.env",
            )
            for port in self.app_ports
        ]
        nginx = self._start(
            "nginx", f"nginx -c {files['nginx.conf']} -p {self.folder} -e stderr", None
        )
        turn.wait_for_port(self.turn_port, 15)
        nginx.wait_for_port(self.nginx_port, 15)
        for app, port in zip(apps, self.app_ports, strict=True):
            app.wait_for_port(port, 60)
        engine.wait_for_port(self.engine_port, 240)  # the models load before it listens

    def _start(self, name: str, command: str, env_name: str | None = None) -> Service:
        argv = command.split() + (["-g", "daemon off;"] if name == "nginx" else [])
        env = self.environment(env_name) if env_name else None
        service = Service(name, argv, self.folder / f"{name}.log", env)
        self.services.append(service)
        return service

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop(signal.SIGQUIT if service.name == "nginx" else signal.SIGTERM)

    def upstreams_by_browser(self) -> dict[str, set[str]]:
        """From nginx's access log: the replicas each browser's requests went to."""
        seen: dict[str, set[str]] = defaultdict(set)
        log = (self.folder / "access.log").read_text(encoding="utf-8")
        for upstream, sticky in re.findall(r"upstream=(\S+) sticky=(\S+)", log):
            seen[sticky].add(upstream)
        return seen


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The question spoken by the engine's own voice, padded with silence, at 48 kHz."""
    from realtime.local.stages.tts.piper import PiperSynthesizer

    speech = PiperSynthesizer().synthesize(SPOKEN_QUESTION)
    silence = bytes(2 * 24000)
    pcm = convert_pcm16(silence + speech + silence * 20, 24000, to_rate=48000)
    path = tmp_path_factory.mktemp("topology-wav") / "question.wav"
    write_wav(path, pcm, rate=48000)
    return path


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    running = Topology(tmp_path_factory.mktemp("topology"))
    try:
        running.start()
        yield running
    finally:
        running.stop()
    for service in running.services:
        if service.name.startswith("streamlit"):
            assert "Traceback" not in service.output(), service.output()[-4000:]


def test_a_spoken_turn_crosses_nginx_two_replicas_the_engine_service_and_coturn(
    topology: Topology, question_wav: Path
) -> None:
    started = time.monotonic()
    url = f"http://127.0.0.1:{topology.nginx_port}/"
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=_chromium_args(question_wav)
        )
        try:
            energy, used = _ask(browser, url, topology)
            browsers = _more_browsers_until_both_replicas(browser, url, topology)
        finally:
            browser.close()
    print(f"spoken turn and {browsers} more browsers in {time.monotonic() - started:.0f} s")
    assert energy > 0, "no sound of the answer reached the browser"
    assert used and set(used) == {"relay"}, f"the browser's media did not go relayed: {used}"
    _check_coturn_relayed(topology.service("coturn"))
    # The replica talked to the engine service (it has no engine of its own: provider custom).
    assert "connection open" in topology.service("engine").output()
    # Each browser's requests, the WebSocket included (logged when it closes), went to one
    # replica; and the browsers together used both.
    topology.service("nginx").stop(signal.SIGQUIT)
    by_browser = topology.upstreams_by_browser()
    assert len(by_browser) == 1 + browsers, by_browser  # one cookie per browser, kept
    assert all(len(ups) == 1 for ups in by_browser.values()), by_browser
    replicas = {f"127.0.0.1:{port}" for port in topology.app_ports}
    assert set().union(*by_browser.values()) == replicas, by_browser
    log = (topology.folder / "access.log").read_text(encoding="utf-8")
    assert re.search(r'"GET /_stcore/stream HTTP/1.1" 101 ', log), "no WebSocket went through"


def _chromium_args(question_wav: Path) -> list[str]:
    return [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={question_wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]  # fmt: skip


def _ask(browser: Any, url: str, topology: Topology) -> tuple[float, list[str]]:
    """START through nginx, the question heard and answered; the answer's sound and the kinds
    of local ICE candidates the browser's connection uses."""
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    context.add_init_script(RECORD_PEERS)
    page = context.new_page()
    console: list[str] = []
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    page.on("console", lambda m: console.append(f"console {m.type}: {m.text}"))
    try:
        page.goto(url, wait_until="domcontentloaded")
        press_start(page)
        chat = page.locator('[data-testid="stChatMessage"]')
        chat.filter(has_text=re.compile("tokyo", re.I)).first.wait_for(timeout=90_000)
        answer = chat.filter(has_text=re.compile(r"tokyo.*\d{1,2}:\d{2}", re.I | re.S))
        answer.last.wait_for(timeout=60_000)
        return _media_path(page)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "topology-failure.png"), full_page=True)
        for service in topology.services:
            print(f"--- {service.name}", *service.output().splitlines()[-30:], sep="\n")
        print("--- the browser's console", *console[-30:], sep="\n")
        raise
    finally:
        context.close()


def _media_path(page: Any) -> tuple[float, list[str]]:
    deadline = time.monotonic() + 30
    energy, used = 0.0, []
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                energy, used = frame.evaluate(MEDIA_PATH)
            except Exception:  # frames come and go while the page reruns
                continue
            if energy > 0 and used:
                return float(energy), list(used)
        time.sleep(0.5)
    return float(energy), list(used)


def _more_browsers_until_both_replicas(browser: Any, url: str, topology: Topology) -> int:
    """Fresh browsers (own cookies) open the page until nginx has sent one to each replica."""
    replicas = {f"127.0.0.1:{port}" for port in topology.app_ports}
    for opened in range(1, 13):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("Server URL").first.wait_for(timeout=60_000)
        context.close()
        if set().union(*topology.upstreams_by_browser().values()) >= replicas:
            return opened
    return opened


def _check_coturn_relayed(turn: Service) -> None:
    """coturn allocated relays for the test's user and forwarded the conversation's packets
    (its ``usage`` and ``peer usage`` lines, written as an allocation ends or is refreshed: a
    few seconds of Opus each way are tens of kilobytes)."""
    # coturn writes an allocation's usage when it ends or is refreshed; a loaded machine may
    # take a while to close the browser's (measured here: at once to about 20 s).
    deadline = time.monotonic() + 60
    while True:
        log = turn.output()
        peer_bytes = sum(
            int(received) + int(sent)
            for received, sent in re.findall(
                rf"(?:peer )?usage: realm=<[^>]*>, username=<{TURN_USER}>, rp=\d+, rb=(\d+), "
                r"sp=\d+, sb=(\d+)",
                log,
            )
        )
        if peer_bytes > RELAYED_BYTES or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert f"username=<{TURN_USER}>, lifetime=" in log, log[-3000:]  # an allocation
    assert "ALLOCATE processed, success" in log, log[-3000:]
    assert peer_bytes > RELAYED_BYTES, f"coturn relayed {peer_bytes} bytes: {log[-3000:]}"
    print(f"coturn relayed {peer_bytes / 1000:.0f} kB to and from the peers")
