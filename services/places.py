"""Iran's provinces, counties and cities (with points), shipped in ``data/divisions.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.sample_data import shipped_file


@dataclass(frozen=True)
class Division:
    """A province, county or city, with the names of what contains it."""

    kind: str  # "province" | "county" | "city"
    name: str
    province: str
    county: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class TehranDistrict:
    number: int
    lat: float
    lon: float


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(shipped_file("divisions.json").read_text("utf-8"))
    return document


@cache
def divisions() -> tuple[Division, ...]:
    """Every province, county and city, provinces first."""
    data = _document()
    provinces = {p["id"]: p["name"] for p in data["provinces"]}
    counties = {c["id"]: c["name"] for c in data["counties"]}
    found = [Division("province", name, name) for name in provinces.values()]
    found += [
        Division("county", c["name"], provinces[c["province_id"]], c["name"])
        for c in data["counties"]
    ]
    found += [
        Division(
            "city",
            c["name"],
            provinces[c["province_id"]],
            counties.get(c["county_id"]),
            c.get("lat"),
            c.get("lon"),
        )
        for c in data["cities"]
    ]
    return tuple(found)


@cache
def tehran_districts() -> tuple[TehranDistrict, ...]:
    return tuple(
        TehranDistrict(d["number"], d["lat"], d["lon"]) for d in _document()["tehran_districts"]
    )


def locate(
    province: str | None = None,
    county: str | None = None,
    city: str | None = None,
    district: int | None = None,
) -> tuple[float, float] | None:
    """A point to search from for a named place: a Tehran district's centre, a city's point,
    or for a county or province the city of the same name (its seat), else the middle of
    its cities."""
    if district is not None and (city in (None, "تهران")):
        for known in tehran_districts():
            if known.number == district:
                return known.lat, known.lon
    cities = [d for d in divisions() if d.kind == "city"]
    if province:
        cities = [d for d in cities if d.province == province]
    if county:
        cities = [d for d in cities if d.county == county]
    name = city or county or province
    if city:
        cities = [d for d in cities if d.name == city]
    points = {d.name: (d.lat, d.lon) for d in cities if d.lat is not None and d.lon is not None}
    if name in points:
        return points[name]
    if not points:
        return None
    lats = sorted(lat for lat, _ in points.values())
    lons = sorted(lon for _, lon in points.values())
    return lats[len(lats) // 2], lons[len(lons) // 2]
