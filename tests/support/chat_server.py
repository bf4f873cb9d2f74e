"""A fake OpenAI-compatible chat-completions server on loopback, for ``--responder URL``.

Runs its own thread (``http.server`` with one thread per request) on 127.0.0.1 and a free port.
Every POST to ``/v1/chat/completions`` is recorded (its JSON body) and answered with ``answer``,
streamed as server-sent events word by word when the request asks to stream, else whole.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeChatServer"]


class FakeChatServer:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                if self.path != "/v1/chat/completions":
                    self.send_error(404)
                    return
                if not body.get("stream"):
                    message = {"role": "assistant", "content": owner.answer}
                    self._send("application/json", json.dumps({"choices": [{"message": message}]}))
                    return
                words = owner.answer.split(" ")
                events = [
                    {"choices": [{"delta": {"content": w if i == 0 else " " + w}}]}
                    for i, w in enumerate(words)
                ]
                sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
                self._send("text/event-stream", sse)

            def _send(self, kind: str, text: str) -> None:
                data = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)
