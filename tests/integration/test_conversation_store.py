"""A chat's place in a conversation survives a restart and another worker's turn."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.conversation import ConversationStore
from services.identity import TELEGRAM
from services.operations import database_answers
from services.storage.db import create_engine, session_factory
from services.storage.migrate import upgrade_to_head


async def test_state_written_by_one_store_is_read_by_a_fresh_one(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    first = ConversationStore(engine)
    async with first.open(TELEGRAM, 42, user_id=7) as conversation:
        conversation.go("booking", "choose_day", service="passport_issue", office=12)

    # A "restarted" process: its own engine and store.
    engine2 = create_engine(database_url)
    try:
        second = ConversationStore(engine2)
        async with second.open(TELEGRAM, 42) as conversation:
            assert conversation.at("booking", "choose_day")
            assert conversation.data == {"service": "passport_issue", "office": 12}
            assert conversation.user_id == 7
            conversation.reset()
        async with first.open(TELEGRAM, 42) as conversation:
            assert conversation.flow is None and conversation.data == {}
    finally:
        await engine2.dispose()


async def test_one_chat_is_handled_in_order_and_no_update_is_lost(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """Two workers (two engines) append to one chat's draft concurrently: nothing is lost."""
    engine2 = create_engine(database_url)
    stores = [
        ConversationStore(engine),
        ConversationStore(engine2),
    ]

    async def append(index: int) -> None:
        async with stores[index % 2].open(TELEGRAM, 5) as conversation:
            seen = list(conversation.data.get("seen", []))
            await asyncio.sleep(0.005)  # a handler doing I/O while holding the chat
            conversation.data["seen"] = [*seen, index]

    try:
        # SQLite runs one process per database, so its lock is per process: one store there.
        if engine.dialect.name == "sqlite":
            stores[1] = stores[0]
        await asyncio.gather(*(append(i) for i in range(20)))
        async with stores[0].open(TELEGRAM, 5) as conversation:
            assert sorted(conversation.data["seen"]) == list(range(20))
            assert conversation.version == 20
    finally:
        await engine2.dispose()


async def test_a_database_restart_is_invisible_to_the_next_update(postgres_url: str) -> None:
    """The pool does not ping its connections; when the server has dropped them all (as a
    restart does), the next update still finds its conversation, and the handlers' own
    queries after it get fresh connections."""
    engine = create_engine(postgres_url)
    await upgrade_to_head(engine)
    store = ConversationStore(engine)
    try:
        async with store.open(TELEGRAM, 42, user_id=7) as conversation:
            conversation.go("booking", "choose_day", office=12)
        assert await _drop_connections(postgres_url) >= 1  # the store's pooled connections
        async with store.open(TELEGRAM, 42) as conversation:
            assert conversation.at("booking", "choose_day")
            assert conversation.data == {"office": 12}
            conversation.go("booking", "choose_time", office=12)
        async with session_factory(engine)() as session:
            assert await session.scalar(text("SELECT step FROM dialog_states")) == "choose_time"
        # /healthz after a restart: the database is up, whatever the pool held.
        assert await _drop_connections(postgres_url) >= 1
        await database_answers(session_factory(engine))
    finally:
        await engine.dispose()


async def _drop_connections(url: str) -> int:
    """What a server restart does to clients: every connection to the database is cut."""
    server = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        dropped: int = await server.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return dropped
    finally:
        await server.close()
