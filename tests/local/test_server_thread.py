"""ServerThread: a websockets server on a loop thread, port 0, start/stop from any thread."""

from __future__ import annotations

import socket
import threading

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from realtime.local.server_thread import ServerThread
from tests.support.bridge import S


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


def threads_named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_port_zero_binds_a_free_port_and_serves_until_stopped() -> None:
    server = ServerThread(echo, name="test-echo").start()
    assert server.port is not None and server.port > 0
    assert server.url == f"ws://127.0.0.1:{server.port}"
    assert server.start() is server and server.port == server.port  # start is idempotent
    with connect(server.url, open_timeout=5 * S) as ws:
        ws.send("ping")
        assert ws.recv(timeout=5 * S) == "ping"
    server.stop()
    server.stop()  # idempotent
    assert threads_named("test-echo") == []
    with pytest.raises(OSError):
        connect(server.url, open_timeout=5 * S)


def test_stop_closes_open_connections_with_going_away() -> None:
    with ServerThread(echo) as server, connect(server.url, open_timeout=5 * S) as ws:
        server.stop()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5 * S)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001


def test_start_and_stop_from_other_threads() -> None:
    server = ServerThread(echo, name="test-threads")
    starter = threading.Thread(target=server.start)
    starter.start()
    starter.join(5 * S)
    assert server.port is not None
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(5 * S)
    assert not stopper.is_alive() and threads_named("test-threads") == []


def test_stop_from_the_loop_itself_does_not_join_itself() -> None:
    stopped = threading.Event()
    server: ServerThread

    async def stop_at_once(ws: ServerConnection) -> None:
        server.stop()  # on the server's own loop thread: must return, not self-join
        stopped.set()

    server = ServerThread(stop_at_once, name="test-self-stop").start()
    with pytest.raises(ConnectionClosed), connect(server.url, open_timeout=5 * S) as ws:
        ws.recv(timeout=5 * S)
    assert stopped.wait(5 * S)
    for thread in threads_named("test-self-stop"):
        thread.join(5 * S)
    assert threads_named("test-self-stop") == []


def test_a_taken_port_fails_in_the_callers_thread() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            ServerThread(echo, port=port, name="test-taken").start()
    assert threads_named("test-taken") == []


def test_stop_before_start_leaves_nothing_running() -> None:
    server = ServerThread(echo, name="test-early-stop")
    server.stop()
    server.start()  # binds, hears the earlier stop and ends
    for thread in threads_named("test-early-stop"):
        thread.join(5 * S)
    assert threads_named("test-early-stop") == []


def test_submit_runs_on_the_servers_loop() -> None:
    idle = ServerThread(echo)
    with pytest.raises(RuntimeError, match="not running"):
        idle.submit(_thread_name())

    with ServerThread(echo, name="test-submit") as server:
        assert server.submit(_thread_name()).result(5 * S) == "test-submit"


async def _thread_name() -> str:
    return threading.current_thread().name
