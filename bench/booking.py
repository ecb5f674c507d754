"""Bookings per second and their latency, with many offices and slots, on a SQLite file and
(when PISHKHAN_TEST_POSTGRES_URL is set) on PostgreSQL.

Citizens book concurrently (each with their own national code and Telegram id) at random
offices and times over the next days; some times fill up, so refusals are part of the load.

    python -m bench.booking [--offices 200] [--bookings 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from nlp.extract import check_digit
from nlp.tracking import new_tracking_code
from services.booking import BookingRefused, BookingRequest, book
from services.clock import TEHRAN
from services.identity import TELEGRAM, UserRef
from services.importing import import_catalogue
from services.privacy import Vault
from services.scheduling import BookingRules
from services.storage.db import create_engine, session_factory
from services.storage.migrate import upgrade_to_head
from services.storage.models import Office, OfficeService

NOW = dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN)  # a Saturday morning, no holiday
WEEK = {d: [["08:00", "14:00"]] for d in ("sat", "sun", "mon", "tue", "wed")}
SERVICES = ("passport_issue", "birth_certificate_duplicate")
VAULT = Vault("benchmark secret key, not a real one")
RULES = BookingRules(max_active_per_user=5)
CATALOGUE = Path(__file__).resolve().parent.parent / "tests" / "data" / "mini_catalogue.json"


def national_code(n: int) -> str:
    body = f"{n + 12_345_678:09d}"
    return body + check_digit(body)


async def prepare(sessions: async_sessionmaker[AsyncSession], offices: int) -> list[int]:
    await import_catalogue(sessions, CATALOGUE)
    ids = []
    async with sessions() as session, session.begin():
        for i in range(offices):
            office = Office(
                code=f"B-{i}", name=f"office {i}", network_key="police10", province="تهران",
                city="تهران", lat=35.7, lon=51.4, weekly_hours=WEEK, desks=3,
            )  # fmt: skip
            session.add(office)
            await session.flush()
            session.add_all(OfficeService(office_id=office.id, service_key=s) for s in SERVICES)
            ids.append(office.id)
    return ids


async def run(url: str, offices: int, bookings: int, concurrency: int) -> None:
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sessions = session_factory(engine)
    office_ids = await prepare(sessions, offices)
    rng = random.Random(7)
    starts = [  # the services' 15-minute grid, 08:00 to 13:45, three days
        NOW.replace(hour=8) + dt.timedelta(days=day, minutes=15 * step)
        for day in (0, 1, 2)
        for step in range(24)
    ]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(bookings):
        queue.put_nowait(n)
    latencies: list[float] = []
    refused = 0

    async def citizen() -> None:
        nonlocal refused
        while not queue.empty():
            n = queue.get_nowait()
            request = BookingRequest(
                office_id=rng.choice(office_ids),
                service_key=rng.choice(SERVICES),
                starts_at=rng.choice(starts),
                citizen=UserRef(TELEGRAM, 10_000 + n),
                chat_id=10_000 + n,
                national_code=national_code(n),
                mobile="09121234567",
                citizen_name=None,
                idempotency_key=f"bench:{n}",
            )
            began = time.perf_counter()
            try:
                await book(sessions, VAULT, RULES, request, NOW, new_tracking_code)
            except BookingRefused:
                refused += 1
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(citizen() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    await engine.dispose()
    latencies.sort()
    kind = "SQLite file" if url.startswith("sqlite") else "PostgreSQL"
    print(
        f"{kind:11s}: {bookings} attempts ({bookings - refused} booked, {refused} refused) in "
        f"{elapsed:.1f} s = {bookings / elapsed:.0f} attempts/s; latency p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
        f"{latencies[int(0.99 * len(latencies))] * 1000:.1f} ms ({concurrency} at once, "
        f"{offices} offices)"
    )


async def fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"pishkhan_bench_{int(time.time())}"
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


async def drop_postgres(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offices", type=int, default=200)
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await run(url, args.offices, args.bookings, args.concurrency)
    admin = os.environ.get("PISHKHAN_TEST_POSTGRES_URL")
    if admin:
        url, name = await fresh_postgres(admin)
        try:
            await run(url, args.offices, args.bookings, args.concurrency)
        finally:
            await drop_postgres(admin, name)


if __name__ == "__main__":
    asyncio.run(main())
