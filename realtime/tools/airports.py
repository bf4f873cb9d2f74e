"""Airports from ``airportsdata``, and turning a place the model names into an airport.

Runs on the tool worker threads. The data (about 8,000 airports with an IATA code, MIT licensed,
bundled in the wheel, no network) is loaded on first use, once, under a lock; the ICAO table
(about 28,000 airfields) only when a four-letter code is not a known airport's ICAO code.

What flows through: a query string in (a code, a city, "City, Region", "City, CC" or part of an
airport name), ``Airport`` values out, or a ``ToolFailure`` the model can act on: code
``place_not_found`` with ``suggestions``, or ``ambiguous_place`` with ``candidates``.

Ranking, since airportsdata has no size or traffic field: first the ``HUBS`` table below (a
ranking hint only, in its order), then airports whose name says "International", then the code.
A city name is one place when all its airports lie within ``SAME_PLACE_KM`` of the best one;
otherwise, among the clusters that match the city name itself, the only one holding a hub wins
("London" is LHR, not London, Ontario); with none or several it is ambiguous ("Portland").
"""

from __future__ import annotations

import difflib
import math
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypedDict

from realtime.protocol.errors import EngineError
from realtime.tools.result import ToolFailure

__all__ = [
    "HUBS",
    "SAME_PLACE_KM",
    "Airport",
    "AirportIndex",
    "AirportSummary",
    "airport_index",
    "haversine_km",
]

HUBS = (
    "ATL DXB DFW LHR HND DEN IST LAX ORD DEL CDG JFK CAN PEK PVG AMS FRA MAD SIN ICN BCN MUC FCO "
    "SFO SEA YYZ SYD MEX GRU BKK HKG KUL DOH CGK MNL BOM JNB CAI SVO ZRH VIE CPH DUB LIS MIA BOS "
    "IAH LAS MCO CLT PHX MSP DTW PHL IAD MEL AKL NRT KIX TPE BOG LIM SCL ADD NBO LOS CMN ATH OSL "
    "ARN HEL BRU WAW PRG BUD TLV RUH JED AUH BER MAN GVA MXP EWR LGW ORY LGA MDW DCA"
).split()
SAME_PLACE_KM = 150.0
EARTH_RADIUS_KM = 6371.0
_HUB_RANK = {code: rank for rank, code in enumerate(HUBS)}


class AirportSummary(TypedDict):
    """An airport as the travel tools show it to the model (``Airport.summary``)."""

    code: str
    icao: str
    name: str
    city: str
    region: str
    country: str
    tz: str


@dataclass(frozen=True)
class Airport:
    code: str  # IATA, or the ICAO code for an airfield without one
    icao: str
    name: str
    city: str
    region: str
    country: str  # ISO 3166-1 alpha-2
    lat: float
    lon: float
    tz: str  # IANA time zone

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Airport:
        code = record.get("iata") or record["icao"]
        return cls(
            code, record["icao"], record["name"], record["city"], record["subd"],
            record["country"], float(record["lat"]), float(record["lon"]), record["tz"],
        )  # fmt: skip

    def summary(self) -> AirportSummary:
        """The fields a tool shows the model."""
        return {
            "code": self.code, "icao": self.icao, "name": self.name, "city": self.city,
            "region": self.region, "country": self.country, "tz": self.tz,
        }  # fmt: skip

    @cached_property
    def label(self) -> str:
        """E.g. "London Heathrow Airport (LHR), London, GB"."""
        parts = (f"{self.name} ({self.code})", self.city, self.country)
        return ", ".join(part for part in parts if part)

    @cached_property
    def rank(self) -> tuple[int, int, str]:
        international = "international" in _norm(self.name)
        return (_HUB_RANK.get(self.code, len(HUBS)), 0 if international else 1, self.code)


def haversine_km(a: Airport, b: Airport) -> float:
    """Great-circle distance on a sphere of the mean Earth radius, 6371.0 km."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlam = phi2 - phi1, math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class AirportIndex:
    """Lookups over one airportsdata table (keyed by IATA code)."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        self.airports = [Airport.from_record(record) for record in records.values()]
        self._by_code = {airport.code: airport for airport in self.airports}
        self._by_icao = {airport.icao: airport for airport in self.airports if airport.icao}
        self._by_city: dict[str, list[Airport]] = {}
        self._vocabulary: dict[str, str] = {}  # normalised city or name word -> as written
        for airport in self.airports:
            for key in _city_keys(airport.city):
                self._by_city.setdefault(key, []).append(airport)
                self._vocabulary.setdefault(key, airport.city)
            for word in airport.name.split():
                if len(_norm(word)) >= 4:
                    self._vocabulary.setdefault(_norm(word), word.strip("(),/"))
        self._text = [(f" {_norm(a.name)} {_norm(a.city)} ", a) for a in self.airports]

    def search(self, query: str, limit: int = 5) -> list[Airport]:
        """Airports for ``query``, best first: exact code, then city, then name words."""
        codes, cities, names = self._tiers(query)
        ranked = codes + sorted(cities, key=_rank) + sorted(names, key=_rank)
        return list(dict.fromkeys(ranked))[:limit]

    def resolve(self, query: str) -> Airport:
        """The one airport ``query`` means, or ``ToolFailure`` (not found / ambiguous)."""
        base, _, qualifier = query.rpartition(",") if "," in query else (query, "", "")
        codes, cities, names = self._tiers(base)
        if qualifier.strip():
            wanted = _norm(qualifier)
            picked = [a for a in cities + names if wanted in (_norm(a.region), a.country.lower())]
            cities, names = (picked, []) if picked else (cities, names)
        if codes and (base.strip().isupper() or not cities):
            return codes[0]
        if not cities and not names:
            raise self.not_found(base)
        clusters: list[list[Airport]] = []
        for airport in sorted(cities + names, key=_rank):
            home = next((c for c in clusters if haversine_km(c[0], airport) <= SAME_PLACE_KM), None)
            if home is None:
                clusters.append([airport])
            else:
                home.append(airport)
        preferred = [c for c in clusters if set(c) & set(cities)] or clusters
        hubbed = [c for c in preferred if c[0].code in _HUB_RANK]
        if len(preferred) == 1 or len(hubbed) == 1:
            return (hubbed or preferred)[0][0]
        raise ToolFailure(
            f"{query.strip()!r} matches places in different regions; ask which one is meant, "
            "then call again with an airport code or as 'City, Region'",
            code="ambiguous_place",
            candidates=[c[0].summary() for c in preferred[:8]],
        )

    def not_found(self, query: str) -> ToolFailure:
        if not query.strip():
            return ToolFailure("Name a city, an airport code or a time zone.", code="empty_place")
        suggestions = self.suggest(query)
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        return ToolFailure(
            f"No airport, city or time zone matches {query.strip()!r}.{hint}",
            code="place_not_found",
            query=query.strip(),
            suggestions=suggestions,
        )

    def suggest(self, query: str, n: int = 5) -> list[str]:
        """Cities or airport-name words spelled like ``query`` (difflib), best first."""
        close = difflib.get_close_matches(_norm(query), self._vocabulary, n=n, cutoff=0.75)
        return list(dict.fromkeys(self._vocabulary[key] for key in close))

    def _tiers(self, query: str) -> tuple[list[Airport], list[Airport], list[Airport]]:
        raw, key = query.strip(), _norm(query)
        if not key:
            return [], [], []
        codes = [a for a in (self._by_code.get(raw.upper()), self._by_icao.get(raw.upper())) if a]
        cities = [a for a in self._by_city.get(key, []) if a not in codes]
        seen = set(codes + cities)
        names = [a for text, a in self._text if f" {key}" in text and a not in seen]
        if len(key) < 3:  # one or two letters start too many words to mean anything
            names = []
        if not codes and len(raw) == 4 and raw.isalnum() and (raw.isupper() or not (seen or names)):
            codes = _icao_only(raw.upper())  # an airfield without an IATA code
        return codes, cities, names


def _rank(airport: Airport) -> tuple[int, int, str]:
    return airport.rank


def _norm(text: str) -> str:
    """Casefold, drop accents and punctuation: "São Paulo" and "sao-paulo" meet."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.casefold().split())


def _city_keys(city: str) -> set[str]:
    # "Arnavutköy, Istanbul" and "Dallas-Fort Worth" answer to each of their parts too.
    parts = city.replace("/", ",").replace("-", ",").split(",")
    return {_norm(city), *(key for key in map(_norm, parts) if len(key) >= 3)} - {""}


_lock = threading.Lock()
_index: AirportIndex | None = None
_icao: dict[str, Airport] | None = None


def _load(table: Literal["IATA", "ICAO"]) -> Mapping[str, Mapping[str, Any]]:
    try:
        import airportsdata  # heavy-ish: parses a CSV of every airport on first load
    except ImportError as exc:
        raise EngineError("the travel tools need airportsdata: pip install airportsdata") from exc
    records: Mapping[str, Mapping[str, Any]] = airportsdata.load(table)
    return records


def airport_index() -> AirportIndex:
    """The shared index of airports with an IATA code, built once."""
    global _index
    with _lock:
        if _index is None:
            _index = AirportIndex(_load("IATA"))
        return _index


def _icao_only(code: str) -> list[Airport]:
    global _icao
    with _lock:
        if _icao is None:
            _icao = {k: Airport.from_record(v) for k, v in _load("ICAO").items()}
    airport = _icao.get(code)
    return [airport] if airport else []
