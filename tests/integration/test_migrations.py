"""The schema comes from Alembic migrations, on an empty SQLite file and an empty PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.attempts import allow_attempt, record_failure
from services.booking import active_bookings, book
from services.conversation import ConversationStore
from services.identity import BALE, TELEGRAM, UserRef
from services.storage.db import create_engine, session_factory
from services.storage.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    migrate_to,
    upgrade_to_head,
)
from services.storage.models import Base
from tests.helpers.booking_data import (
    NOW,
    RULES,
    VAULT,
    new_code,
    office_with_desks,
    request,
)
from tests.helpers.booking_data import (
    valid_national_code as code,
)


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


async def test_rows_from_before_messengers_are_telegrams_there_and_back(database_url: str) -> None:
    """Revision 0008 gives every chat and user id a messenger; what a deployment stored
    before it is Telegram's, and going back keeps it."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await upgrade_to_head(engine)
        office_id = await office_with_desks(sessions, desks=2)
        view, _ = await book(sessions, VAULT, RULES, request(office_id, 7, code(1)), NOW, new_code)
        async with ConversationStore(engine).open(TELEGRAM, 7, 7) as conversation:
            conversation.go("book", "mobile", office=office_id)
        await record_failure(sessions, "track:telegram:7", NOW, dt.timedelta(minutes=10))

        await migrate_to(engine, "0007", down=True)
        async with engine.connect() as connection:
            owner = await connection.scalar(text("SELECT telegram_user_id FROM bookings"))
            key = await connection.scalar(text("SELECT key FROM attempt_counters"))
        assert (owner, key) == (7, "track:7")

        await migrate_to(engine, "head")
        assert [b.tracking_code for b in await active_bookings(sessions, UserRef(TELEGRAM, 7))] == [
            view.tracking_code
        ]
        assert await active_bookings(sessions, UserRef(BALE, 7)) == []
        async with ConversationStore(engine).open(TELEGRAM, 7) as conversation:
            assert conversation.at("book", "mobile")
        async with ConversationStore(engine).open(BALE, 7) as conversation:
            assert conversation.flow is None  # Bale's 7 is someone else
        assert not await allow_attempt(
            sessions, "track:telegram:7", 1, NOW, dt.timedelta(minutes=10)
        )
    finally:
        await engine.dispose()


async def test_going_back_before_messengers_is_refused_while_bale_citizens_have_bookings(
    database_url: str,
) -> None:
    """Back before 0008, a Bale citizen's booking would become a Telegram stranger's."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await upgrade_to_head(engine)
        office_id = await office_with_desks(sessions, desks=2)
        on_bale = request(office_id, 7, code(2), messenger=BALE)
        await book(sessions, VAULT, RULES, on_bale, NOW, new_code)
        with pytest.raises(RuntimeError, match="other than Telegram"):
            await migrate_to(engine, "0007", down=True)
        assert await current_revision(engine) == head_revision()
        assert len(await active_bookings(sessions, UserRef(BALE, 7))) == 1
    finally:
        await engine.dispose()
