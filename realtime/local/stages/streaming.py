"""Sentences out of a stream of text deltas, for speaking an answer while it is generated.

Pure; runs on a response's worker thread. A language model yields a few characters at a time;
:class:`SentenceBuffer` hands back each sentence once the text after it shows it has ended
(the same rules as ``realtime.local.stages.tts.sentences``, so "Dr. Smith" stays whole), and
:meth:`SentenceBuffer.flush` the rest when the stream ends.
"""

from __future__ import annotations

from realtime.local.stages.tts import sentences

__all__ = ["SentenceBuffer"]


class SentenceBuffer:
    """Feed text deltas; get complete sentences back, in order."""

    def __init__(self) -> None:
        self._text = ""

    def feed(self, delta: str) -> list[str]:
        """The sentences ``delta`` completed (the last part may still grow: it is kept)."""
        self._text += delta
        parts = sentences(self._text)
        if len(parts) < 2:
            return []
        done, last = parts[:-1], parts[-1]
        tail = self._text.rstrip()
        # keep the raw tail (its leading space matters to the next split), not the stripped part
        self._text = self._text[tail.rfind(last) :] if last and tail.rfind(last) >= 0 else last
        return done

    def flush(self) -> list[str]:
        """Whatever is left, as sentences; the buffer is empty afterwards."""
        text, self._text = self._text, ""
        return sentences(text)
