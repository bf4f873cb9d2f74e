"""A scripted Realtime server on loopback that asks the client to approve an MCP call.

Runs on a ``ServerThread`` (its own loop) at 127.0.0.1 and a free port. It speaks the GA events
of ``tests/fixtures/turns/mcp_approval_ga.jsonl``: a typed user message gets a response whose one
output is an ``mcp_approval_request``, then ``response.done``; every client event it receives
is kept (``received``, read from the test's thread). The answer item is echoed, and the server
goes on by itself as the hosted API does: the recorded call when approved, an empty response
when denied.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from websockets.asyncio.server import ServerConnection

from realtime.local.server_thread import ServerThread
from tests.fixtures.loader import load_turn

__all__ = ["ApprovalServer"]


def _script() -> dict[str, Any]:
    lines = [line for line in load_turn("mcp_approval_ga") if line["dir"] == "server"]
    # The recording's first response (1.0 s to 2.0 s) asks, then ends; the one the server
    # starts by itself after the answer (from 2.1 s) makes the call.
    asks = [line["event"] for line in lines if 1.0 <= line["t"] < 2.0]
    goes_on = [line["event"] for line in lines if line["t"] >= 2.1]
    return {"session": lines[0]["event"], "asks": asks, "goes_on": goes_on}


class ApprovalServer:
    """See the module docstring."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._script = _script()
        self._server = ServerThread(self._handle, name="test-mcp-approval").start(5)

    @property
    def url(self) -> str:
        return f"{self._server.url}/v1"

    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.received if e.get("type") == event_type]

    def stop(self) -> None:
        self._server.stop()

    async def _handle(self, ws: ServerConnection) -> None:
        await ws.send(json.dumps(self._script["session"]))
        responses = 0
        async for frame in ws:
            event = json.loads(frame)
            with self._lock:
                self.received.append(event)
            kind = event.get("type")
            if kind == "session.update":
                session = {**self._script["session"]["session"], **event["session"]}
                await ws.send(
                    json.dumps({"type": "session.updated", "event_id": "e_su", "session": session})
                )
            elif (
                kind == "conversation.item.create"
                and event["item"]["type"] == "mcp_approval_response"
            ):
                await self._answered(ws, event["item"])
            elif kind == "response.create":
                responses += 1
                if responses == 1:
                    for step in self._script["asks"]:
                        await ws.send(json.dumps(step))

    async def _answered(self, ws: ServerConnection, answer: dict[str, Any]) -> None:
        """Echo the answer, then go on by itself: the recorded call when approved, an empty
        response when denied (no ``response.create`` is awaited)."""
        echo = {"type": "conversation.item.added", "event_id": "e_echo", "item": answer}
        await ws.send(json.dumps({**echo, "previous_item_id": "mcpr_1"}))
        if answer.get("approve") is True:
            for step in self._script["goes_on"]:
                await ws.send(json.dumps(step))
        else:
            await self._empty_response(ws, "resp_denied")

    async def _empty_response(self, ws: ServerConnection, rid: str) -> None:
        response = {"object": "realtime.response", "id": rid, "status": "in_progress", "output": []}
        await ws.send(
            json.dumps({"type": "response.created", "event_id": "e_rc", "response": response})
        )
        done = {**response, "status": "completed"}
        await ws.send(json.dumps({"type": "response.done", "event_id": "e_rd", "response": done}))
