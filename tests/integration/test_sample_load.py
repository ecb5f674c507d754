"""The shipped catalogue and sample offices load into an empty database, once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.sample_data import prepare_database
from services.storage.models import Office, OfficeService, Service


async def test_an_empty_database_gets_the_sample_once(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert await prepare_database(engine, sessions, with_sample=True) is True
    async with sessions() as session:
        services = await session.scalar(select(func.count()).select_from(Service))
        offices = await session.scalar(select(func.count()).select_from(Office))
        provinces = await session.scalar(select(func.count(func.distinct(Office.province))))
        samples = await session.scalar(select(func.count()).where(Office.is_sample.is_(True)))
        passport_offices = await session.scalar(
            select(func.count()).where(OfficeService.service_key == "passport_issue")
        )
    assert services is not None and services >= 40
    assert offices is not None and offices >= 1000
    assert samples == offices  # every shipped office is marked as sample data
    assert provinces == 31
    assert passport_offices is not None and 0 < passport_offices < offices

    # A second start finds data and loads nothing.
    assert await prepare_database(engine, sessions, with_sample=True) is False
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Office)) == offices
