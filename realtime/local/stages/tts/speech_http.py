"""Text to speech delegated to an OpenAI-compatible HTTP service, beside in-process Piper.

Runs on a response's worker thread in the local server, one request per sentence.
:class:`HttpSynthesizer` POSTs each sentence (``realtime.local.stages.text.sentences``) as JSON
to ``URL/audio/speech`` with ``response_format: pcm`` (raw PCM16 24 kHz mono, as OpenAI sends
it) and also takes a WAV answer at any rate (resampled to 24 kHz). ``urllib`` only, as in the
other delegated backends; the request and its failures go through
``realtime.local.stages.http_post`` (a bounded answer, an ``EngineError`` naming the URL and the
status, never the peer's body).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from realtime.local.stages.http_post import post
from realtime.local.stages.no_redirect import Opener, endpoint, open_url
from realtime.local.stages.tts.synthesizer import by_sentence, checked_speed
from realtime.protocol.errors import EngineError, ProtocolError
from realtime.protocol.wav import read_wav

__all__ = ["MAX_AUDIO_BYTES", "HttpSynthesizer", "audio_from_body"]

MAX_AUDIO_BYTES = 50 * 1024 * 1024  # one sentence of speech is far less (24 kHz: 48 kB/s)


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


class HttpSynthesizer:
    """A :class:`~realtime.local.stages.tts.synthesizer.Synthesizer` backed by
    ``URL/audio/speech``.

    ``voice`` goes to the service as is; ``speed`` is checked against the session schema's range.
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
        answer = post(
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
