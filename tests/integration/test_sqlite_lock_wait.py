"""While an operator's command holds SQLite's write lock, the bot waits its turn without
freezing: other updates, /healthz and timers keep being served meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.storage import inline_sqlite
from services.storage.db import create_engine, session_factory
from services.storage.migrate import upgrade_to_head
from services.storage.models import OperatorSwitch


@pytest.fixture
async def database(tmp_path: Path) -> str:
    path = tmp_path / "pishkhan.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_to_head(engine)
    await engine.dispose()
    return str(path)


async def _switch_crisis_on(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A write through the bot's own engine: one operator switch row."""
    async with sessions() as session, session.begin():
        session.add(OperatorSwitch(key="crisis", value="on"))


async def _ticks_while(work: asyncio.Task[None]) -> int:
    """How often a 10 ms timer fired while ``work`` ran: 0 when the loop was held still."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_a_write_waits_for_another_process_lock_without_blocking_the_loop(
    database: str,
) -> None:
    other = sqlite3.connect(database, isolation_level=None)  # an operator's import
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO operator_switches (key, value, updated_at) VALUES ('x', '1', 0)")
    asyncio.get_running_loop().call_later(0.4, other.execute, "COMMIT")

    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    sessions = session_factory(engine)

    try:
        started = time.monotonic()
        work = asyncio.create_task(_switch_crisis_on(sessions))
        ticks = await _ticks_while(work)
        await work
        waited = time.monotonic() - started
        async with sessions() as session:
            count = await session.scalar(select(func.count()).select_from(OperatorSwitch))
    finally:
        await engine.dispose()
        other.close()
    assert count == 2  # both writes landed, one after the other
    assert 0.35 <= waited < 3
    assert ticks >= 15  # the loop kept turning the whole time


async def test_a_lock_held_too_long_ends_in_an_error_not_a_hang(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inline_sqlite, "BUSY_WAIT", 0.3)
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    sessions = session_factory(engine)

    try:
        work = asyncio.create_task(_switch_crisis_on(sessions))
        ticks = await _ticks_while(work)
        with pytest.raises(OperationalError, match="locked"):
            await work
    finally:
        other.execute("ROLLBACK")
        other.close()
        await engine.dispose()
    assert ticks >= 10
