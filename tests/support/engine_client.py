"""A sync WebSocket client of the local engine for tests: it keeps every event it received.

Runs on the test's thread against an ``EngineServer`` on port 0 (``websockets``' sync client).
Waits are multiples of the tests' one time unit, ``S``: ``TURN`` for a spoken turn (ASR,
responder and TTS on two busy cores), ``QUICK`` for anything without a model.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from typing import Any

from websockets.sync.client import ClientConnection, connect

from realtime.protocol.pcm import bytes_for_ms, chunk_pcm16
from tests.support.bridge import S

__all__ = ["QUICK", "TEXT_ONLY", "TURN", "Client", "of_type", "open_client"]

TURN = 30 * S  # a spoken turn: ASR + responder + TTS on 2 busy cores
QUICK = 5 * S  # anything without a model
TEXT_ONLY = {"type": "realtime", "output_modalities": ["text"]}


class Client:
    """A sync client that keeps every event it received, in order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []

    def send(self, event_type: str, **fields: Any) -> None:
        self.ws.send(json.dumps({"type": event_type, **fields}))

    def recv(self, timeout: float = QUICK) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        self.events.append(event)
        return event

    def until(self, event_type: str, timeout: float = QUICK) -> list[dict[str, Any]]:
        """Events up to and including the next ``event_type``."""
        seen = []
        while True:
            event = self.recv(timeout)
            seen.append(event)
            if event["type"] == event_type:
                return seen

    def update(self, **session: Any) -> dict[str, Any]:
        self.send("session.update", session=session)
        return self.until("session.updated")[-1]["session"]

    def say(self, text: str) -> None:
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        self.send("conversation.item.create", item=item)
        self.send("response.create")

    def stream(self, pcm: bytes, *, lead_ms: int = 200, tail_ms: int = 1000) -> None:
        audio = bytes(bytes_for_ms(lead_ms)) + pcm + bytes(bytes_for_ms(tail_ms))
        for chunk in chunk_pcm16(audio, 20):
            self.send("input_audio_buffer.append", audio=base64.b64encode(chunk).decode())

    def error(self) -> dict[str, Any]:
        event = self.until("error")[-1]
        return dict(event["error"])


@contextlib.contextmanager
def open_client(url: str, **headers: str) -> Iterator[Client]:
    with connect(url, additional_headers=headers, max_size=None) as ws:
        client = Client(ws)
        assert client.recv()["type"] == "session.created"
        yield client


def of_type(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == event_type]
