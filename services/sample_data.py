"""The catalogue and sample offices shipped inside the package, and first-start set-up."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.importing import ImportResult, import_catalogue, import_offices
from services.storage.migrate import upgrade_to_head
from services.storage.models import Office, Service

DATA = resources.files("services") / "data"


def shipped_file(name: str) -> Path:
    """Path of a data file inside the installed package (setuptools installs them as files)."""
    return Path(str(DATA / name))


async def load_sample(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[ImportResult, ImportResult]:
    """Load the shipped catalogue and the sample offices (idempotent: upserts by key/code)."""
    catalogue = await import_catalogue(sessions, shipped_file("catalogue.json"), kind="sample")
    offices = await import_offices(
        sessions, shipped_file("sample_offices.json"), is_sample=True, kind="sample"
    )
    return catalogue, offices


async def is_empty(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        services = await session.scalar(select(func.count()).select_from(Service))
        offices = await session.scalar(select(func.count()).select_from(Office))
    return not services and not offices


async def prepare_database(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], *, with_sample: bool
) -> bool:
    """Migrate to the newest schema; load the sample into an empty database if asked.

    Returns True when the sample was loaded now.
    """
    await upgrade_to_head(engine)
    if with_sample and await is_empty(sessions):
        await load_sample(sessions)
        return True
    return False
