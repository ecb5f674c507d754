"""The schema comes from Alembic migrations, on an empty SQLite file and an empty PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.storage.db import create_engine
from services.storage.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from services.storage.models import Base


async def _tables(connection: AsyncConnection) -> set[str]:
    return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_migrations_build_every_table_on_an_empty_database(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) is None
        await upgrade_to_head(engine)
        await upgrade_to_head(engine)  # a second run is a no-op, not an error
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            assert set(Base.metadata.tables) <= await _tables(connection)
    finally:
        await engine.dispose()


async def test_downgrade_to_nothing_and_back(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)

        def down_then_up(sync_connection: object) -> None:
            config = alembic_config()
            config.attributes["connection"] = sync_connection
            command.downgrade(config, "base")
            command.upgrade(config, "head")

        async with engine.begin() as connection:
            await connection.run_sync(down_then_up)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_sqlite_file_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            assert (await connection.scalar(text("PRAGMA journal_mode"))) == "wal"
            assert (await connection.scalar(text("PRAGMA foreign_keys"))) == 1
    finally:
        await engine.dispose()


async def test_the_migrations_and_the_models_agree(database_url: str) -> None:
    """A model changed without a migration would work in tests and fail in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)

        def differences(sync_connection: object) -> list[object]:
            context = MigrationContext.configure(
                sync_connection,  # type: ignore[arg-type]
                opts={"compare_type": True},
            )
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()
