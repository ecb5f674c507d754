"""Counting failed attempts (unknown tracking codes) per user in a time window, in the
database, so a user guessing codes is slowed down whichever worker answers them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.storage.models import AttemptCounter


def _in_window(counter: AttemptCounter, now: dt.datetime, window: dt.timedelta) -> bool:
    return now < counter.window_started_at + window


async def allow_attempt(
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    limit: int,
    now: dt.datetime,
    window: dt.timedelta,
) -> bool:
    """False while ``key`` has used up its failures in the current window."""
    async with sessions() as session:
        counter = await session.get(AttemptCounter, key)
        return counter is None or not _in_window(counter, now, window) or counter.count < limit


async def record_failure(
    sessions: async_sessionmaker[AsyncSession], key: str, now: dt.datetime, window: dt.timedelta
) -> None:
    """One more failure; a new window starts when the last one is over."""
    async with sessions() as session, session.begin():
        counter = await session.get(AttemptCounter, key, with_for_update=True)
        if counter is None:
            session.add(AttemptCounter(key=key, window_started_at=now, count=1))
        elif not _in_window(counter, now, window):
            counter.window_started_at, counter.count = now, 1
        else:
            counter.count += 1
