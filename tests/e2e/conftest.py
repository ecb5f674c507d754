"""The real Application, polling the project's Bot API emulator over HTTP, on a SQLite file.

Every test gets its own copy of a database migrated and seeded once per session, its own
emulator and its own running bot.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.runtime import open_services, polling_bot
from emulator import BotApiEmulator, EmulatorClient
from services.identity import MESSENGERS, TELEGRAM
from services.sample_data import prepare_database
from services.settings import Settings, load_settings
from services.storage.db import create_engine, session_factory
from tests.helpers.postgres import fresh_postgres_database
from tests.helpers.world import World


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema and the shipped sample data, built once."""
    import asyncio

    path = tmp_path_factory.mktemp("seed") / "seeded.db"

    async def seed() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await prepare_database(engine, session_factory(engine), with_sample=True)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    return path


@pytest.fixture
def settings(seeded_database: Path, tmp_path: Path) -> Settings:
    database = tmp_path / "pishkhan.db"
    shutil.copy(seeded_database, database)
    # Bale is polled with a pause between polls (its getUpdates may not wait): short here.
    return load_settings(database_url=f"sqlite:///{database}", bale_poll_seconds=0.05)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module that sets ``ON_EVERY_MESSENGER = True`` runs each of its tests against the
    emulator in each messenger's profile (the core flows: find, book, track, staff,
    complain); the others on Telegram's alone."""
    if "messenger" in metafunc.fixturenames and getattr(
        metafunc.module, "ON_EVERY_MESSENGER", False
    ):
        metafunc.parametrize("messenger", MESSENGERS)


@pytest.fixture
def messenger() -> str:
    """The messenger whose Bot API the emulator speaks in this test."""
    return TELEGRAM


@asynccontextmanager
async def running_world(
    settings: Settings, *, with_sample: bool = False, messenger: str = TELEGRAM
) -> AsyncIterator[World]:
    """The services on ``settings``' database, an emulator in ``messenger``'s profile and
    the bot polling it."""
    async with (
        open_services(settings, with_sample=with_sample) as deps,
        BotApiEmulator(messenger=messenger) as emulator,
        polling_bot(
            deps,
            token=emulator.token,
            base_url=emulator.base_url,
            messenger=messenger,
            rate_limit=False,
            delivery_interval=0.2,
        ),
        EmulatorClient(emulator.root_url) as client,
    ):
        yield World(emulator, client, deps, settings)


@pytest.fixture
async def world(settings: Settings, messenger: str) -> AsyncIterator[World]:
    async with running_world(settings, messenger=messenger) as world:
        yield world
        # Whatever the flow, nothing was asked of the messenger that its Bot API lacks.
        assert world.emulator.unsupported_calls == []


@pytest.fixture(params=["sqlite", "postgres"])
async def world_on_each_database(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[World]:
    """The same world on the seeded SQLite file and on a fresh PostgreSQL database (seeded
    as ``pishkhan run`` seeds an empty one): for what the two store differently."""
    if request.param == "sqlite":
        async with running_world(settings) as world:
            yield world
        return
    async with fresh_postgres_database() as url:
        on_postgres = load_settings(database_url=url, secret_key="a test secret key, not real")
        async with running_world(on_postgres, with_sample=True) as world:
            yield world
