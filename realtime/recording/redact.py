"""Keeping secrets and audio bulk out of what is shown or saved: the event log and the exports.

Pure and cheap; runs on whichever thread calls it: the bridge thread when the event log records
an event, the Streamlit script thread when a transcript is exported. What flows through is wire
events (plain JSON dicts) and transcript text. A copy comes out; the input is never changed,
because the bridge hands the log the very dict it sent.

Three rules, applied at any depth:
- a value under a key named like a credential (``authorization``, ``api-key``, ``token``,
  ``secret``, ``password`` ...) is replaced by ``[redacted]`` whatever it is, and so is every
  value of an MCP tool's ``headers`` (``{"type": "mcp", ...}``; their names are kept);
- inside every string, anything shaped like an OpenAI key (``sk-...``, ``ek_...``) or a
  ``Bearer ...`` credential, and every value registered with :meth:`Redactor.add_secret` (the
  real API key), is replaced by ``[redacted]``;
- audio payloads (base64 PCM16 24 kHz mono: ``audio`` anywhere, ``delta`` of audio deltas) are
  replaced by a summary such as ``<audio: 4800 bytes, 100.0 ms>``, computed from the base64
  length without decoding;
- images sent as data URIs (``image_url`` of ``input_image`` parts) likewise become their type
  and size, such as ``<image: image/png, 20480 bytes>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from realtime.protocol.pcm import duration_ms

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "Redactor", "audio_summary", "image_summary"]

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8  # shorter registered values could not be told apart from ordinary text

# Event types whose top-level ``delta`` is base64 audio (GA and beta spellings).
_AUDIO_DELTA_TYPES = frozenset({"response.output_audio.delta", "response.audio.delta"})
_AUDIO_SUMMARY = re.compile(r"<audio: (\d+) bytes, [0-9.]+ ms>")
_SECRET_KEY = re.compile(
    r"authori[sz]ation|api[-_]?key|secret|passw(?:or)?d|credential|cookie"
    r"|token$",  # token, access_token, refreshToken; not input_tokens or input_token_details
    re.IGNORECASE,
)
_SECRET_VALUE = re.compile(
    r"(?<![A-Za-z0-9])(?:sk|rk)-[A-Za-z0-9_-]{16,}"  # secret and restricted keys, sk-proj-...
    r"|(?<![A-Za-z0-9])ek_[A-Za-z0-9_-]{16,}"  # ephemeral client secrets
    r"|(?i:\bbearer)\s+[A-Za-z0-9._~+/=-]{8,}"  # an Authorization header value
)


_DATA_URI = re.compile(r"data:([\w.+/-]{1,100})(;[^,]{0,100})?,", re.ASCII)


def image_summary(url: str) -> str:
    """``<image: TYPE, N bytes>`` for a base64 data URI (size from its length, not decoded);
    any other URL is kept, scrubbed by the caller."""
    match = _DATA_URI.match(url)
    if match is None:
        return url
    payload = url[match.end() :]
    padding = min(2, len(payload) - len(payload.rstrip("=")))
    size = max(0, len(payload) * 3 // 4 - padding)
    return f"<image: {match.group(1)}, {size} bytes>"


def audio_summary(payload: str) -> tuple[str, int]:
    """``("<audio: N bytes, D ms>", N)`` for a base64 PCM16 24 kHz mono payload.

    The byte count comes from the length (4 characters carry 3 bytes, minus ``=`` padding), so
    a large payload is never decoded. A payload that already is a summary is kept as it is,
    which makes sanitising a loaded JSONL log idempotent.
    """
    done = _AUDIO_SUMMARY.fullmatch(payload)
    if done:
        return payload, int(done.group(1))
    text = payload.strip()
    padding = min(2, len(text) - len(text.rstrip("=")))
    size = max(0, len(text) * 3 // 4 - padding)
    return f"<audio: {size} bytes, {duration_ms(size):.1f} ms>", size


class Redactor:
    """Scrubs secrets (and, for events, audio payloads) out of JSON values and text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str | None) -> None:
        """Scrub ``value`` wherever it appears from now on; short or empty values are ignored."""
        if value and len(value.strip()) >= MIN_SECRET_LENGTH and value not in self._secrets:
            # Longest first, so a key that contains another registered value goes as a whole.
            # One tuple assignment: readers on other threads see the old or the new set.
            self._secrets = tuple(sorted((*self._secrets, value), key=len, reverse=True))

    def text(self, value: str) -> str:
        """``value`` with registered secrets and key-shaped strings replaced."""
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return _SECRET_VALUE.sub(_replace_value, value)

    def value(self, value: Any) -> Any:
        """A scrubbed deep copy of a JSON value (dicts, lists, strings, numbers)."""
        return self._walk(value, audio=False)[0]

    def event(self, event: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        """A scrubbed copy of a wire event with audio summarised, and the audio byte count."""
        copy: dict[str, Any] = {}
        audio_bytes = 0
        is_delta = event.get("type") in _AUDIO_DELTA_TYPES
        for key, item in event.items():
            name = self.text(str(key))
            if is_delta and key == "delta" and isinstance(item, str):
                copy[name], audio_bytes = audio_summary(item)
            else:
                copy[name], size = self._walk(item, audio=True, key=name)
                audio_bytes += size
        return copy, audio_bytes

    def _walk(self, value: Any, *, audio: bool, key: str = "") -> tuple[Any, int]:
        if key and _SECRET_KEY.search(key):
            return REDACTED, 0
        if isinstance(value, str):
            if audio and key == "audio":
                return audio_summary(value)
            if key == "image_url":
                return self.text(image_summary(value)), 0
            return self.text(value), 0
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            total = 0
            mcp_tool = value.get("type") == "mcp"
            for k, v in value.items():
                name = self.text(str(k))
                if mcp_tool and name == "headers" and isinstance(v, Mapping):
                    out[name] = {self.text(str(header)): REDACTED for header in v}
                    continue
                out[name], size = self._walk(v, audio=audio, key=name)
                total += size
            return out, total
        if isinstance(value, list | tuple):
            pairs = [self._walk(v, audio=audio) for v in value]
            return [v for v, _ in pairs], sum(size for _, size in pairs)
        if value is None or isinstance(value, bool | int | float):
            return value, 0
        return self.text(repr(value)), 0  # not JSON: keep a readable, scrubbed trace of it


def _replace_value(match: re.Match[str]) -> str:
    found = match.group(0)
    if found[:6].lower() == "bearer":
        return f"{found[:6]} {REDACTED}"
    return REDACTED
