"""A scripted Realtime server on loopback that asks the client to approve an MCP call.

Runs on a ``ServerThread`` (its own loop) at 127.0.0.1 and a free port. It speaks the GA events
of ``tests/fixtures/turns/mcp_approval_ga.jsonl``: a typed user message gets a response whose one
output is an ``mcp_approval_request``, then ``response.done``; every client event it receives
is kept (``received``, read from the test's thread), and the answer item is echoed as the hosted
API does. A ``response.create`` after the answer gets an empty, completed response.
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
    # The recording's first response (1.0 s to 2.0 s): it asks, then ends.
    asks = [line["event"] for line in lines if 1.0 <= line["t"] < 2.0]
    return {"session": lines[0]["event"], "asks": asks}


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
                echo = {
                    "type": "conversation.item.added",
                    "event_id": "e_echo",
                    "previous_item_id": "mcpr_1",
                    "item": event["item"],
                }
                await ws.send(json.dumps(echo))
            elif kind == "response.create":
                responses += 1
                if responses == 1:
                    for step in self._script["asks"]:
                        await ws.send(json.dumps(step))
                else:
                    await self._empty_response(ws, f"resp_after_{responses}")

    async def _empty_response(self, ws: ServerConnection, rid: str) -> None:
        response = {"object": "realtime.response", "id": rid, "status": "in_progress", "output": []}
        await ws.send(
            json.dumps({"type": "response.created", "event_id": "e_rc", "response": response})
        )
        done = {**response, "status": "completed"}
        await ws.send(json.dumps({"type": "response.done", "event_id": "e_rd", "response": done}))
