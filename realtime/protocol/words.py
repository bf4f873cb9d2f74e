"""The words heard of a transcript whose audio was cut: one rule for both ends.

Text is not timed, so the share of the audio heard is the honest estimate of the words heard.
The client uses it to show what the user heard after a barge-in or a typed interrupt; the engine
uses it when it executes ``conversation.item.truncate``. The two must agree, or the screen and
the model's memory would differ after an interruption.
"""

from __future__ import annotations

__all__ = ["cut_words"]


def cut_words(text: str, ratio: float) -> str:
    """The first ``ratio`` of ``text``, cut back to a word boundary."""
    if ratio >= 1.0:
        return text
    cut = round(len(text) * max(0.0, ratio))
    head = text[:cut]
    if cut < len(text) and not text[cut].isspace():
        head = head.rsplit(" ", 1)[0] if " " in head else ""
    return head.rstrip()
