"""The bundled engine as a supervised child process of the app.

Runs on whichever thread first asks for the engine (a Streamlit script thread, once per app
process) and on one supervisor thread of its own. The engine (``python -m realtime.local``)
does its CPU work (Whisper, Piper, a language model) in its own process, so it never competes
with Streamlit, aiortc and the bridges for this process's GIL.

What flows: the child's key goes through its environment (never a command line, which every
user of the machine can read in ``ps``); its standard input is a pipe this process holds, so
the child ends when the pipe closes, also when this process is killed (``--exit-with-stdin``);
its one JSON ready line (port, the responder that answers, the voices) comes on standard
output once the models are warm, so the first turn is as fast as the next. When the child dies,
the supervisor starts it again on the same port with the same key: the bridges' reconnect and
replay carry each conversation over, and ``restarts`` tells the page to say so once.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from realtime.protocol.errors import ConnectionFailed

__all__ = ["EngineProcess", "EngineReady", "KEY_ENV"]

log = logging.getLogger(__name__)

KEY_ENV = "REALTIME_LOCAL_API_KEY"  # the child reads its key from here (``--api-key-env``)
READY_TIMEOUT_S = 300.0  # loading and warming Whisper, Piper and a language model
STOP_GRACE_S = 5.0
RESTART_DELAYS_S = (0.2, 1.0, 3.0, 10.0)  # after quick deaths in a row; a held run resets it
HELD_S = 60.0  # a child that served this long before dying was not crashing on start
KEPT_LOG_LINES = 40


@dataclass(frozen=True)
class EngineReady:
    """The child's ready line: where it listens and what it serves."""

    url: str  # ws://127.0.0.1:PORT/v1
    port: int
    answers: str
    voices: tuple[str, ...]
    pid: int


class EngineProcess:
    """Start, watch and end one engine child; every method is safe from any thread.

    ``args`` are extra ``python -m realtime.local`` options (responder, models ...).
    ``python`` and ``environ`` are injected for tests; the child inherits ``environ`` plus
    its key.
    """

    def __init__(
        self,
        *,
        key: str,
        args: Sequence[str] = (),
        python: str = sys.executable,
        environ: Mapping[str, str] | None = None,
        ready_timeout: float = READY_TIMEOUT_S,
        restart_delays: Sequence[float] = RESTART_DELAYS_S,
        held_s: float = HELD_S,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._key = key
        self._args = tuple(args)
        self._python = python
        self._environ = dict(os.environ if environ is None else environ)
        self._ready_timeout = ready_timeout
        self._delays = tuple(restart_delays)
        self._held_s = held_s
        self._jitter = jitter
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._child: subprocess.Popen[bytes] | None = None
        self._ready: EngineReady | None = None
        self._failure: str | None = None
        self._stopping = False
        self._restarts = 0
        self._supervisor: threading.Thread | None = None
        self.log_tail: collections.deque[str] = collections.deque(maxlen=KEPT_LOG_LINES)

    # ---- what the app asks ---------------------------------------------------------------
    @property
    def key(self) -> str:
        return self._key

    @property
    def restarts(self) -> int:
        """How many times the child died and was started again."""
        with self._lock:
            return self._restarts

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._child.pid if self._child is not None else None

    def ready(self, timeout: float | None = None) -> EngineReady:
        """The serving child's ready line; waits up to ``timeout`` (the start-up time when
        None). Raises ``ConnectionFailed`` with a plain sentence when it cannot serve."""
        deadline = time.monotonic() + (self._ready_timeout if timeout is None else timeout)
        with self._lock:
            while self._ready is None and self._failure is None and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ConnectionFailed("The local engine is still starting; try again.")
                self._changed.wait(left)
            if self._ready is not None:
                return self._ready
            raise ConnectionFailed(self._failure or "The local engine was stopped.")

    def rss_mb(self) -> float | None:
        """The child's resident memory in MB (Linux), for the page; None when unknown."""
        pid = self.pid
        if pid is None:
            return None
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> EngineProcess:
        """Spawn the child and its supervisor (idempotent); returns at once."""
        with self._lock:
            if self._supervisor is not None or self._stopping:
                return self
            self._supervisor = threading.Thread(
                target=self._supervise, name="engine-supervisor", daemon=True
            )
            self._supervisor.start()
        return self

    def stop(self, timeout: float = STOP_GRACE_S) -> None:
        """End the child (SIGTERM, then SIGKILL after ``timeout``) and the supervisor."""
        with self._lock:
            self._stopping = True
            child = self._child
            self._changed.notify_all()
        if child is not None:
            _end(child, timeout)
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout + 1)

    # ---- the supervisor thread -----------------------------------------------------------
    def _supervise(self) -> None:
        quick_deaths = 0
        port = 0
        while True:
            with self._lock:
                if self._stopping:
                    return
            started = time.monotonic()
            try:
                child = self._spawn(port)
            except OSError as exc:
                self._fail(f"The local engine could not start: {exc.strerror or exc}.")
                return
            ready = self._read_ready(child)
            if ready is not None:
                port = ready.port
                with self._lock:
                    self._ready = ready
                    self._failure = None
                    self._changed.notify_all()
                log.info("local engine ready (pid %d, port %d)", ready.pid, ready.port)
            code = child.wait()
            if child.stdin is not None:
                child.stdin.close()
            with self._lock:
                self._ready = None
                if self._stopping:
                    return
            held = time.monotonic() - started >= self._held_s
            quick_deaths = 0 if held else quick_deaths + 1
            if quick_deaths > len(self._delays):
                self._fail(
                    "The local engine stopped again and again; see the app's log. "
                    "Restart the app to try again."
                )
                return
            log.warning("local engine ended with code %s; starting it again", code)
            with self._lock:
                self._restarts += 1
            if quick_deaths:
                delay = self._delays[quick_deaths - 1]
                with self._lock:
                    self._changed.wait_for(lambda: self._stopping, delay * (1 + self._jitter() / 4))

    def _spawn(self, port: int) -> subprocess.Popen[bytes]:
        command = [
            self._python,
            "-m",
            "realtime.local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--api-key-env",
            KEY_ENV,
            "--ready-json",
            "--exit-with-stdin",
            *self._args,
        ]
        environ = {**self._environ, KEY_ENV: self._key}
        child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=environ,
            close_fds=True,
        )
        with self._lock:
            self._child = child
            if self._stopping:  # stop() ran while we spawned: it did not see this child
                _end(child, 0)
        return child

    def _read_ready(self, child: subprocess.Popen[bytes]) -> EngineReady | None:
        """Read the child's output until its ready line (then keep draining it in a thread,
        so a full pipe never blocks the child); None if it ended or took too long."""
        assert child.stdout is not None
        found: list[EngineReady] = []
        got_line = threading.Event()

        def drain() -> None:
            assert child.stdout is not None
            with child.stdout:
                _drain(child.stdout)
            got_line.set()

        def _drain(stdout: IO[bytes]) -> None:
            for raw in stdout:
                line = raw.decode("utf-8", "replace").rstrip()
                if not found:
                    ready = _parse_ready(line)
                    if ready is not None:
                        found.append(ready)
                        got_line.set()
                        continue
                self.log_tail.append(line)
                # The child logs "LEVEL name: message"; its warnings and errors reach the app's
                # log, the rest only the kept tail.
                level = (
                    logging.WARNING
                    if line.startswith(("WARNING", "ERROR", "CRITICAL"))
                    else logging.DEBUG
                )
                log.log(level, "engine: %s", line)

        threading.Thread(target=drain, name="engine-output", daemon=True).start()
        if not got_line.wait(self._ready_timeout) or not found:
            if child.poll() is None:
                log.warning("local engine gave no ready line in time; ending it")
                _end(child, STOP_GRACE_S)
            return None
        return found[0]

    def _fail(self, sentence: str) -> None:
        with self._lock:
            self._failure = sentence
            self._changed.notify_all()
        log.error("%s Last lines: %s", sentence, " | ".join(self.log_tail))


def _parse_ready(line: str) -> EngineReady | None:
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
        if data.get("ready") is not True:
            return None
        return EngineReady(
            url=str(data["url"]),
            port=int(data["port"]),
            answers=str(data["answers"]),
            voices=tuple(str(v) for v in data["voices"]),
            pid=int(data["pid"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _end(child: subprocess.Popen[bytes], timeout: float) -> None:
    if child.poll() is not None:
        return
    try:
        child.terminate()
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    except OSError:
        pass
