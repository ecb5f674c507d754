"""Distances on the Earth's surface."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """The point on the unit sphere: straight-line (chord) distances between such vectors
    order points exactly as great-circle distances do, so a k-d tree can search them."""
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def chord_to_km(chord: float) -> float:
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2))


def km_to_chord(km: float) -> float:
    """The chord between unit vectors ``km`` apart on the surface (the inverse of the above)."""
    return 2 * math.sin(min(km / (2 * EARTH_RADIUS_KM), math.pi / 2))
