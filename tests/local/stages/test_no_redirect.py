"""The delegated services (chat, transcription, speech) never follow a redirect: a key meant for
one service must not reach the host it points at. Real loopback servers, port 0."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from realtime.local.stages.asr.transcription_http import HttpTranscriber
from realtime.local.stages.responders.chat_http import ChatCompletionsResponder
from realtime.local.stages.responders.responder import Message, ResponseRequest
from realtime.local.stages.tts.speech_http import HttpSynthesizer
from realtime.protocol.errors import EngineError

KEY = "sk-the-services-own-key"


def _serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A second host that records every request it gets, and a service redirecting to it."""
    seen: list[dict[str, str]] = []

    class Record(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._record()

        def do_POST(self) -> None:
            self._record()

        def _record(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    other = _serve(Record)
    target = f"http://127.0.0.1:{other.server_port}/steal"

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(302)  # urllib follows a 302 after a POST, as a GET
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    service = _serve(Redirect)
    try:
        yield f"http://127.0.0.1:{service.server_port}/v1", seen
    finally:
        for server in (service, other):
            server.shutdown()
            server.server_close()


def test_speech_refuses_a_redirect(elsewhere: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = elsewhere
    with pytest.raises(EngineError, match="302"):
        list(HttpSynthesizer(url, api_key=KEY).stream("Hello there."))
    assert seen == []


def test_transcription_refuses_a_redirect(elsewhere: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = elsewhere
    with pytest.raises(EngineError, match="302"):
        HttpTranscriber(url, api_key=KEY).transcribe(b"\x01\x00" * 2400)
    assert seen == []


def test_chat_refuses_a_redirect(elsewhere: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = elsewhere
    request = ResponseRequest((Message("message", "user", "Hi"),))
    with pytest.raises(EngineError, match="302"):
        ChatCompletionsResponder(url, api_key=KEY).respond(request)
    assert seen == []
