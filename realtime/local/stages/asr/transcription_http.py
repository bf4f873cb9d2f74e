"""Speech to text delegated to an OpenAI-compatible HTTP service, beside in-process Whisper.

Runs on the local server's transcription worker, one request per turn. :class:`HttpTranscriber`
POSTs the turn as a WAV file (PCM16 24 kHz mono) in ``multipart/form-data`` to
``URL/audio/transcriptions`` and reads ``{"text": ...}`` (asked for logprobs, it sends
``include[]=logprobs`` and reads the answer's ``logprobs``, OpenAI's shape; a service that
gives none leaves the transcript without). ``urllib`` only, as in the other
delegated backends; the request and its failures go through ``realtime.local.stages.http_post``
(a bounded answer, an ``EngineError`` naming the URL and the status, never the peer's body).
The pure helpers (multipart encoding, the answer's check) come first, the I/O after.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Mapping

from realtime.local.stages.asr.transcriber import Transcript
from realtime.local.stages.http_post import post
from realtime.local.stages.no_redirect import Opener, endpoint, open_url
from realtime.protocol.errors import EngineError
from realtime.protocol.facts import SAMPLE_RATE
from realtime.protocol.logprobs import from_wire
from realtime.protocol.pcm import duration_ms
from realtime.protocol.wav import write_wav

__all__ = [
    "MAX_JSON_BYTES",
    "HttpTranscriber",
    "multipart_body",
    "transcript_from_json",
    "wav_bytes",
]

MAX_JSON_BYTES = 1024 * 1024  # a transcript


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
    try:
        tokens = from_wire(data.get("logprobs"))
    except ValueError as exc:
        raise EngineError(f"The transcription service {url} answered bad logprobs: {exc}") from exc
    return Transcript(
        data["text"].strip(), language if isinstance(language, str) else None, length_ms, tokens
    )


# ---- I/O ----------------------------------------------------------------------------------
class HttpTranscriber:
    """A :class:`~realtime.local.stages.asr.transcriber.Transcriber` backed by
    ``URL/audio/transcriptions``.

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
        self,
        pcm24k: bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        logprobs: bool = False,
    ) -> Transcript:
        length = duration_ms(len(pcm24k))
        if not pcm24k:
            return Transcript("", language, length)
        fields = {"model": self.model, "response_format": "json"}
        if logprobs:
            fields["include[]"] = "logprobs"
        if language:
            fields["language"] = language
        if prompt:
            fields["prompt"] = prompt
        body, content_type = multipart_body(
            fields, {"file": ("turn.wav", "audio/wav", wav_bytes(pcm24k))}
        )
        answer = post(
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
