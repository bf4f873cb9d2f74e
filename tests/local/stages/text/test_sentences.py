"""Where an answer breaks into sentences to speak (``realtime.local.stages.text.sentences``)."""

from __future__ import annotations

import pytest

from realtime.local.stages.text.sentences import lead_clause, opening, sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there. How are you?", ["Hello there.", "How are you?"]),
        ("Wait! Really?! Yes…  ok.", ["Wait!", "Really?!", "Yes…", "ok."]),
        ("It costs 3.5 euros. Dr. Smith agrees.", ["It costs 3.5 euros.", "Dr. Smith agrees."]),
        (
            "Use e.g. the train. J. R. R. Tolkien wrote it.",
            ["Use e.g. the train.", "J. R. R. Tolkien wrote it."],
        ),
        ('He said "go." Then left.', ['He said "go."', "Then left."]),
        ("I said no. Take gate No. 5.", ["I said no.", "Take gate No. 5."]),
        ("First line\nsecond line", ["First line", "second line"]),
        ("No final stop", ["No final stop"]),
        ("  \n \n", []),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_a_long_sentence_is_cut_at_clauses() -> None:
    text = ", ".join(f"then we walk to stop number {i}" for i in range(20)) + "."
    pieces = sentences(text)
    assert len(pieces) > 1
    assert all(len(p) <= 200 for p in pieces)
    assert " ".join(pieces) == text


@pytest.mark.parametrize(
    ("sentence", "pieces"),
    [
        ("Sure, here it is.", ["Sure, here it is."]),  # short: spoken whole
        (
            "I'm the offline voice assistant of Realtime Voice Studio, running on this computer.",
            [
                "I'm the offline voice assistant of Realtime Voice Studio,",
                "running on this computer.",
            ],
        ),
        (
            "Well, that is a question I cannot answer offline today.",
            ["Well, that is a question I cannot answer offline today."],
        ),
        (
            "In Tokyo it is 08:42 on Wednesday, December 2.",
            ["In Tokyo it is 08:42 on Wednesday, December 2."],
        ),
        (
            "A sentence with no clause boundary in it that goes on for quite a while now.",
            ["A sentence with no clause boundary in it that goes on for quite a while now."],
        ),
        (
            "Mondays are a wonderful day of the week and can be an exciting time to have fun.",
            ["Mondays are a wonderful day of the week", "and can be an exciting time to have fun."],
        ),
        (  # "and" too early to lead: the first 24 characters are never spoken alone
            "Salt and pepper are what most cooks reach for first in any kitchen anywhere.",
            ["Salt and pepper are what most cooks reach for first in any kitchen anywhere."],
        ),
        ("", []),
    ],
)
def test_a_long_opening_sentence_leads_with_its_first_clause(
    sentence: str, pieces: list[str]
) -> None:
    assert lead_clause(sentence) == pieces


def test_the_opening_is_the_first_piece_an_answer_is_spoken_in() -> None:
    assert opening("Let me check the time there.") == "Let me check the time there."
    long = "I'm an offline voice assistant, running on this computer in Realtime Voice Studio. Hi."
    assert opening(long) == "I'm an offline voice assistant,"
    assert opening("Hello! How can I help?") == "Hello!"
    assert opening("  ") == ""
