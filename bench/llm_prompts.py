"""The prompt set and rubric for choosing the engine's language model (``bench/llm_choice.py``).

Pure data, read by the benchmark on its own thread. Everyday voice-assistant turns: facts,
jokes, instructions, follow-ups that need the previous turn (a two-turn conversation whose first
answer is fixed, as if the assistant had said it), other languages, and made-up facts the model
should not invent an answer to. Each :class:`Prompt` is scored by :func:`score`:

* 2: every ``must`` pattern matches and no ``never`` pattern does;
* 1: no ``never`` pattern matches and some ``must`` pattern does (a partial answer);
* 0: a ``never`` pattern matches, no ``must`` pattern matches, or the answer is empty.

Patterns are case-insensitive regular expressions; ``must`` is a list of alternatives groups
(each entry must match). The rubric is written before the runs and is kept as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PROMPTS", "Prompt", "score"]


@dataclass(frozen=True)
class Prompt:
    kind: str
    turns: tuple[str, ...]  # user, assistant, user, ...: the last one is asked
    must: tuple[str, ...] = ()
    never: tuple[str, ...] = ()


def _p(kind: str, *turns: str, must: tuple[str, ...] = (), never: tuple[str, ...] = ()) -> Prompt:
    return Prompt(kind, turns, must, never)


_EMPTY_OR_REFUSAL = (r"beyond what I can do",)

PROMPTS: tuple[Prompt, ...] = (
    # facts
    _p("fact", "What colour is a clear sky during the day?", must=(r"\bblue\b",)),
    _p("fact", "What is the capital of France?", must=(r"\bparis\b",)),
    _p("fact", "What is the capital of Japan?", must=(r"\btokyo\b",)),
    _p("fact", "How many days are there in a week?", must=(r"\b(seven|7)\b",)),
    _p("fact", "How many legs does a spider have?", must=(r"\b(eight|8)\b",)),
    _p("fact", "What do bees make?", must=(r"\bhoney\b",)),
    _p("fact", "Which planet do we live on?", must=(r"\bearth\b",)),
    _p("fact", "What is water made of? Answer in one sentence.", must=(r"hydrogen", r"oxygen")),
    _p("fact", "Who wrote Romeo and Juliet?", must=(r"shakespeare",)),
    _p("fact", "What is the freezing point of water in Celsius?", must=(r"\b(0|zero)\b",)),
    # arithmetic
    _p("math", "What is seven plus five?", must=(r"\b(12|twelve)\b",)),
    _p("math", "What is three times four?", must=(r"\b(12|twelve)\b",)),
    _p("math", "What is 100 minus 1?", must=(r"\b(99|ninety-nine|ninety nine)\b",)),
    # jokes and small talk
    _p("joke", "Tell me a joke.", must=(r"\w+ \w+ \w+ \w+",), never=_EMPTY_OR_REFUSAL),
    _p("joke", "Tell me a short joke about cats.", must=(r"\bcats?\b",), never=_EMPTY_OR_REFUSAL),
    _p("chat", "I'm feeling a bit tired today.", must=(r"\b(rest|sleep|break|tired)\b",)),
    _p("chat", "Can you recommend a good name for a dog?", must=(r"\b(how about|call|name)\b",)),
    # instructions
    _p("how-to", "How do I boil an egg?", must=(r"\bwater\b", r"\bminutes?\b")),
    _p("how-to", "Give me one tip to sleep better.", must=(r"\b(bed|sleep|screen|caffeine)\b",)),
    _p("how-to", "How do I say thank you in Spanish?", must=(r"\bgracias\b",)),
    _p("how-to", "How do I say hello in French?", must=(r"\bbonjour\b",)),
    _p("how-to", "Spell the word cat.", must=(r"c\W*a\W*t",)),
    # follow-ups that need the previous turn
    _p(
        "follow-up",
        "My name is Ada. Please remember it.",
        "Nice to meet you, Ada! I will remember that.",
        "What is my name?",
        must=(r"\bada\b",),
    ),
    _p(
        "follow-up",
        "I have a cat called Max.",
        "Max sounds lovely!",
        "What is my cat called?",
        must=(r"\bmax\b",),
    ),
    _p(
        "follow-up",
        "What is the capital of Italy?",
        "The capital of Italy is Rome.",
        "And how do you say 'good morning' in that country's language?",
        must=(r"buon ?giorno",),
    ),
    _p(
        "follow-up",
        "I'm planning a trip to Norway.",
        "That sounds exciting! Norway has beautiful fjords.",
        "What is its capital?",
        must=(r"\boslo\b",),
    ),
    # other languages
    _p("language", "Quelle est la capitale de l'Allemagne ?", must=(r"\bberlin\b",)),
    _p("language", "¿Cuántos días tiene una semana?", must=(r"\b(siete|7)\b",)),
    _p("language", "Wie viele Beine hat ein Hund?", must=(r"\b(vier|4)\b",)),
    # made-up facts: say it is not known or not real, invent nothing
    _p(
        "made-up",
        "Who was the first king of the Moon?",
        must=(r"(no|not|never|isn't|wasn't|doesn't|there (is|was) no|fiction|real)",),
        never=(r"\bfirst king of the moon was\b",),
    ),
    _p(
        "made-up",
        "What is the population of the city of Zorblax on Mars?",
        must=(r"(no|not|don't know|isn't|fictional|doesn't exist)",),
        never=(r"\b\d{3,}\s*(people|inhabitants|residents)\b",),
    ),
    _p(
        "made-up",
        "What year did Albert Einstein win the Olympic gold medal in swimming?",
        must=(r"(no|not|never|didn't|did not)",),
        never=(r"\bwon .*gold medal in (19|20)\d\d\b",),
    ),
)


def score(prompt: Prompt, answer: str) -> int:
    """0, 1 or 2 for ``answer`` under ``prompt``'s rubric (see the module docstring)."""
    text = answer.strip()
    if not text or any(re.search(p, text, re.IGNORECASE) for p in prompt.never):
        return 0
    hits = [bool(re.search(p, text, re.IGNORECASE)) for p in prompt.must]
    if all(hits):
        return 2
    return 1 if any(hits) else 0
