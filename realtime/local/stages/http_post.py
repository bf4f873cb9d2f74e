"""One POST to a delegated audio service, its answer bounded and every failure an ``EngineError``.

Runs on the worker thread of the HTTP transcriber or synthesiser that calls it
(``realtime.local.stages.asr.transcription_http``, ``realtime.local.stages.tts.speech_http``),
one request per turn or per sentence. A body goes out (with ``Authorization: Bearer`` only when
a key is given) through ``no_redirect``'s opener; the answer's bytes come back, refused past
``limit`` whether or not the peer declared its length. A status, a timeout or a broken answer
becomes an ``EngineError`` naming the URL and the status, never the peer's body.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from realtime.local.stages.no_redirect import Opener
from realtime.protocol.errors import EngineError

__all__ = ["post"]

_CHUNK = 64 * 1024


def post(
    url: str,
    body: bytes,
    content_type: str,
    *,
    what: str,
    api_key: str | None,
    timeout: float,
    limit: int,
    opener: Opener,
) -> bytes:
    """The answer's body to ``body`` POSTed to ``url``; ``what`` names the service in errors."""
    headers = {"Content-Type": content_type}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener(request, timeout=timeout) as answer:
            status = int(getattr(answer, "status", 200) or 200)
            if not 200 <= status < 300:
                raise EngineError(f"The {what} service {url} answered HTTP {status}.")
            return _read_bounded(answer, limit, url)
    except urllib.error.HTTPError as exc:
        exc.close()  # its body is the peer's text: never shown
        hint = " (is the API key right?)" if exc.code in (401, 403) else ""
        raise EngineError(f"The {what} service {url} answered HTTP {exc.code}{hint}.") from exc
    except urllib.error.URLError as exc:
        raise EngineError(f"Cannot reach the {what} service {url}: {exc.reason}") from exc
    except TimeoutError as exc:
        raise EngineError(f"The {what} service {url} did not answer within {timeout} s.") from exc
    except OSError as exc:
        raise EngineError(f"The {what} service {url} broke off its answer: {exc}") from exc


def _read_bounded(answer: Any, limit: int, url: str) -> bytes:
    declared = answer.headers.get("Content-Length") if answer.headers else None
    if declared and declared.strip().isdigit() and int(declared) > limit:
        raise EngineError(f"{url} answered {int(declared)} bytes, more than the {limit} allowed.")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = answer.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise EngineError(f"{url} answered more than the {limit} bytes allowed.")
