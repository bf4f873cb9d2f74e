"""One way to open a delegated service's URL: ``urllib`` with redirects refused.

Used by the chat, transcription and speech backends (``responders.chat_http``,
``asr.transcription_http``, ``tts.speech_http``), on their worker threads. urllib's default
opener follows a redirect and copies the request's headers to the new URL, so a key meant for
one service would go to any host that service points at. Here a redirect is an ``HTTPError``
with its 3xx status, which the backends report as a plain refusal. ``endpoint`` is how each
backend reads the URL it is given: the API base or its full endpoint.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any

__all__ = ["Opener", "endpoint", "open_url"]

Opener = Callable[..., Any]
"""``open_url``'s shape: what the backends take, so tests can hand them another."""


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_RefuseRedirects())


def open_url(request: urllib.request.Request, *, timeout: float) -> Any:
    """``urlopen`` without following redirects."""
    return _OPENER.open(request, timeout=timeout)


def endpoint(base_url: str, path: str) -> str:
    """``base_url`` with ``path`` (``/chat/completions``) joined on, unless it already ends so."""
    base = base_url.rstrip("/")
    return base if base.endswith(path) else f"{base}{path}"
