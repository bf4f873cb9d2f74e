"""The topology test's plumbing: deploy/'s templates filled in, free loopback ports, and the
services (engine, Streamlit replicas, nginx, coturn) as child processes of the test.

Runs on the pytest thread. Each service writes its output to its own file under the test's
temporary folder, and is stopped by its own pid (terminate, then kill after a grace period).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["DEPLOY", "Service", "env_file", "free_ports", "free_udp_range", "render"]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
_FIELD = re.compile(r"\{\{(\w+)\}\}")


def render(template: str, values: Mapping[str, object], target: Path) -> Path:
    """``deploy/template`` with every ``{{NAME}}`` filled in from ``values``, written to
    ``target``; a name without a value is an error (a half-filled file must not run)."""
    text = (DEPLOY / template).read_text(encoding="utf-8")
    missing = sorted(set(_FIELD.findall(text)) - set(values))
    if missing:
        raise KeyError(f"deploy/{template} needs {', '.join(missing)}")
    target.write_text(_FIELD.sub(lambda m: str(values[m.group(1)]), text), encoding="utf-8")
    return target


def env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines as a shell reads them (comments and blank lines skipped, one level
    of quoting removed), so the test's environment is what ``set -a; . FILE`` would give."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        words = shlex.split(value)
        found[name.strip()] = words[0] if len(words) == 1 else value
    return found


def free_ports(count: int) -> list[int]:
    """``count`` different ports free on 127.0.0.1 for TCP and for UDP (coturn takes both)."""
    found: list[int] = []
    while len(found) < count:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        if port not in found and _udp_free(port):
            found.append(port)
    return found


def free_udp_range(size: int) -> tuple[int, int]:
    """``size`` consecutive UDP ports free on 127.0.0.1 (coturn's relay range)."""
    start = 20000 + (os.getpid() * 37) % 20000
    while True:
        ports = range(start, start + size)
        if all(_udp_free(port) for port in ports):
            return ports[0], ports[-1]
        start += size


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        try:
            udp.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Service:
    """One server process; ``output`` is everything it printed so far."""

    def __init__(
        self, name: str, argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.log = log
        self._file = log.open("w")
        self.process = subprocess.Popen(
            list(argv), cwd=ROOT, env=dict(env or os.environ), stdin=subprocess.DEVNULL,
            stdout=self._file, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_port(self, port: int, timeout: float) -> None:
        """Until ``port`` accepts TCP connections on 127.0.0.1; fails with the service's last
        output when it exits or the time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.output()[-3000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.2)
        raise AssertionError(
            f"{self.name} did not listen in {timeout:.0f} s: " + self.output()[-3000:]
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """``sig`` to this pid (nginx takes SIGQUIT to finish its logs), then SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._file.close()
