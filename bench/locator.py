"""The locator at country scale: 50,000 offices, 40 services, random points across Iran.

Prints the median and p99 latency of "the 5 nearest offices offering service S, open now"
through the index, and the same answered by a plain scan over every office, in one run.

    python -m bench.locator [--offices 50000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from services.clock import TEHRAN
from services.geo import haversine_km
from services.locator import OfficeEntry, OfficeIndex
from services.opening import OfficeHours, compile_hours

WEEK = ("sat", "sun", "mon", "tue", "wed")
HOUR_PLANS = [
    compile_hours({**{d: [["08:00", "14:00"]] for d in WEEK}, "thu": [["08:00", "12:00"]]}),
    compile_hours({d: [["07:30", "13:30"], ["16:00", "19:00"]] for d in WEEK}),
    compile_hours({d: [["08:00", "16:00"]] for d in (*WEEK, "thu")}),
    compile_hours({d: [["16:00", "21:00"]] for d in (*WEEK, "thu")}),
]
# A Sunday at 10:30 in Tehran, not a holiday: most offices are open, evening ones are not.
NOW = dt.datetime(2026, 11, 29, 10, 30, tzinfo=TEHRAN)


def make_offices(count: int, services: list[str], rng: random.Random) -> list[OfficeEntry]:
    offices = []
    for i in range(count):
        offered = frozenset(rng.sample(services, rng.randint(3, 15)))
        offices.append(
            OfficeEntry(
                id=i,
                name=f"office {i}",
                network_key=rng.choice(["pishkhan", "police10", "judicial", "municipal"]),
                network_fa="",
                province="p",
                county="c",
                city="c",
                district=None,
                address="",
                phone="",
                lat=rng.uniform(25.3, 39.7),
                lon=rng.uniform(44.1, 63.3),
                hours=OfficeHours(i, "p", "c", rng.choice(HOUR_PLANS)),
                services=offered,
            )
        )
    return offices


def scan(offices: list[OfficeEntry], service: str, lat: float, lon: float) -> list[int]:
    found = [
        (haversine_km(lat, lon, o.lat, o.lon), o.id)
        for o in offices
        if service in o.services and o.hours.is_open(NOW)
    ]
    return [office_id for _, office_id in sorted(found)[:5]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offices", type=int, default=50_000)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--scan-queries", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(2026)
    services = [f"service_{i}" for i in range(args.services)]
    offices = make_offices(args.offices, services, rng)
    started = time.perf_counter()
    index = OfficeIndex(offices)
    built = time.perf_counter() - started
    queries = [
        (rng.choice(services), rng.uniform(25.3, 39.7), rng.uniform(44.1, 63.3))
        for _ in range(args.queries)
    ]

    indexed: list[float] = []
    for service, lat, lon in queries:
        started = time.perf_counter()
        index.nearest(service, lat, lon, 5, open_at=NOW)
        indexed.append(time.perf_counter() - started)
    scanned: list[float] = []
    for service, lat, lon in queries[: args.scan_queries]:
        started = time.perf_counter()
        expected = scan(offices, service, lat, lon)
        scanned.append(time.perf_counter() - started)
        found = [n.office.id for n in index.nearest(service, lat, lon, 5, open_at=NOW)]
        assert found == expected, "the index and the scan disagree"

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.3f} ms"

    print(f"{args.offices} offices, {args.services} services; index built in {built:.2f} s")
    print(
        f"index: 5 nearest offering S, open now  n={len(indexed)}  "
        f"median {ms(statistics.median(indexed))}  p99 {ms(percentile(indexed, 0.99))}"
    )
    print(
        f"plain scan, same question             n={len(scanned)}  "
        f"median {ms(statistics.median(scanned))}  p99 {ms(percentile(scanned, 0.99))}"
    )
    print(f"speed-up at the median: {statistics.median(scanned) / statistics.median(indexed):.0f}×")
    print("target: median ≤ 0.5 ms and at least 20× the scan")


if __name__ == "__main__":
    main()
