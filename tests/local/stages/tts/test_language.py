"""The language guess and the voice's guard (``realtime.local.stages.tts.language``); pure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from realtime.local.stages.tts.language import VoiceLanguageGuard, guess_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The capital of France is Paris.", "en"),
        ("La capitale de la France est Paris.", "fr"),
        ("La capital de España es Madrid y es muy bonita.", "es"),
        ("Die Hauptstadt von Deutschland ist Berlin.", "de"),
        ("Il cane è molto bello e non mangia.", "it"),
        ("Oui.", None),  # too short to tell: the voice reads it
        ("Paris, Tokyo, Berlin.", None),
    ],
)
def test_the_guess_names_a_language_only_when_the_words_say_so(
    text: str, language: str | None
) -> None:
    assert guess_language(text) == language


class Voice:
    """A synthesiser that 'reads' each text as its length in bytes, recording what it read."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        self.read.append(text)
        yield text, bytes(2 * len(text))


def test_an_english_voice_says_once_that_it_cannot_read_french() -> None:
    voice = Voice()
    guard = VoiceLanguageGuard(voice, "en")
    english = list(guard.stream("Here is the answer you asked for."))
    first = list(guard.stream("La capitale de la France est Paris."))
    second = list(guard.stream("Je ne sais pas si vous avez raison."))
    assert english == [("Here is the answer you asked for.", bytes(66))]
    (said, audio), (later, silence) = first[0], second[0]
    assert said == "La capitale de la France est Paris." and audio  # the text still goes out
    assert later == "Je ne sais pas si vous avez raison." and silence == b""
    assert voice.read[1].startswith("This answer is in French, which my English voice")
    assert len(voice.read) == 2  # the notice once; no French read aloud
