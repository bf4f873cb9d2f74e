"""Sentences out of a stream of text deltas (``realtime.local.stages.text.streaming``)."""

from __future__ import annotations

import pytest

from realtime.local.stages.text.sentences import sentences
from realtime.local.stages.text.streaming import SentenceBuffer


def test_sentence_buffer_hands_back_each_sentence_once_it_has_ended() -> None:
    buffer = SentenceBuffer()
    out: list[str] = []
    for delta in ["Hel", "lo there", ". Dr", ". Smith is ", "in. How", " are you?", " Fine"]:
        out += buffer.feed(delta)
    assert out == ["Hello there.", "Dr. Smith is in.", "How are you?"]
    assert buffer.flush() == ["Fine"]
    assert buffer.flush() == []


LONG_OPENING = (
    "I'm the offline voice assistant of Realtime Voice Studio, running on this computer. "
    "Ask me the time."
)


def test_a_long_first_sentence_hands_back_its_first_clause_before_it_ends() -> None:
    buffer = SentenceBuffer()
    first = LONG_OPENING.index(",") + 1
    assert buffer.feed(LONG_OPENING[: first + 5]) == []  # too few words after the comma yet
    assert buffer.feed(LONG_OPENING[first + 5 : first + 16]) == [LONG_OPENING[:first]]
    rest = buffer.feed(LONG_OPENING[first + 16 :]) + buffer.flush()
    assert rest == ["running on this computer.", "Ask me the time."]


@pytest.mark.parametrize("step", [1, 3, 7, len(LONG_OPENING)])
def test_the_pieces_are_the_same_however_the_text_is_streamed(step: int) -> None:
    buffer = SentenceBuffer()
    out: list[str] = []
    for start in range(0, len(LONG_OPENING), step):
        out += buffer.feed(LONG_OPENING[start : start + step])
    out += buffer.flush()
    assert out == [
        "I'm the offline voice assistant of Realtime Voice Studio,",
        "running on this computer.",
        "Ask me the time.",
    ]
    assert " ".join(out) == LONG_OPENING  # nothing lost, nothing doubled


def test_only_the_first_sentence_is_split() -> None:
    buffer = SentenceBuffer()
    text = "Sure. " + LONG_OPENING
    assert buffer.feed(text) + buffer.flush() == ["Sure.", *sentences(LONG_OPENING)]
