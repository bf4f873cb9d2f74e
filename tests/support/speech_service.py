"""A fake OpenAI-compatible speech service on loopback: ``/v1/audio/transcriptions`` and
``/v1/audio/speech``, each on a ``ThreadingHTTPServer`` thread bound to port 0.

The test sets what each route answers (``Reply``: status, content type, body, or a delay) and
reads back what the service received (``requests``: path, headers, form fields, files, JSON),
parsed on the server's threads and checked on the test's. ``fails`` runs a call that must fail
and checks that the peer's body (``SECRET``) is not in the error.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from realtime.protocol.errors import EngineError

__all__ = [
    "SECRET",
    "SPEECH",
    "TRANSCRIBE",
    "Received",
    "Reply",
    "SpeechService",
    "fails",
    "flat_pcm",
    "parse_multipart",
]

SECRET = b"SECRET-BODY-TEXT from the peer"
TRANSCRIBE = "/v1/audio/transcriptions"
SPEECH = "/v1/audio/speech"


def flat_pcm(samples: int, value: int = 1000) -> bytes:
    """``samples`` PCM16 samples all at ``value``."""
    return np.full(samples, value, "<i2").tobytes()


def fails(call: Any, match: str) -> str:
    """The message of the ``EngineError`` that ``call()`` raises; it never holds the peer's
    body."""
    with pytest.raises(EngineError, match=match) as caught:
        call()
    message = str(caught.value)
    assert SECRET.decode() not in message and "SECRET" not in message
    return message


@dataclass
class Reply:
    """What a route answers; ``length=False`` leaves out Content-Length (the body ends at
    close), ``hold`` makes the handler wait for the service's release before answering."""

    status: int = 200
    content_type: str = "application/json"
    body: bytes = b'{"text": "hello"}'
    length: bool = True
    hold: bool = False


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    json: Any = None


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Any]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        filename = part.get_filename()
        if filename:
            files[name] = (filename, part.get_content_type(), data)
        else:
            fields[name] = data.decode()
    return fields, files


class SpeechService:
    """Start on construction, :meth:`close` (or ``with``) to stop; see the module docstring."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {
            "/v1/audio/transcriptions": Reply(),
            "/v1/audio/speech": Reply(content_type="audio/pcm", body=bytes(4800)),
        }
        self.requests: list[Received] = []
        self.release = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size)
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()})
                content_type = self.headers.get("Content-Type", "")
                if content_type.startswith("multipart/form-data"):
                    received.fields, received.files = parse_multipart(content_type, body)
                elif content_type == "application/json":
                    received.json = json.loads(body)
                service.requests.append(received)
                reply = service.replies.get(self.path, Reply(404, "text/plain", b"no route"))
                if reply.hold:
                    service.release.wait(10)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.length:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up first (a refused size, a timeout)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="test-speech-service", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> SpeechService:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
