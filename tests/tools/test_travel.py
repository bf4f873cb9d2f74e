"""The travel toolkit on the real airportsdata tables, through the default registry.

Golden files: ``fixtures/tools/<name>.json`` hold each travel tool's definition as sent in
``session.update``; ``UPDATE_GOLDEN=1`` rewrites them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, get_type_hints

import pytest

from realtime.tools import default_registry, travel
from realtime.tools.travel import block_time_minutes, set_clock
from tests.fixtures.loader import assert_golden

TRAVEL_TOOLS = ["find_airport", "get_local_time", "get_flight_estimate"]
SUMMER_NOON_UTC = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)  # a Monday
WINTER_NOON_UTC = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def summer_clock() -> Iterator[None]:
    previous = set_clock(lambda: SUMMER_NOON_UTC)
    yield
    set_clock(previous)


def ok(name: str, **arguments: str) -> Any:
    result = default_registry.call(name, json.dumps(arguments), call_id="call_1")
    assert result.ok, result.output
    return json.loads(result.output)


def failed(name: str, code: str, **arguments: str) -> Any:
    result = default_registry.call(name, json.dumps(arguments), call_id="call_1")
    assert (result.ok, result.code) == (False, code), result.output
    payload = json.loads(result.output)
    assert payload["code"] == code and payload["error"] == result.error
    return payload


@pytest.mark.parametrize("name", TRAVEL_TOOLS)
def test_definitions_match_golden_files(name: str) -> None:
    assert_golden(f"tools/{name}.json", default_registry.spec(name).definition())


def test_travel_tools_are_registered_in_order() -> None:
    assert default_registry.names()[:3] == TRAVEL_TOOLS
    assert travel.find_airport.__name__ == "find_airport"  # the decorator returns the function


def test_the_exported_names_and_types_match_the_registered_tools() -> None:
    # The local engine's rules call the tools by these names and read these fields back.
    assert travel.TOOL_NAMES == set(TRAVEL_TOOLS)
    arguments = {
        travel.FIND_AIRPORT: travel.FindAirportArguments,
        travel.GET_LOCAL_TIME: travel.LocalTimeArguments,
        travel.GET_FLIGHT_ESTIMATE: travel.FlightEstimateArguments,
    }
    for name, shape in arguments.items():
        parameters = default_registry.spec(name).definition()["parameters"]["properties"]
        assert set(get_type_hints(shape)) == set(parameters)
    outputs = {
        travel.AirportMatches: ok("find_airport", query="LHR"),
        travel.LocalTime: ok("get_local_time", place="Tokyo"),
        travel.FlightEstimate: ok("get_flight_estimate", origin="Paris", destination="Tokyo"),
    }
    for output_type, output in outputs.items():
        assert set(get_type_hints(output_type)) == set(output)
    airport = ok("find_airport", query="LHR")["airports"][0]
    assert set(get_type_hints(travel.AirportSummary)) == set(airport)


def test_find_airport_by_code_and_by_name() -> None:
    (heathrow,) = ok("find_airport", query="LHR")["airports"]
    assert heathrow == {
        "code": "LHR",
        "icao": "EGLL",
        "name": "London Heathrow Airport",
        "city": "London",
        "region": "England",
        "country": "GB",
        "tz": "Europe/London",
    }
    assert [a["code"] for a in ok("find_airport", query="Heathrow")["airports"]] == ["LHR"]
    assert ok("find_airport", query="egll")["airports"][0]["code"] == "LHR"
    (airfield,) = ok("find_airport", query="EG11")["airports"]  # ICAO table: no IATA code
    assert (airfield["code"], airfield["city"]) == ("EG11", "Canterbury")


def test_find_airport_by_city_puts_the_major_airport_first() -> None:
    london = ok("find_airport", query="London")["airports"]
    assert [a["code"] for a in london[:2]] == ["LHR", "LGW"]
    assert len(london) == 5
    assert [a["code"] for a in ok("find_airport", query="tokyo")["airports"]] == ["HND", "NRT"]
    assert ok("find_airport", query="São Paulo")["airports"][0]["code"] == "GRU"


def test_unknown_place_suggests_near_matches() -> None:
    payload = failed("find_airport", "place_not_found", query="Londn")
    assert "Londn" in payload["error"]
    assert payload["suggestions"][0] == "London"
    payload = failed("get_flight_estimate", "place_not_found", origin="Pariss", destination="LHR")
    assert "Paris" in payload["suggestions"]


def test_empty_or_too_short_queries() -> None:
    failed("find_airport", "empty_place", query="  ")
    failed("get_local_time", "place_not_found", place="q")


def test_ambiguous_city_lists_candidates() -> None:
    # What the feature promises, not one airportsdata release's list (newer releases add a
    # Portland: PTJ, Victoria): the candidates include Oregon's and Maine's.
    payload = failed("get_local_time", "ambiguous_place", place="Portland")
    by_code = {c["code"]: c for c in payload["candidates"]}
    assert {"PDX", "PWM"} <= by_code.keys()
    assert (by_code["PDX"]["tz"], by_code["PWM"]["tz"]) == (
        "America/Los_Angeles",
        "America/New_York",
    )
    assert "Portland" in payload["error"]
    maine = ok("get_local_time", place="Portland, Maine")
    assert (maine["time_zone"], maine["time"]) == ("America/New_York", "08:00")


@pytest.mark.parametrize(
    ("place", "zone", "date", "time", "offset", "abbreviation"),
    [
        ("Tokyo", "Asia/Tokyo", "2024-07-01", "21:00", "+09:00", "JST"),
        ("JFK", "America/New_York", "2024-07-01", "08:00", "-04:00", "EDT"),
        ("London", "Europe/London", "2024-07-01", "13:00", "+01:00", "BST"),
        ("asia/kolkata", "Asia/Kolkata", "2024-07-01", "17:30", "+05:30", "IST"),
        ("Honolulu", "Pacific/Honolulu", "2024-07-01", "02:00", "-10:00", "HST"),
        ("Auckland", "Pacific/Auckland", "2024-07-02", "00:00", "+12:00", "NZST"),
    ],
)
def test_local_time_with_a_fixed_clock(
    place: str, zone: str, date: str, time: str, offset: str, abbreviation: str
) -> None:
    answer = ok("get_local_time", place=place)
    assert answer["time_zone"] == zone
    assert (answer["date"], answer["time"], answer["utc_offset"]) == (date, time, offset)
    assert answer["abbreviation"] == abbreviation
    assert answer["local_time"] == f"{date}T{time}:00{offset}"
    assert answer["place"] == place


def test_local_time_follows_daylight_saving() -> None:
    set_clock(lambda: WINTER_NOON_UTC)
    answer = ok("get_local_time", place="LHR")
    assert (answer["time"], answer["utc_offset"], answer["abbreviation"]) == (
        "12:00",
        "+00:00",
        "GMT",
    )
    assert answer["weekday"] == "Monday"
    assert answer["matched"] == "London Heathrow Airport (LHR), London, GB"


def test_flight_estimate_jfk_to_lhr() -> None:
    estimate = ok("get_flight_estimate", origin="JFK", destination="LHR")
    assert estimate["distance_km"] == pytest.approx(5540, rel=0.01)
    assert estimate["distance_miles"] == pytest.approx(5540 / 1.609344, rel=0.01)
    assert estimate["block_time_minutes"] == 445  # 30 + 5540 / 800 * 60 = 445.5 -> 445
    assert estimate["block_time"] == "7 h 25 min"
    assert estimate["time_difference_hours"] == 5
    assert estimate["time_difference"] == "London is 5 h ahead of New York"
    assert (estimate["origin"]["code"], estimate["destination"]["code"]) == ("JFK", "LHR")


def test_flight_estimate_picks_major_airports_for_cities() -> None:
    estimate = ok("get_flight_estimate", origin="London", destination="New York")
    assert (estimate["origin"]["code"], estimate["destination"]["code"]) == ("LHR", "JFK")
    assert estimate["time_difference"] == "New York is 5 h behind London"
    assert ok("get_flight_estimate", origin="Tokyo", destination="Sydney")["origin"]["code"] in {
        "HND",
        "NRT",
    }
    india = ok("get_flight_estimate", origin="London", destination="Delhi")
    assert india["time_difference"] == "New Delhi is 4 h 30 min ahead of London"


def test_flight_estimate_same_airport() -> None:
    failed("get_flight_estimate", "same_place", origin="LHR", destination="Heathrow")


@pytest.mark.parametrize(("km", "minutes"), [(0, 30), (100, 40), (1000, 105), (5540, 445)])
def test_block_time_formula(km: float, minutes: int) -> None:
    assert block_time_minutes(km) == minutes
