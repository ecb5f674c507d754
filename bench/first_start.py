"""First start and menu round trip: how long an operator and a citizen wait.

Prints: migrating and seeding an empty SQLite file (and PostgreSQL when
PISHKHAN_TEST_POSTGRES_URL is set), then the latency of /start and of a menu button through
the real Application polling the local Bot API emulator over HTTP, and peak memory.

    python -m bench.first_start [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg

from bot.runtime import open_services, polling_bot
from dialogs import texts
from emulator import BotApiEmulator, EmulatorClient
from services.sample_data import prepare_database
from services.settings import load_settings
from services.storage.db import create_engine, session_factory


async def time_first_start(database_url: str) -> float:
    engine = create_engine(database_url)
    started = time.perf_counter()
    try:
        await prepare_database(engine, session_factory(engine), with_sample=True)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def time_first_start_on_postgres(admin_url: str) -> float:
    """The same on a new, empty database beside the admin one, dropped afterwards."""
    name = f"pishkhan_bench_{int(time.time())}"
    admin = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    try:
        return await time_first_start(admin_url.rsplit("/", 1)[0] + f"/{name}")
    finally:
        await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def time_round_trips(database_url: str, rounds: int) -> dict[str, list[float]]:
    settings = load_settings(database_url=database_url)
    timings: dict[str, list[float]] = {"/start": [], "menu button": []}
    async with (
        open_services(settings, with_sample=False) as deps,
        BotApiEmulator() as emulator,
        polling_bot(deps, token=emulator.token, base_url=emulator.base_url, rate_limit=False),
        # quiet=0: return as soon as the answer is there, so the figure is the bot's latency.
        EmulatorClient(emulator.root_url, quiet=0.0) as client,
    ):
        for i in range(rounds):
            citizen = client.person(10_000 + i, "شهروند")
            started = time.perf_counter()
            await citizen.says("/start")
            timings["/start"].append(time.perf_counter() - started)
            started = time.perf_counter()
            await citizen.presses(texts.MENU_HELP)
            timings["menu button"].append(time.perf_counter() - started)
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        print(f"migrate + seed, empty SQLite file: {await time_first_start(url):.2f} s")
        postgres = os.environ.get("PISHKHAN_TEST_POSTGRES_URL")
        if postgres:
            seconds = await time_first_start_on_postgres(postgres)
            print(f"migrate + seed, empty PostgreSQL: {seconds:.2f} s")
        timings = await time_round_trips(url, args.rounds)
    for name, values in timings.items():
        ms = [v * 1000 for v in values]
        print(
            f"{name:12s} n={len(ms)}  p50 {statistics.median(ms):6.1f} ms  "
            f"p99 {percentile(ms, 0.99):6.1f} ms  max {max(ms):6.1f} ms"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
