"""Where an answer's text breaks into sentences to speak one at a time: pure rules.

Pure; runs on a response's worker thread (and in the session on the event loop, for a text-only
answer). Text in, a list of stripped sentences out: :func:`sentences` ends one at ``. ! ? …``
(not after "Dr." or "e.g.", nor an initial) or a line break, and cuts one longer than
``_MAX_CHARS`` at a clause; :func:`lead_clause` splits a long first sentence after its first
clause, so the first audio of an answer need not wait for the whole sentence. Every text stage
reads sentences through these rules: the synthesisers (``realtime.local.stages.tts``), the
sentence buffer of a streamed answer (``realtime.local.stages.text.streaming``) and the session.
"""

from __future__ import annotations

import re

__all__ = ["lead_clause", "opening", "sentences"]

# A "." after these is not a sentence end ("Dr. Smith", "e.g. this").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt ft vs etc e.g i.e approx fig dept inc ltd "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s a.m p.m".split()
)
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_CLAUSE = re.compile(r"[,;:—–]\s")
_MAX_CHARS = 200  # a longer sentence is cut at a clause so the first audio comes sooner
# The first words of an answer are synthesised alone when its first sentence is long: Piper's
# time grows with the sentence, so a long opening sentence held the first audio back longer
# than its first clause alone does (figures in docs/benchmarks.md).
_LEAD_CHARS = 40  # a first sentence up to this long is spoken whole
_LEAD_MIN, _LEAD_MAX = 12, 64  # where the clause that leads may end
_CONJUNCTION = re.compile(r"\s(?=(?:and|but|or|so|because|which|while|when)\s)")


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences to speak one at a time (blank lines end one too)."""
    result: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _END.finditer(line):
            end = match.end()
            if _is_abbreviation(line, match) and end < len(line):
                continue
            result.extend(_cut_long(line[start:end]))
            start = end
        result.extend(_cut_long(line[start:]))
    return [s for s in result if s]


def lead_clause(sentence: str) -> list[str]:
    """The first sentence of an answer as ``[first clause, rest]`` when it is long and has a
    clause boundary early enough (``, ; : —``, else before a conjunction such as "and" after
    at least 24 characters), else ``[sentence]``; nothing is lost."""
    sentence = sentence.strip()
    if len(sentence) <= _LEAD_CHARS:
        return [sentence] if sentence else []
    for match in _CLAUSE.finditer(sentence, _LEAD_MIN - 2, _LEAD_MAX):
        head, rest = sentence[: match.end()].strip(), sentence[match.end() :].strip()
        if len(head) >= _LEAD_MIN and len(rest) >= _LEAD_MIN:
            return [head, rest]
    for match in _CONJUNCTION.finditer(sentence, _LEAD_MIN * 2, _LEAD_MAX):
        head, rest = sentence[: match.start()].strip(), sentence[match.start() :].strip()
        if len(rest) >= _LEAD_MIN:  # no comma early enough: before "and", "but", ...
            return [head, rest]
    return [sentence]


def opening(text: str) -> str:
    """The first piece an answer of ``text`` is spoken in (its first sentence, or that
    sentence's lead clause): what its first audio waits for."""
    parts = sentences(text)
    return lead_clause(parts[0])[0] if parts else ""


def _is_abbreviation(line: str, match: re.Match[str]) -> bool:
    if match.group() != ".":
        return False
    words = line[: match.start()].split()
    word = words[-1].lower().lstrip("(\"'“‘") if words else ""
    following = line[match.end() :].lstrip()[:1]
    initial = len(word) == 1 and word.isalpha() and word != "i"  # "J. R. R. Tolkien"
    numbered = word == "no" and following.isdigit()  # "No. 5", but "I said no. Then"
    return word in _ABBREVIATIONS or initial or numbered or following.islower()


def _cut_long(piece: str) -> list[str]:
    piece = " ".join(piece.split())
    parts: list[str] = []
    while len(piece) > _MAX_CHARS:
        cuts = [m.end() for m in _CLAUSE.finditer(piece, 0, _MAX_CHARS)]
        cut = cuts[-1] if cuts else piece.rfind(" ", 0, _MAX_CHARS) + 1
        if cut <= 0:
            break
        parts.append(piece[:cut].strip())
        piece = piece[cut:].strip()
    parts.append(piece)
    return parts
