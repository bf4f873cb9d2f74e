"""ASR and TTS delegated to an OpenAI-compatible HTTP service, beside the in-process stages.

Runs on the worker threads of the local server, one request per turn (ASR) or per sentence
(TTS). :class:`HttpTranscriber` POSTs the turn as a WAV file (PCM16 24 kHz mono) in
``multipart/form-data`` to ``URL/audio/transcriptions`` and reads ``{"text": ...}``;
:class:`HttpSynthesizer` POSTs each sentence of :func:`~realtime.local.stages.tts.sentences` as
JSON to ``URL/audio/speech`` with ``response_format: pcm`` (raw PCM16 24 kHz mono, as OpenAI
sends it) and also takes a WAV answer at any rate (resampled to 24 kHz). ``urllib`` only, as
in ``chat_http``. Answers are bounded in size; every failure (a status, a timeout, a body of
the wrong shape) is an ``EngineError`` naming the URL and the status, never the peer's body.
The pure helpers (multipart encoding, body checks) come first, the I/O after.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from realtime.local.stages.asr import Transcript
from realtime.local.stages.no_redirect import Opener, endpoint, open_url
from realtime.local.stages.tts import by_sentence, checked_speed
from realtime.protocol.errors import EngineError, ProtocolError
from realtime.protocol.facts import SAMPLE_RATE
from realtime.protocol.pcm import duration_ms
from realtime.protocol.wav import read_wav, write_wav

__all__ = [
    "MAX_AUDIO_BYTES",
    "MAX_JSON_BYTES",
    "HttpSynthesizer",
    "HttpTranscriber",
    "audio_from_body",
    "multipart_body",
    "transcript_from_json",
    "wav_bytes",
]

MAX_AUDIO_BYTES = 50 * 1024 * 1024  # one sentence of speech is far less (24 kHz: 48 kB/s)
MAX_JSON_BYTES = 1024 * 1024  # a transcript
_CHUNK = 64 * 1024


# ---- pure helpers -------------------------------------------------------------------------
def wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    """PCM16 mono as the bytes of a WAV file."""
    out = io.BytesIO()
    write_wav(out, pcm, rate)
    return out.getvalue()


def multipart_body(
    fields: Mapping[str, str], files: Mapping[str, tuple[str, str, bytes]], boundary: str = ""
) -> tuple[bytes, str]:
    """``(body, content_type)`` of a ``multipart/form-data`` request; ``files`` maps a field
    name to ``(filename, content type, bytes)``."""
    boundary = boundary or f"realtime-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
        parts.append(head.encode() + value.encode("utf-8") + b"\r\n")
    for name, (filename, content_type, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"; '
            f'filename="{_quoted(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def transcript_from_json(body: bytes, url: str, length_ms: float) -> Transcript:
    """A ``Transcript`` from a transcription answer (``{"text": ..., "language": ...}``)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EngineError(f"The transcription service {url} did not answer JSON.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise EngineError(f"The transcription service {url} answered without a text field.")
    language = data.get("language")
    return Transcript(
        data["text"].strip(), language if isinstance(language, str) else None, length_ms
    )


def audio_from_body(body: bytes, url: str) -> bytes:
    """PCM16 24 kHz mono from a speech answer: raw PCM16 24 kHz (``pcm``) or a WAV file."""
    if body.startswith(b"RIFF"):
        try:
            return read_wav(io.BytesIO(body)).pcm
        except (ProtocolError, ValueError) as exc:
            raise EngineError(f"The speech service {url} answered an unreadable WAV.") from exc
    if len(body) % 2:
        raise EngineError(
            f"The speech service {url} answered {len(body)} bytes, not whole 16-bit samples: "
            "is it sending response_format pcm (raw PCM16 24 kHz mono) or WAV?"
        )
    return body


# ---- I/O ----------------------------------------------------------------------------------
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


def _post(
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


class HttpTranscriber:
    """A :class:`~realtime.local.stages.asr.Transcriber` backed by ``URL/audio/transcriptions``.

    ``base_url`` is the API base (``http://127.0.0.1:8000/v1``) or the full endpoint.
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "whisper-1",
        api_key: str | None = None,
        timeout: float = 30.0,
        opener: Opener = open_url,
    ) -> None:
        self.url = endpoint(base_url, "/audio/transcriptions")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self._open = opener

    def transcribe(
        self, pcm24k: bytes, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        length = duration_ms(len(pcm24k))
        if not pcm24k:
            return Transcript("", language, length)
        fields = {"model": self.model, "response_format": "json"}
        if language:
            fields["language"] = language
        if prompt:
            fields["prompt"] = prompt
        body, content_type = multipart_body(
            fields, {"file": ("turn.wav", "audio/wav", wav_bytes(pcm24k))}
        )
        answer = _post(
            self.url,
            body,
            content_type,
            what="transcription",
            api_key=self.api_key,
            timeout=self.timeout,
            limit=MAX_JSON_BYTES,
            opener=self._open,
        )
        transcript = transcript_from_json(answer, self.url, length)
        if transcript.language is None and language:
            return Transcript(transcript.text, language, length)
        return transcript


class HttpSynthesizer:
    """A :class:`~realtime.local.stages.tts.Synthesizer` backed by ``URL/audio/speech``.

    ``voice`` goes to the service as is; ``speed`` is checked against ``facts.SPEED_RANGE``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "tts-1",
        voice: str = "alloy",
        speed: float = 1.0,
        api_key: str | None = None,
        timeout: float = 30.0,
        opener: Opener = open_url,
    ) -> None:
        self.url = endpoint(base_url, "/audio/speech")
        self.model = model
        self.voice = voice
        self.speed = checked_speed(speed)
        self.api_key = api_key
        self.timeout = timeout
        self._open = opener

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        return by_sentence(self.synthesize, text)

    def synthesize(self, text: str) -> bytes:
        """``text`` as one PCM16 24 kHz mono clip, in one request."""
        body = {
            "model": self.model,
            "input": text,
            "voice": self.voice,
            "speed": self.speed,
            "response_format": "pcm",
        }
        answer = _post(
            self.url,
            json.dumps(body).encode(),
            "application/json",
            what="speech",
            api_key=self.api_key,
            timeout=self.timeout,
            limit=MAX_AUDIO_BYTES,
            opener=self._open,
        )
        return audio_from_body(answer, self.url)
