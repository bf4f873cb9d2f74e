"""Sentences out of a stream of text deltas, for speaking an answer while it is generated.

Pure; runs on a response's worker thread. A language model yields a few characters at a time;
:class:`SentenceBuffer` hands back each sentence once the text after it shows it has ended
(the same rules as ``realtime.local.stages.text.sentences.sentences``, so "Dr. Smith" stays
whole), and :meth:`SentenceBuffer.flush` the rest when the stream ends. A long first sentence is
handed back in two pieces, its first clause as soon as a few words follow it (``lead_clause``
there), so the first audio need not wait for its end.
"""

from __future__ import annotations

import re

from realtime.local.stages.text.sentences import lead_clause, sentences

__all__ = ["SentenceBuffer"]


class SentenceBuffer:
    """Feed text deltas; get complete sentences back, in order."""

    def __init__(self) -> None:
        self._text = ""
        self._led = False  # the answer's first piece has been handed back

    def feed(self, delta: str) -> list[str]:
        """The sentences ``delta`` completed (the last part may still grow: it is kept)."""
        self._text += delta
        parts = sentences(self._text)
        if not self._led and parts:
            lead = lead_clause(parts[0])
            if len(lead) == 2:  # the opening clause, with words after it: speak it now
                self._led = True
                self._text = _after_words(self._text, len(lead[0].split()))
                return [lead[0], *self.feed("")]
        if len(parts) < 2:
            return []
        self._led = True
        done, last = parts[:-1], parts[-1]
        tail = self._text.rstrip()
        # keep the raw tail (its leading space matters to the next split), not the stripped part
        self._text = self._text[tail.rfind(last) :] if last and tail.rfind(last) >= 0 else last
        return done

    def flush(self) -> list[str]:
        """Whatever is left, as sentences; the buffer is empty afterwards."""
        text, self._text = self._text, ""
        parts = sentences(text)
        if not self._led and parts:
            self._led = True
            return [*lead_clause(parts[0]), *parts[1:]]
        return parts


def _after_words(text: str, count: int) -> str:
    """``text`` after its first ``count`` words, keeping the space before the next one."""
    match = re.match(rf"\s*(?:\S+\s+){{{count - 1}}}\S+", text)
    return text[match.end() :] if match else ""
