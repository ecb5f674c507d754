"""SQLite for SQLAlchemy's asyncio engine without a thread per connection.

aiosqlite runs each connection in a thread of its own and hands every call (cursor, execute,
fetch, commit …) across to it and back. A query SQLite answers in a few microseconds then
costs about a tenth of a millisecond, and one update of the bot makes dozens of such calls:
measured, the hand-overs were most of an update's time (bench/e2e.py). Here the same
aiosqlite-shaped interface runs sqlite3 directly on the event loop's thread. That is right
for SQLite's short, indexed statements. SQLite's own busy handler would hold the loop still
while another process (an operator's import) has the write lock, so it is off: a statement
that finds the database locked is tried again after an ``asyncio.sleep``, for up to
``BUSY_WAIT``, while the loop serves everything else.

SQLAlchemy's own aiosqlite adapter (``AsyncAdapt_aiosqlite_dbapi``) drives this module in
place of aiosqlite, so transactions, pooling and error translation stay SQLAlchemy's.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

# What SQLAlchemy reads off the aiosqlite module.
DatabaseError = sqlite3.DatabaseError
Error = sqlite3.Error
IntegrityError = sqlite3.IntegrityError
NotSupportedError = sqlite3.NotSupportedError
OperationalError = sqlite3.OperationalError
ProgrammingError = sqlite3.ProgrammingError
sqlite_version = sqlite3.sqlite_version
sqlite_version_info = sqlite3.sqlite_version_info

# How long a statement waits for another process's write lock before "database is locked".
BUSY_WAIT = 10.0
# Locked by another connection (not a stale snapshot, which waiting cannot cure).
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_BUSY_RECOVERY})

T = TypeVar("T")


async def _patiently(call: Callable[[], T]) -> T:
    """``call()``, tried again while the database is locked, sleeping (not blocking) between
    tries; a statement refused with SQLITE_BUSY did nothing, so trying it again is safe."""
    delay, deadline = 0.001, 0.0
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) not in _BUSY_CODES:
                raise
            now = time.monotonic()
            deadline = deadline or now + BUSY_WAIT
            if now >= deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(2 * delay, 0.05)


class Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self.arraysize = cursor.arraysize

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        await _patiently(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        # Not retried: it runs inside a transaction that already holds the write lock
        # (BEGIN IMMEDIATE waited for it), and a retry after some rows went in would repeat them.
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to do, as in sqlite3."""


class _RunNow:
    """SQLAlchemy sets the isolation level by queueing a call for aiosqlite's thread;
    here there is no thread: run it at once and settle its future."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite would
            future.set_exception(error)


class Connection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()
        self._thread = SimpleNamespace(daemon=True)  # SQLAlchemy marks aiosqlite's daemon

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._itself().__await__()

    async def _itself(self) -> Connection:
        return self

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> Cursor:
        return Cursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await _patiently(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def connect(database: str, **kwargs: Any) -> Connection:
    """Opened at once; awaiting it (as one awaits aiosqlite's) gives the connection."""
    # The pool may close a connection from a garbage collector's thread.
    kwargs.setdefault("check_same_thread", False)
    kwargs["timeout"] = 0  # no busy handler: waiting for a lock is _patiently's, not SQLite's
    return Connection(sqlite3.connect(database, **kwargs))


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI object to hand ``create_async_engine(..., module=…)``."""
    import sys

    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
