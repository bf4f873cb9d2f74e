"""The words of a sentence that fit a response's token limit, with their share of its audio.

Pure; called by the session state machine on the server's event loop when a sentence would pass
``max_output_tokens``: the response still says what fits (the hosted API cuts an answer
mid-sentence too) before it ends ``incomplete``.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["first_words"]


def first_words(
    text: str, pcm: bytes | None, fits: Callable[[str, bytes | None], bool]
) -> tuple[str, bytes | None]:
    """The longest run of ``text``'s first words that ``fits``, with the share of ``pcm`` (PCM16,
    whole samples) their characters make of the sentence; ``("", None)`` when none fit."""
    words = text.split()
    for count in range(len(words) - 1, 0, -1):
        head = " ".join(words[:count])
        cut = None
        if pcm is not None:
            samples = len(pcm) // 2 * len(head) // max(1, len(text))
            cut = pcm[: samples * 2]
        if fits(head, cut):
            return head, cut
    return "", None
