"""How much of Whisper's 30-second window a turn needs: pure sizing and sanity rules.

Whisper's encoder is trained on 30 s of log-mel frames (3000 at 100 frames a second), and
faster-whisper always pads a turn to that, so the encoder costs the same whatever the turn's
length. CTranslate2's encoder accepts fewer frames, and its cost falls with them (figures in
docs/benchmarks.md). A window just longer than the speech can make the decoder loop ("How How
How..."); twice the speech, and never under 5 s, transcribed every test utterance as the full
window did. So:

- :func:`encoder_frames`: the window for a turn of ``frames`` mel frames (None when the turn is
  too long for a short window: the caller takes faster-whisper's own 30 s path);
- :func:`token_budget`: the most tokens a turn of that length can honestly hold;
- :func:`looks_looped`: a runaway decode: Whisper's own test (text that compresses too well),
  and a phrase said twice in a row, which a short window sometimes makes of one question
  ("What time is it in Tokyo? What time is it in Tokyo?", seen in the browser test).

A decode that hits the budget or looks looped is done again the standard way, so a short window
can only make a turn faster, never worse than the 30 s path.
"""

from __future__ import annotations

import re
import zlib

__all__ = [
    "FULL_WINDOW",
    "MIN_WINDOW",
    "encoder_frames",
    "looks_looped",
    "token_budget",
]

FULL_WINDOW = 3000  # 30 s of 10 ms mel frames: what Whisper was trained on
MIN_WINDOW = 500  # 5 s: below this, short turns started to decode badly
_GRANULE = 100  # windows in whole seconds, so a few shapes recur (CTranslate2 caches nothing by
# shape, but steady sizes keep the cost of a turn predictable)
_COMPRESSION_LIMIT = 2.4  # faster-whisper's compression_ratio_threshold
_MIN_REPEAT = 3  # words in a phrase that, said twice in a row, marks a runaway decode
_PUNCT = re.compile(r"[^\w']+")
_TOKENS_PER_SECOND = 12  # fast speech is about 6 (4 words a second); twice that is a runaway


def encoder_frames(frames: int) -> int | None:
    """The encoder window for ``frames`` mel frames of speech, or None for the 30 s path."""
    if frames <= 0:
        return MIN_WINDOW
    window = max(MIN_WINDOW, 2 * frames)
    window = -(-window // _GRANULE) * _GRANULE
    return window if window < FULL_WINDOW else None


def token_budget(frames: int) -> int:
    """The most text tokens a decode of ``frames`` mel frames may produce."""
    return 16 + _TOKENS_PER_SECOND * max(1, -(-frames // 100))


def looks_looped(text: str) -> bool:
    """True when ``text`` repeats itself the way a runaway decode does."""
    data = text.strip().encode()
    if len(data) >= 24 and len(data) / len(zlib.compress(data)) > _COMPRESSION_LIMIT:
        return True
    return _said_twice(_PUNCT.sub(" ", text.lower()).split())


def _said_twice(words: list[str]) -> bool:
    """A run of at least ``_MIN_REPEAT`` words followed at once by the same run (people do say
    "no, no, no"; they seldom repeat a whole phrase word for word, and if they do, the 30 s
    window transcribes it again, only slower)."""
    for size in range(_MIN_REPEAT, len(words) // 2 + 1):
        for start in range(len(words) - 2 * size + 1):
            if words[start : start + size] == words[start + size : start + 2 * size]:
                return True
    return False
