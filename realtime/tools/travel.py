"""The travel toolkit: airports, local time and flight estimates, offline.

Registered in ``default_registry`` when ``realtime.tools`` is imported; the bodies run on the
registry's worker threads. What flows through: the model's place names in, JSON-ready dicts out
(the registry serialises them into the ``function_call_output``); places that cannot be found or
are ambiguous raise ``ToolFailure`` with suggestions or candidates (see ``airports``).

The tools' names (``FIND_AIRPORT`` ...) and the shapes of their outputs (``AirportMatches``,
``LocalTime``, ``FlightEstimate``) and arguments are exported: the local engine's rules call the
tools by these names and read their outputs back by these fields.

Data: ``airportsdata`` for airports, the standard library's ``zoneinfo`` (the system tz
database) for time zones. The current time comes from ``set_clock``, so tests pin it without
the model ever seeing a clock parameter.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Final, TypedDict

from realtime.tools.airports import Airport, AirportSummary, airport_index, haversine_km
from realtime.tools.registry import default_registry, tool
from realtime.tools.result import ToolFailure

__all__ = [
    "FIND_AIRPORT",
    "GET_FLIGHT_ESTIMATE",
    "GET_LOCAL_TIME",
    "TOOL_NAMES",
    "AirportMatches",
    "AirportSummary",
    "FindAirportArguments",
    "FlightEstimate",
    "FlightEstimateArguments",
    "LocalTime",
    "LocalTimeArguments",
    "block_time_minutes",
    "find_airport",
    "get_flight_estimate",
    "get_local_time",
    "set_clock",
]

Now = Callable[[], datetime]
KM_PER_MILE = 1.609344
TAXI_CLIMB_MINUTES = 30
CRUISE_KMH = 800.0
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


FIND_AIRPORT: Final = "find_airport"
GET_LOCAL_TIME: Final = "get_local_time"
GET_FLIGHT_ESTIMATE: Final = "get_flight_estimate"
TOOL_NAMES: Final = frozenset({FIND_AIRPORT, GET_LOCAL_TIME, GET_FLIGHT_ESTIMATE})
"""The names the model calls the travel tools by."""


class FindAirportArguments(TypedDict):
    query: str


class LocalTimeArguments(TypedDict):
    place: str


class FlightEstimateArguments(TypedDict):
    origin: str
    destination: str


class AirportMatches(TypedDict):
    """``find_airport``'s output: the query, and at most 5 airports, best match first."""

    query: str
    airports: list[AirportSummary]


class LocalTime(TypedDict):
    """``get_local_time``'s output; ``matched`` is the airport or zone the place resolved to."""

    place: str
    matched: str
    time_zone: str
    date: str  # ISO 8601
    time: str  # HH:MM
    weekday: str
    utc_offset: str  # +HH:MM
    abbreviation: str | None
    local_time: str  # ISO 8601, to the second


class FlightEstimate(TypedDict):
    """``get_flight_estimate``'s output (see the tool's docstring for how each is estimated)."""

    origin: AirportSummary
    destination: AirportSummary
    distance_km: int
    distance_miles: int
    block_time_minutes: int
    block_time: str  # "H h MM min"
    time_difference_hours: float  # the destination's UTC offset minus the origin's
    time_difference: str


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Now = _system_now


def set_clock(now: Now | None) -> Now:
    """Take the current time from ``now`` (an aware datetime); ``None`` restores the system clock.

    Returns the clock it replaces, so a test can put it back.
    """
    global _now
    previous, _now = _now, now or _system_now
    return previous


@tool(name=FIND_AIRPORT)
def find_airport(query: str) -> AirportMatches:
    """Find airports by IATA or ICAO code, city or airport name, best match first (at most 5).

    Args:
        query: An airport code such as "LHR" or "EGLL", a city such as "Tokyo", or part of an
            airport name such as "Heathrow".
    """
    index = airport_index()
    found = index.search(query, limit=5)
    if not found:
        raise index.not_found(query)
    return {"query": query, "airports": [airport.summary() for airport in found]}


@tool(name=GET_LOCAL_TIME)
def get_local_time(place: str) -> LocalTime:
    """Get the current local date and time, UTC offset and time zone of a place.

    Args:
        place: A city (add the region or country code if ambiguous, e.g. "Portland, Maine"), an
            IATA or ICAO airport code, or an IANA time zone such as "Europe/Paris".
    """
    matched, zone = _place_zone(place)
    local = _now().astimezone(zone)
    return {
        "place": place.strip(),
        "matched": matched,
        "time_zone": str(zone),
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "weekday": _WEEKDAYS[local.weekday()],
        "utc_offset": _format_offset(local),
        "abbreviation": local.tzname(),
        "local_time": local.isoformat(timespec="seconds"),
    }


@tool(name=GET_FLIGHT_ESTIMATE)
def get_flight_estimate(origin: str, destination: str) -> FlightEstimate:
    """Estimate distance, typical block time and time difference between two places' airports.

    Distance is great-circle (haversine, mean Earth radius 6371.0 km). Block time is 30 min for
    taxi, climb and descent plus the distance at 800 km/h, rounded to the nearest 5 min. The time
    difference is the destination's UTC offset minus the origin's, now.

    Args:
        origin: Departure city or airport code, e.g. "New York" or "JFK".
        destination: Arrival city or airport code, e.g. "London" or "LHR".
    """
    index = airport_index()
    start, end = index.resolve(origin), index.resolve(destination)
    if start == end:
        raise ToolFailure(
            f"origin and destination are the same airport ({start.code})", code="same_place"
        )
    km = haversine_km(start, end)
    minutes = block_time_minutes(km)
    now = _now()
    delta = _utc_minutes(now, end.tz) - _utc_minutes(now, start.tz)
    return {
        "origin": start.summary(),
        "destination": end.summary(),
        "distance_km": round(km),
        "distance_miles": round(km / KM_PER_MILE),
        "block_time_minutes": minutes,
        "block_time": f"{minutes // 60} h {minutes % 60:02d} min",
        "time_difference_hours": delta / 60,
        "time_difference": _describe_difference(start, end, delta),
    }


def block_time_minutes(distance_km: float) -> int:
    """30 min taxi/climb allowance + distance / 800 km/h, rounded to the nearest 5 min."""
    minutes = TAXI_CLIMB_MINUTES + distance_km / CRUISE_KMH * 60
    return int(minutes / 5 + 0.5) * 5


def _place_zone(place: str) -> tuple[str, tzinfo]:
    text = place.strip()
    if "/" in text or text.upper() in ("UTC", "GMT"):
        key = _zone_keys().get(text.casefold())
        if key is not None:
            return key, zoneinfo.ZoneInfo(key)
    airport = airport_index().resolve(text)
    return airport.label, zoneinfo.ZoneInfo(airport.tz)


@functools.cache
def _zone_keys() -> dict[str, str]:
    return {key.casefold(): key for key in zoneinfo.available_timezones()}


# The airport table (~0.2-0.5 s to parse) and the zone names, loaded when a session starts
# rather than on the first question that needs them (ToolRegistry.warm).
default_registry.add_warm_up(airport_index)
default_registry.add_warm_up(_zone_keys)


def _utc_minutes(now: datetime, tz: str) -> int:
    offset = now.astimezone(zoneinfo.ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _format_offset(local: datetime) -> str:
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _describe_difference(start: Airport, end: Airport, minutes: int) -> str:
    if minutes == 0:
        return f"{end.city or end.code} has the same local time as {start.city or start.code}"
    hours, rest = divmod(abs(minutes), 60)
    amount = f"{hours} h" + (f" {rest} min" if rest else "")
    direction = "ahead of" if minutes > 0 else "behind"
    return f"{end.city or end.code} is {amount} {direction} {start.city or start.code}"
