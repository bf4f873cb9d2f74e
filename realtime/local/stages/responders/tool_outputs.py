"""Tool outputs into short spoken sentences, for the rule-based responder.

Pure; runs on the responder's worker thread. Input is the ``output`` string of a
``function_call_output`` item, as the client's tool registry wrote it (``realtime.tools``: a
JSON object, or ``{"error": ..., "code": ...}`` for a failure). Every sentence is built only
from fields present in that output, so nothing is made up; a field that is missing leaves its
sentence out, and an output that is not the expected shape is read back as it is.

The travel tools' outputs are read by their own types (``realtime.tools.travel``:
``LocalTime``, ``FlightEstimate``, ``AirportMatches``), so a field renamed there fails the type
check here; they are still read with ``.get``, since the output came back through the client.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from typing import Any

from realtime.tools.travel import (
    FIND_AIRPORT,
    GET_FLIGHT_ESTIMATE,
    GET_LOCAL_TIME,
    AirportMatches,
    AirportSummary,
    FlightEstimate,
    LocalTime,
)

__all__ = ["describe_output"]

_MAX_ECHO = 200


def describe_output(tool: str, output: str) -> str:
    """One or a few sentences that say what ``tool`` returned."""
    try:
        data = json.loads(output)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return f"The {tool} tool returned: {output.strip()[:_MAX_ECHO]}."
    if "error" in data:
        return _error(tool, data)
    describe = _DESCRIBERS.get(tool)
    text = describe(data) if describe else ""
    if not text:
        return f"The {tool} tool returned: {json.dumps(data, ensure_ascii=False)[:_MAX_ECHO]}."
    return text


def _sentences(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _error(tool: str, data: Mapping[str, Any]) -> str:
    candidates = [c for c in data.get("candidates") or [] if isinstance(c, dict)]
    if data.get("code") == "ambiguous_place" and candidates:
        # The tool's message is written for a model ("ask which one is meant"); say it plainly.
        names = [_where(c) for c in candidates[:3]]
        return f"That name matches more than one place: {_join(names, 'or')}. Which one?"
    message = str(data.get("error", "")).strip() or "no reason given"
    if not message.endswith((".", "?", "!")):
        message += "."
    suggestions = [str(s) for s in data.get("suggestions") or []][:3]
    hint = None
    if suggestions and "did you mean" not in message.lower():
        hint = f"Did you mean {_join(suggestions, 'or')}?"
    return _sentences(f"The {tool} tool couldn't answer: {message}", hint)


def _where(airport: Mapping[str, Any]) -> str:
    parts = [str(part) for part in (airport.get("city"), airport.get("region")) if part]
    code = airport.get("code")
    return ", ".join(parts) + (f" ({code})" if code else "")


def _join(words: list[str], last: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} {words[-1]}"


def _label(airport: AirportSummary) -> str:
    name, code = airport.get("name"), airport.get("code")
    city = airport.get("city")
    label = f"{name} ({code})" if name and code else str(name or code or city or "")
    return label


def _place(airport: Any) -> str:
    if not isinstance(airport, dict):
        return str(airport)
    city, code = airport.get("city"), airport.get("code")
    return f"{city} ({code})" if city and code else str(city or code or "")


def _local_time(data: LocalTime) -> str:
    place = data.get("place") or data.get("matched")
    time = data.get("time")
    if not place or not time:
        return ""
    day = _day(data.get("weekday"), data.get("date"))
    first = f"In {place} it is {time}" + (f" on {day}." if day else ".")
    zone = data.get("time_zone")
    offset = data.get("utc_offset")
    second = None
    if zone and offset:
        second = f"The time zone is {zone}, UTC{offset}."
    return _sentences(first, second)


def _day(weekday: Any, date: Any) -> str:
    try:
        parsed = datetime.date.fromisoformat(str(date))
    except ValueError:
        return str(weekday or "")
    text = f"{parsed:%B} {parsed.day}"
    return f"{weekday}, {text}" if weekday else text


def _flight(data: FlightEstimate) -> str:
    origin, destination = data.get("origin"), data.get("destination")
    km, miles = data.get("distance_km"), data.get("distance_miles")
    if not origin or not destination or km is None:
        return ""
    distance = f"about {km:,} kilometres" + (f" ({miles:,} miles)" if miles is not None else "")
    first = f"From {_place(origin)} to {_place(destination)} is {distance}."
    minutes = data.get("block_time_minutes")
    second = None
    if isinstance(minutes, int):
        hours, rest = divmod(minutes, 60)
        span = _join([s for s in (_unit(hours, "hour"), _unit(rest, "minute")) if s])
        second = f"A typical flight takes about {span}."
    return _sentences(first, second, _difference(data, origin, destination))


def _difference(data: FlightEstimate, origin: Any, destination: Any) -> str | None:
    hours = data.get("time_difference_hours")
    a, b = (p.get("city") if isinstance(p, dict) else None for p in (origin, destination))
    if not isinstance(hours, int | float) or not a or not b:
        text = data.get("time_difference")
        return f"{text}." if text else None
    if hours == 0:
        return f"{b} has the same local time as {a}."
    amount = f"{abs(hours):g} hour" + ("" if abs(hours) == 1 else "s")
    return f"{b} is {amount} {'ahead of' if hours > 0 else 'behind'} {a}."


def _unit(count: int, name: str) -> str:
    return "" if count == 0 else f"{count} {name}" + ("" if count == 1 else "s")


def _airports(data: AirportMatches) -> str:
    found = [a for a in data.get("airports") or [] if isinstance(a, dict)]
    if not found:
        return ""
    best = found[0]
    where = ", ".join(str(part) for part in (best.get("city"), best.get("country")) if part)
    query = data.get("query")
    intro = f"The best match for {query} is" if query else "The best match is"
    first = f"{intro} {_label(best)}" + (f" in {where}." if where else ".")
    others = [_label(a) for a in found[1:3]]
    second = f"Other matches: {_join(others)}." if others else None
    return _sentences(first, second)


# Each reads one tool's output; the JSON it is handed is the tool's type in shape only.
_DESCRIBERS: dict[str, Callable[[Any], str]] = {
    GET_LOCAL_TIME: _local_time,
    GET_FLIGHT_ESTIMATE: _flight,
    FIND_AIRPORT: _airports,
}
