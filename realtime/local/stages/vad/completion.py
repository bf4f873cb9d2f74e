"""Whether the words of a turn so far make a finished turn: a rule-based completion scorer.

Pure; called by ``semantic_vad`` (``realtime.local.stages.vad.semantic``) on the server's event
loop, with the transcript of the speech in progress at its pause. :func:`judge` gives a score
from 0 (more is surely coming) to 1 (finished), and the kind of ending behind it:

* open (at most 0.2): the last word cannot end an English turn, or Whisper marked the words
  as trailing off: a conjunction ("and", "because"), a preposition ("to", "for"), an article
  or possessive ("the", "my"), a filler ("um"), a subject with no verb ("and then I", "could
  you", "I'm"), a verb waiting for its object ("I want", "I'm looking"), ``...`` or a comma;
  or Whisper repeated itself ("in Berlin and Berlin"), which it does on speech cut short;
* doubtful (0.3): a word Whisper writes for a trailing "to" ("fly too", not "for two"), an
  auxiliary or a demonstrative at the end ("Do you know where it is", "Can you do this"), but
  not the "do" that ends a question word's question ("What can you do?");
* finished: a question (``?``, or a question word first, punctuated or not), a short reply
  ("Yes.", "Thank you."), a request in the imperative ("Book a table for two.");
* anything else (a statement, one word): could go either way (0.5).

Whisper punctuates a fragment as if it ended ("...Paris and.", "What time is it in?"), so
the last word says more than the mark after it. The rules read English; other languages get
the marks alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["Ending", "Judgement", "judge"]


class Ending(Enum):
    """What the last words say about the turn."""

    QUESTION = "question"  # "... in Tokyo?" / "what time is it"
    SENTENCE = "sentence"  # "... for Monday." / "Yes."
    OPEN = "open"  # "... and" / "um" / "to": more is coming
    UNKNOWN = "unknown"  # nothing heard, or words that could go either way


@dataclass(frozen=True)
class Judgement:
    ending: Ending
    score: float  # 0: more is coming .. 1: finished; 0.5 when nothing was heard


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FILLERS = _words("um umm uh uhh er erm hmm mm ah eh")
_CONJUNCTIONS = _words(
    "and but or nor so because then also plus if when that which who whose whom where while "
    "although though unless until than as since whether"
)
_DETERMINERS = _words("the a an my your our their his her its some any every each no")
_PREPOSITIONS = _words(
    "to of for with in on at from about into onto over under by near between after before "
    "around through like via without towards toward per"
)
_SUBJECT_CONTRACTIONS = _words(
    "i'm i'd i'll i've we're we'd we'll we've you're you'd you'll you've they're they'd "
    "they'll they've he's she's it's there's that's what's let's"
)
_PRONOUNS = _words("i we they he she you")
_MODALS_AND_DO = _words("can could would will should shall may might must do does did")
_COPULAS = _words("am is are was were")
_WAITING_VERBS = _words(
    "want wanna need gonna going looking trying thinking wondering planning hoping wish"
)
_SOUNDS_LIKE_TO = _words("too two")
_DOUBTFUL = _words(
    "this these those is are was were be been being am have has had do does did will would "
    "can could should must might may shall"
)
_DO = _words("do does did")
_WH = _words("what what's when where which who whom why how")
_NUMBERED = _PREPOSITIONS | _words("me")  # "for two", "at two", "me too"
_QUESTION_START = _words(
    "what what's when where where's which who who's whom whose why how how's is are was were "
    "do does did can could will would should shall may might have has am"
)
_REPLIES = _words(
    "yes no yeah yep nope ok okay sure thanks thank hello hi hey bye goodbye stop cancel "
    "right great perfect fine"
)
_IMPERATIVES = _words(
    "please book find tell show give get call send remind play set stop cancel check "
    "take make put open turn add remove read look let help say repeat search order"
)
_TRAILING_MARKS = ("...", "…", ",", "-", "—", "–", ":", ";")
_WORD = re.compile(r"[a-z']+")


def judge(text: str) -> Judgement:
    """How finished the turn whose words so far are ``text`` sounds (see the module)."""
    stripped = text.strip()
    words = _WORD.findall(stripped.lower().replace("’", "'"))
    if not words:
        return Judgement(Ending.UNKNOWN, 0.5)
    score = _open_score(stripped, words)
    if score is not None:
        return Judgement(Ending.OPEN if score <= 0.2 else Ending.UNKNOWN, score)
    return _finished(stripped, words)


def _open_score(stripped: str, words: list[str]) -> float | None:
    """A score below one half when the words trail off, else None."""
    last = words[-1]
    previous = words[-2] if len(words) > 1 else ""
    if stripped.endswith(_TRAILING_MARKS) or last in _FILLERS | _CONJUNCTIONS | _DETERMINERS:
        return 0.05
    if last in _PREPOSITIONS or last in _SUBJECT_CONTRACTIONS:
        return 0.1
    if last in _PRONOUNS and (
        previous in _MODALS_AND_DO or (last != "you" and previous not in _COPULAS)
    ):
        return 0.1  # "could you", "and then I"; not "who are they", "thank you"
    if last in _WAITING_VERBS:
        return 0.15
    if _repeats(words):
        return 0.2
    if last in _DO and previous in _PRONOUNS and words[0] in _WH:
        return None  # "what can you do", "what should I do": the question's own verb ends it
    if last in _DOUBTFUL or (last in _SOUNDS_LIKE_TO and previous not in _NUMBERED):
        return 0.3  # "fly too" may be "fly to", but not "for two"

    return None


def _repeats(words: list[str]) -> bool:
    """Whisper looping on speech cut short: "Berlin and Berlin", "the flight the flight"."""
    if words[-1] in _REPLIES:
        return False  # "bye bye", "no, no"
    if len(words) >= 3 and words[-1] == words[-3] and words[-2] in _CONJUNCTIONS:
        return True
    return any(
        words[-size:] == words[-2 * size : -size] for size in (1, 2, 3) if len(words) >= 2 * size
    )


def _finished(stripped: str, words: list[str]) -> Judgement:
    """The score of words that do not trail off, by the kind of turn they make."""
    asks = words[0] in _QUESTION_START
    if stripped.endswith("?"):
        return Judgement(Ending.QUESTION, 0.95 if len(words) >= 3 else 0.6)
    if len(words) <= 2 and words[0] in _REPLIES:
        return Judgement(Ending.SENTENCE, 0.9)
    if stripped.endswith((".", "!")):
        if asks and len(words) >= 3:
            return Judgement(Ending.QUESTION, 0.9)  # Whisper's period after a question
        if words[0] in _IMPERATIVES and len(words) >= 3:
            return Judgement(Ending.SENTENCE, 0.8)
        return Judgement(Ending.SENTENCE if len(words) >= 2 else Ending.UNKNOWN, 0.5)
    if asks and len(words) >= 4:
        return Judgement(Ending.QUESTION, 0.85)  # an unpunctuated transcript of a question
    return Judgement(Ending.UNKNOWN, 0.5)
