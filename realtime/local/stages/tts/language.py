"""Which language a sentence is in, so a voice does not read a language it cannot speak.

Runs on a response's worker thread, sentence by sentence, between the responder and the
synthesiser. :func:`guess_language` is a cheap guess from function words (no model): a sentence
counts as a language when at least two of its words are that language's common words and more
than any other's; short or unclear sentences give None. :class:`VoiceLanguageGuard` wraps a
response's synthesiser: a sentence guessed to be in another language than the voice's is still
sent as text (its transcript), but instead of reading it the voice says once per response what
it cannot read; later foreign sentences go out as text alone.

The bundled voices cover English (en_US, Piper's ``joe``); a voice without a language (a
``.onnx`` path, or a speech service) is not guarded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from realtime.local.stages.tts.synthesizer import Synthesizer

__all__ = ["LANGUAGE_NAMES", "VoiceLanguageGuard", "guess_language"]

LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}
# Common function words, chosen to overlap little between the languages listed.
_WORDS = {
    "en": "the and is are was you to of in it that this with for not be have what how my your",
    "fr": "le la les de est et je tu vous nous une un des du pas que qui dans pour avec sur ce "
    "sont mais très bonjour merci",
    "es": "el la los las es y que de en un una por para con no está son muy pero hola gracias "
    "cómo qué",
    "de": "der die das ist und ich du sie wir nicht ein eine mit für auf sind aber sehr danke "
    "wie was",
    "it": "il lo la gli è e che di un una per con non sono ma molto ciao grazie come questo",
    "pt": "o a os as é e que de em um uma por para com não são mas muito olá obrigado você",
    "nl": "de het een is en ik jij je wij niet met voor op zijn maar heel hallo dank",
}
_SETS = {code: frozenset(words.split()) for code, words in _WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def guess_language(text: str) -> str | None:
    """The language code of ``text`` (see :data:`LANGUAGE_NAMES`), or None when unsure."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 3:
        return None
    counts = {code: sum(w in common for w in words) for code, common in _SETS.items()}
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    (best, hits), (_, second) = ranked[0], ranked[1]
    if hits < 2 or hits == second:
        return None
    return best


class VoiceLanguageGuard:
    """A :class:`~realtime.local.stages.tts.Synthesizer` for one response that reads only
    sentences in ``language`` (a code such as ``en``) and says once what it cannot read."""

    def __init__(self, inner: Synthesizer, language: str) -> None:
        self.inner = inner
        self.language = language
        self.told = False

    def stream(self, text: str) -> Iterator[tuple[str, bytes]]:
        found = guess_language(text)
        if found is None or found == self.language:
            yield from self.inner.stream(text)
            return
        if self.told:
            yield text, b""  # the text still goes out, unread
            return
        self.told = True
        own = LANGUAGE_NAMES.get(self.language, self.language)
        notice = (
            f"This answer is in {LANGUAGE_NAMES[found]}, which my {own} voice cannot read "
            "aloud; it is shown as text."
        )
        audio = b"".join(pcm for _, pcm in self.inner.stream(notice))
        yield text, audio
