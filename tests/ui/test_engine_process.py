"""The bundled engine as a supervised child process: ready line, key, restarts, clean ends.

Real child processes (``python -m realtime.local``) on 127.0.0.1; ``--no-preload --responder
rules`` keeps them light (no model is loaded before a turn needs it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from websockets.sync.client import connect

from realtime.protocol.errors import ConnectionFailed
from realtime.ui.engine_process import EngineProcess, EngineReady, _parse_ready
from tests.support.timing import S, eventually

LIGHT = ("--no-preload", "--responder", "rules")
KEY = "test-key-" + "x" * 24


def _gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in state


def _session_created(ready: EngineReady, key: str) -> str:
    with connect(
        f"{ready.url}/realtime?model=gpt-realtime",
        additional_headers={"Authorization": f"Bearer {key}"},
        open_timeout=10 * S,
    ) as ws:
        return str(ws.recv(timeout=10 * S))


@pytest.fixture
def engine() -> object:
    process = EngineProcess(key=KEY, args=LIGHT, restart_delays=(0.05, 0.1), held_s=0.5)
    yield process.start()
    process.stop()


def test_the_ready_line_says_where_and_who_answers(engine: EngineProcess) -> None:
    ready = engine.ready(60 * S)
    assert ready.url == f"ws://127.0.0.1:{ready.port}/v1"
    assert ready.answers == "rules"
    assert ready.voices  # the bundled Piper voice(s)
    assert ready.pid == engine.pid
    assert '"type": "session.created"' in _session_created(ready, KEY).replace('":"', '": "')
    rss = engine.rss_mb()
    assert rss is not None and rss > 10


def test_the_key_is_on_no_command_line(engine: EngineProcess) -> None:
    engine.ready(60 * S)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        assert KEY.encode() not in cmdline, f"the key is on process {entry.name}'s command line"


def test_a_wrong_key_is_refused(engine: EngineProcess) -> None:
    ready = engine.ready(60 * S)
    with pytest.raises(Exception, match="401"):
        _session_created(ready, "another-key")


def test_a_killed_engine_is_started_again_on_the_same_port(engine: EngineProcess) -> None:
    first = engine.ready(60 * S)
    os.kill(first.pid, signal.SIGKILL)
    eventually(lambda: engine.restarts == 1, 30, "the restart")
    second = engine.ready(60 * S)
    assert second.pid != first.pid
    assert second.port == first.port  # the bridges reconnect to the URL they know
    assert "session.created" in _session_created(second, KEY)


def test_stop_ends_the_child(engine: EngineProcess) -> None:
    pid = engine.ready(60 * S).pid
    engine.stop()
    assert _gone(pid)
    with pytest.raises(ConnectionFailed, match="stopped"):
        engine.ready(1)


def test_the_child_ends_when_the_app_is_killed(tmp_path: Path) -> None:
    # A stand-in for the app: it starts the engine, prints the child's pid and waits. SIGKILL
    # gives it no chance to clean up; the child sees its standard input close and ends.
    script = textwrap.dedent(
        f"""
        import sys, time
        from realtime.ui.engine_process import EngineProcess
        process = EngineProcess(key={KEY!r}, args={list(LIGHT)!r}).start()
        print(process.ready(60).pid, flush=True)
        time.sleep(600)
        """
    )
    app = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert app.stdout is not None
        child = int(app.stdout.readline())
        assert not _gone(child)
        app.kill()
        app.wait()
        eventually(lambda: _gone(child), 10, "the engine to end after its app was killed")
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        if app.stdout is not None:
            app.stdout.close()


def test_an_engine_that_cannot_start_says_so_in_a_sentence() -> None:
    process = EngineProcess(
        key=KEY, args=("--asr-url", "not a url"), restart_delays=(0.01, 0.01), held_s=60
    ).start()
    try:
        with pytest.raises(ConnectionFailed, match="stopped again and again") as caught:
            process.ready(60 * S)
        assert "Traceback" not in str(caught.value)
        assert process.restarts == 2
    finally:
        process.stop()


@pytest.mark.parametrize(
    "line",
    [
        "loading models ...",
        "{not json",
        '{"ready": false}',
        '{"ready": true, "url": "ws://x/v1"}',
        '{"ready": true, "url": "u", "port": "x", "answers": "a", "voices": [], "pid": 1}',
        "[1, 2]",
    ],
)
def test_other_lines_are_not_a_ready_line(line: str) -> None:
    assert _parse_ready(line) is None
