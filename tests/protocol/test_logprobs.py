"""realtime.protocol.logprobs: the hosted token entries, checked, and the words they make."""

from __future__ import annotations

import math
from typing import Any

import pytest

from realtime.protocol.logprobs import TokenLogprob, from_wire, from_words, to_wire, words


def entry(token: str, p: float) -> dict[str, Any]:
    return {"token": token, "logprob": math.log(p), "bytes": list(token.encode())}


def test_tokens_make_words_with_the_probability_of_all_their_tokens() -> None:
    tokens = from_wire(
        [entry("Book", 0.9), entry(" a", 0.99), entry(" fl", 0.5), entry("ight", 0.6)]
    )
    found = words(tokens)
    assert [w.text for w in found] == ["Book", "a", "flight"]
    assert found[2].probability == pytest.approx(0.3)  # 0.5 * 0.6
    assert [w.unsure for w in found] == [False, False, True]


def test_punctuation_stays_with_its_word_and_split_characters_join_by_bytes() -> None:
    cafe = "café".encode()  # the é is two bytes, split over two tokens as a tokenizer may
    tokens = [
        {"token": " caf", "logprob": 0.0, "bytes": list(cafe[:4])},
        {"token": "\ufffd", "logprob": 0.0, "bytes": list(cafe[4:5])},
        {"token": "\ufffd", "logprob": 0.0, "bytes": list(cafe[5:])},
        entry("?", 0.9),
    ]
    assert [(w.text, round(w.probability, 2)) for w in words(from_wire(tokens))] == [("café?", 0.9)]


def test_absent_logprobs_are_none_and_bytes_default_to_the_tokens() -> None:
    assert from_wire(None) == ()
    assert from_wire([{"token": "hi", "logprob": -0.1}])[0].bytes == (104, 105)


@pytest.mark.parametrize(
    "bad",
    [
        "nope",
        [1],
        [{"token": 5, "logprob": -1.0}],
        [{"token": "a", "logprob": True}],
        [{"token": "a", "logprob": 0.5}],  # a probability above 1
        [{"token": "a", "logprob": -1.0, "bytes": [300]}],
        [{"token": "a", "logprob": -1.0, "bytes": list(range(65))}],
    ],
)
def test_malformed_entries_are_refused_with_a_sentence(bad: Any) -> None:
    with pytest.raises(ValueError, match="logprob"):
        from_wire(bad)


def test_a_huge_array_is_cut() -> None:
    assert len(from_wire([entry(" a", 0.5)] * 10_000)) == 4096


def test_whisper_words_become_hosted_tokens_and_back() -> None:
    tokens = from_words([(" Hello", 0.98), (" wrld", 0.2), ("", 0.5), (" zero", 0.0)])
    wire = to_wire(tokens)
    assert wire[0] == {"token": " Hello", "logprob": math.log(0.98), "bytes": list(b" Hello")}
    assert all(set(e) == {"token", "logprob", "bytes"} and e["logprob"] <= 0 for e in wire)
    assert [w.text for w in words(from_wire(wire)) if w.unsure] == ["wrld", "zero"]
    assert isinstance(tokens[0], TokenLogprob)
