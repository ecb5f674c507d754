"""A chat's place in a conversation survives a restart and another worker's turn."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.conversation import ConversationStore
from services.storage.db import create_engine


async def test_state_written_by_one_store_is_read_by_a_fresh_one(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    first = ConversationStore(engine)
    async with first.open(42, user_id=7) as conversation:
        conversation.go("booking", "choose_day", service="passport_issue", office=12)

    # A "restarted" process: its own engine and store.
    engine2 = create_engine(database_url)
    try:
        second = ConversationStore(engine2)
        async with second.open(42) as conversation:
            assert conversation.at("booking", "choose_day")
            assert conversation.data == {"service": "passport_issue", "office": 12}
            assert conversation.user_id == 7
            conversation.reset()
        async with first.open(42) as conversation:
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
        async with stores[index % 2].open(5) as conversation:
            seen = list(conversation.data.get("seen", []))
            await asyncio.sleep(0.005)  # a handler doing I/O while holding the chat
            conversation.data["seen"] = [*seen, index]

    try:
        # SQLite runs one process per database, so its lock is per process: one store there.
        if engine.dialect.name == "sqlite":
            stores[1] = stores[0]
        await asyncio.gather(*(append(i) for i in range(20)))
        async with stores[0].open(5) as conversation:
            assert sorted(conversation.data["seen"]) == list(range(20))
            assert conversation.version == 20
    finally:
        await engine2.dispose()
