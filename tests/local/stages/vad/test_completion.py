"""The completion scorer (``realtime.local.stages.vad.completion``) on what Whisper writes at a
pause: finished turns, fragments, and Whisper's own mistakes on speech cut short."""

from __future__ import annotations

import pytest

from realtime.local.stages.vad.completion import Ending, judge
from realtime.local.stages.vad.semantic import SILENCE_MS, silence_ms


@pytest.mark.parametrize(
    "text",
    [
        "What time is it in Tokyo?",
        "which airline flies from Berlin to Rome.",  # Whisper's period after a question
        "Can you book me a table for two?",  # "two" after "for": not a trailing "to"
        "Who are you?",  # a pronoun after a copula ends a question
        "Where are they?",
        "What can you do?",  # "do" after a subject ends a question word's question
        "What should I do?",
        "Thank you.",
        "Yes.",
    ],
)
def test_finished_turns_score_high(text: str) -> None:
    assert judge(text).score >= 0.9


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to fly to",
        "What time is it in?",  # Whisper's question mark after a preposition
        "I need a hotel in Berlin and",
        "Book me a table for.",
        "Remind me to call my...",
        "Could you?",  # a subject with no verb
        "Can you?",
        "Could you um?",
        "So, um...",
        "I'm looking",
        "I want",
        "I'd like.",
        "I need a hotel in Berlin and Berlin.",  # Whisper looping on speech cut short
        "and then I",
    ],
)
def test_fragments_trail_off(text: str) -> None:
    judgement = judge(text)
    assert judgement.ending is Ending.OPEN and judgement.score <= 0.2


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("I'd like to fly too.", 0.3),  # "to" written as "too"
        ("Do you know where it is", 0.3),
        ("Can you do", 0.3),  # no question word: "Can you do this" may follow
        ("My flight leaves it.", 0.5),  # a statement: could go either way
        ("Paris", 0.5),
        ("", 0.5),
        ("Book a table for two.", 0.8),  # a request in the imperative
    ],
)
def test_the_rest_goes_either_way_or_is_likely_finished(text: str, score: float) -> None:
    assert judge(text).score == score


def test_windows_follow_the_score_and_eagerness() -> None:
    for eagerness, (finished, likely, either, trailing) in SILENCE_MS.items():
        assert finished < likely < either < trailing
        assert silence_ms("What time is it in Tokyo?", eagerness) == finished
        assert silence_ms("Book a table for two.", eagerness) == likely
        assert silence_ms("", eagerness) == silence_ms("My flight leaves it.", eagerness) == either
        assert silence_ms("I'd like to fly to", eagerness) == trailing
    # A finished question may end 300 ms after the voice: WebRTC's hangover (60-140 ms) counts
    # as voiced, and the silence after it is this window.
    assert silence_ms("What time is it in Tokyo?", "auto") <= 160
    # The longest pause of a hesitation the set holds (1.2 s) is waited through when unsure.
    assert silence_ms("My flight leaves it.", "auto") >= 1200
