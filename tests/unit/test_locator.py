"""The locator finds what a brute-force scan over every office would, only faster."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from services.clock import TEHRAN
from services.geo import haversine_km
from services.locator import SEARCH_RADIUS_KM, OfficeEntry, OfficeFilter, OfficeIndex
from services.opening import OfficeHours, compile_hours

SERVICES = [f"service_{i}" for i in range(8)]
NETWORKS = ["pishkhan", "police10", "municipal"]
MORNINGS = {day: [["08:00", "13:00"]] for day in ("sat", "sun", "mon", "tue", "wed")}
EVENINGS = {day: [["16:00", "20:00"]] for day in ("sat", "sun", "mon", "tue", "wed", "thu")}
# A Sunday (یکشنبه) that is no holiday: 10:00 and 17:00 in Tehran.
MORNING = dt.datetime(2026, 11, 29, 10, 0, tzinfo=TEHRAN)
EVENING = dt.datetime(2026, 11, 29, 17, 0, tzinfo=TEHRAN)


def random_offices(count: int, seed: int) -> list[OfficeEntry]:
    rng = random.Random(seed)
    offices = []
    for i in range(count):
        lat, lon = rng.uniform(25.0, 39.5), rng.uniform(44.0, 63.0)
        offered = frozenset(s for s in SERVICES if rng.random() < 0.3)
        hours = compile_hours(MORNINGS if rng.random() < 0.6 else EVENINGS)
        offices.append(
            OfficeEntry(
                id=i,
                name=f"office {i}",
                network_key=rng.choice(NETWORKS),
                network_fa="",
                province="p",
                county="c",
                city="c",
                district=None,
                address="",
                phone="",
                lat=lat,
                lon=lon,
                hours=OfficeHours(i, "p", "c", hours),
                services=offered,
            )
        )
    return offices


def brute_force(
    offices: list[OfficeEntry],
    service: str,
    lat: float,
    lon: float,
    *,
    open_at: dt.datetime | None = None,
    network: str | None = None,
    within_km: float | None = None,
) -> list[tuple[int, float]]:
    found = [
        (o.id, haversine_km(lat, lon, o.lat, o.lon))
        for o in offices
        if service in o.services
        and (network is None or o.network_key == network)
        and (open_at is None or o.hours.is_open(open_at))
    ]
    return sorted(
        ((i, km) for i, km in found if within_km is None or km <= within_km),
        key=lambda pair: pair[1],
    )


@pytest.mark.parametrize("seed", range(5))
def test_nearest_offering_a_service_matches_a_full_scan(seed: int) -> None:
    offices = random_offices(3000, seed)
    index = OfficeIndex(offices)
    rng = random.Random(100 + seed)
    for _ in range(40):
        lat, lon = rng.uniform(25.0, 39.5), rng.uniform(44.0, 63.0)
        service = rng.choice(SERVICES)
        open_at = rng.choice([None, MORNING, EVENING])
        network = rng.choice([None, None, *NETWORKS])
        skip = rng.choice([0, 0, 5])
        within = rng.choice([None, None, 50.0, 150.0])
        expected = brute_force(
            offices, service, lat, lon, open_at=open_at, network=network, within_km=within
        )
        found = index.nearest(
            service, lat, lon, 5, skip=skip, open_at=open_at, network=network, within_km=within
        )
        assert [n.office.id for n in found] == [i for i, _ in expected[skip : skip + 5]]
        for nearby, (_, km) in zip(found, expected[skip : skip + 5], strict=True):
            assert nearby.distance_km == pytest.approx(km, abs=1e-6)
            assert service in nearby.office.services


def test_fewer_offices_than_asked_returns_all_of_them_in_order() -> None:
    offices = random_offices(30, 7)
    index = OfficeIndex(offices)
    expected = brute_force(offices, "service_1", 35.7, 51.4)
    found = index.nearest("service_1", 35.7, 51.4, 100)
    assert [n.office.id for n in found] == [i for i, _ in expected]
    assert index.nearest("no_such_service", 35.7, 51.4) == []


def test_plain_nearest_ignoring_the_service_would_be_wrong() -> None:
    """The nearest office of all is often not one that offers the service."""
    offices = random_offices(2000, 3)
    index = OfficeIndex(offices)
    nearest_of_all = min(offices, key=lambda o: haversine_km(35.7, 51.4, o.lat, o.lon))
    service = next(s for s in SERVICES if s not in nearest_of_all.services)
    (first,) = index.nearest(service, 35.7, 51.4, 1)
    assert first.office.id != nearest_of_all.id
    assert service in first.office.services


def test_the_networks_near_a_point_are_those_a_scan_finds_nearest_first() -> None:
    offices = random_offices(3000, 11)
    index = OfficeIndex(offices)
    by_id = {o.id: o for o in offices}
    rng = random.Random(12)
    sizes = set()
    for _ in range(60):
        lat, lon = rng.uniform(25.0, 39.5), rng.uniform(44.0, 63.0)
        service = rng.choice(SERVICES)
        expected: list[str] = []
        for office_id, _ in brute_force(offices, service, lat, lon, within_km=40.0):
            if by_id[office_id].network_key not in expected:
                expected.append(by_id[office_id].network_key)
        assert list(index.networks_near(service, lat, lon, 40.0)) == expected
        sizes.add(len(expected))
    assert {0, 1, 2} <= sizes  # the points met empty, single and mixed neighbourhoods


def test_a_filtered_search_stays_within_the_radius_an_unfiltered_one_does_not() -> None:
    offices = random_offices(3000, 13)
    index = OfficeIndex(offices)
    remote = (22.0, 66.0)  # out at sea, beyond the box the offices are spread over
    unfiltered = index.search(
        "service_2", *remote, page=0, size=5, narrowed=OfficeFilter(), at=MORNING, closures=()
    )
    assert unfiltered.offices[0].distance_km > SEARCH_RADIUS_KM
    assert unfiltered.networks == {}
    narrowed = index.search(
        "service_2",
        *remote,
        page=0,
        size=5,
        narrowed=OfficeFilter(open_now=True),
        at=MORNING,
        closures=(),
    )
    assert narrowed.offices == [] and not narrowed.more
