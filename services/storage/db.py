"""Engine and session factory: one ``AsyncSession`` per unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services.storage import inline_sqlite

# The bot and an operator's commands share one SQLite file: WAL lets readers run beside the
# writer; a writer that finds it locked waits its turn in inline_sqlite (without blocking the
# event loop, which SQLite's busy_timeout would).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
    # SQLAlchemy, not the driver, starts transactions (see _begin_immediate).
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    """A transaction that reads and then writes (a booking checks, then takes a desk) must
    hold the write lock from its start; a deferred BEGIN would fail with "database is
    locked" when two such transactions meet, instead of waiting its turn."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine for a SQLite file or PostgreSQL."""
    if database_url.startswith("sqlite"):
        # One connection, run on the loop's thread (inline_sqlite): statements cost
        # microseconds instead of a thread hand-over each, and tasks queue for the
        # connection instead of meeting inside SQLite's busy-wait. SQLite writes one
        # transaction at a time anyway.
        engine = create_async_engine(
            database_url,
            echo=echo,
            module=inline_sqlite.dbapi(),
            pool_size=1,
            max_overflow=0,
            pool_timeout=5,
        )
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    # Each update in flight holds one connection for its chat's advisory lock and borrows
    # another for its queries: the pool must outnumber the updates handled at once. No
    # pre-ping: a round trip per checkout cost a fifth of the throughput (bench/e2e.py).
    # After a database restart the first use of an old connection fails and renews the
    # whole pool; an update's first use is retried (services.conversation), anything else
    # fails once and is tried again (Telegram re-sends, the outbox and jobs come back).
    return create_async_engine(database_url, echo=echo, pool_size=20, max_overflow=30)


T = TypeVar("T")


async def once_more_if_dropped(operation: Callable[[], Awaitable[T]]) -> T:
    """``operation()``, tried a second time when its connection had been dropped by the
    server (a restart): the pool does not ping, so the first use of an old connection
    fails and renews the whole pool. Only for an operation that has changed nothing when
    it fails (its first statement, or a read)."""
    try:
        return await operation()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return await operation()


def insert_for(dialect: str) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    """The dialect's INSERT, the one with ON CONFLICT (upserts, insert-if-absent)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
