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
