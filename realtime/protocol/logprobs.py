"""Transcription logprobs: the hosted ``{token, logprob, bytes}`` entries, and the words they
make.

Pure; both ends use it. A session whose ``include`` names
``item.input_audio_transcription.logprobs`` gets, in its
``conversation.item.input_audio_transcription.delta`` and ``.completed`` events, one entry per
token of the transcript (the SDK's ``LogProbProperties``). The client keeps them
(:func:`from_wire`) and shows the words the transcriber was unsure of (:func:`words`); the
bundled engine makes them from Whisper's word probabilities (:func:`from_words`).

A token's ``bytes`` are its UTF-8 bytes (a token may hold half a character, so words are put
together from bytes, then decoded); a token whose bytes start with white space starts a word,
and a word's probability is that of all its tokens together: ``exp(sum of logprobs)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from realtime.protocol.session_schema import INCLUDE_LOGPROBS

__all__ = [
    "INCLUDE_LOGPROBS",
    "LOW_CONFIDENCE",
    "MAX_TOKENS",
    "TokenLogprob",
    "Word",
    "from_wire",
    "from_words",
    "to_wire",
    "words",
]

LOW_CONFIDENCE = 0.5  # a word below this probability is marked in the transcript
MAX_TOKENS = 4096  # kept per item: a transcript longer than this is shown unmarked past it
_MAX_TOKEN_BYTES = 64  # a longer "token" is no tokenizer's: refused
_SPACE = frozenset(b" \t\n\r")


@dataclass(frozen=True)
class TokenLogprob:
    """One entry of a ``logprobs`` array."""

    token: str
    logprob: float
    bytes: tuple[int, ...]


@dataclass(frozen=True)
class Word:
    """A word of the transcript (without its leading space) and how sure the transcriber was."""

    text: str
    probability: float

    @property
    def unsure(self) -> bool:
        return self.probability < LOW_CONFIDENCE


def from_wire(entries: Any) -> tuple[TokenLogprob, ...]:
    """The entries of an event's ``logprobs`` (None or absent: none). Raises ``ValueError``
    naming what is wrong with a malformed array (the caller records it as a protocol error)."""
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ValueError("logprobs is not an array")
    out = []
    for entry in entries[:MAX_TOKENS]:
        if not isinstance(entry, dict):
            raise ValueError("a logprobs entry is not an object")
        token, logprob, raw = entry.get("token"), entry.get("logprob"), entry.get("bytes")
        if not isinstance(token, str) or isinstance(logprob, bool):
            raise ValueError("a logprobs entry has no token or logprob")
        if not isinstance(logprob, int | float) or not logprob <= 0.0:
            raise ValueError("a logprob is not a number at most 0")
        if raw is None:
            raw = list(token.encode())
        if not isinstance(raw, list) or len(raw) > _MAX_TOKEN_BYTES:
            raise ValueError("a logprobs entry's bytes are not a short array")
        if not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in raw):
            raise ValueError("a logprobs entry's bytes are not bytes")
        out.append(TokenLogprob(token, float(logprob), tuple(raw)))
    return tuple(out)


def to_wire(tokens: Iterable[TokenLogprob]) -> list[dict[str, Any]]:
    """The hosted shape: ``[{"token", "logprob", "bytes"}]``."""
    return [{"token": t.token, "logprob": t.logprob, "bytes": list(t.bytes)} for t in tokens]


def words(tokens: Iterable[TokenLogprob]) -> list[Word]:
    """The words the tokens make, each with the probability of all its tokens together."""
    out: list[Word] = []
    raw, logprob = bytearray(), 0.0
    for token in tokens:
        if token.bytes and token.bytes[0] in _SPACE and raw.strip():
            out.append(Word(raw.decode(errors="replace").strip(), math.exp(logprob)))
            raw, logprob = bytearray(), 0.0
        raw.extend(token.bytes)
        logprob += token.logprob
    if raw.strip():
        out.append(Word(raw.decode(errors="replace").strip(), math.exp(logprob)))
    return out


def from_words(pairs: Iterable[tuple[str, float]]) -> tuple[TokenLogprob, ...]:
    """Tokens in the hosted shape from ``(word, probability)`` pairs (faster-whisper's words,
    their leading space included): one token per word, since Whisper's decoder gives the
    probability of a word (the mean of its tokens') and not of each of its tokens."""
    out = []
    for text, probability in pairs:
        if not text:
            continue
        logprob = math.log(probability) if probability > 0.0 else -100.0
        out.append(TokenLogprob(text, min(0.0, logprob), tuple(text.encode())))
    return tuple(out)
