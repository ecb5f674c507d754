"""Figures an operator watches (bookings by status, the outbox's backlog), read from the
database so every worker process reports the same numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.storage.db import once_more_if_dropped
from services.storage.models import BOOKING_STATUSES, OUTBOX_CHANNELS, Booking, OutboxEvent


@dataclass(frozen=True)
class OutboxFigures:
    pending: int  # waiting to be delivered, due or not
    dead: int  # gave up: an operator lists and replays them
    lag: dt.timedelta  # how long the most overdue pending event has been due (0: none due)


@dataclass(frozen=True)
class Figures:
    bookings: dict[str, int]  # every known status, 0 included
    outbox: dict[str, OutboxFigures]  # by channel, every channel included


async def database_answers(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Raises when the database cannot run ``SELECT 1``. A pooled connection the server
    dropped (a restart) fails once and renews the pool: that is not the database down."""

    async def select_one() -> None:
        async with sessions() as session:
            await session.execute(text("SELECT 1"))

    await once_more_if_dropped(select_one)


async def figures(sessions: async_sessionmaker[AsyncSession], now: dt.datetime) -> Figures:
    """Three aggregate queries, each served by an index or a small table scan."""
    async with sessions() as session:
        by_status: dict[str, int] = dict(
            (
                await session.execute(select(Booking.status, func.count()).group_by(Booking.status))
            ).all()
        )
        counts = (
            await session.execute(
                select(OutboxEvent.channel, OutboxEvent.status, func.count())
                .where(OutboxEvent.status.in_(("pending", "dead")))
                .group_by(OutboxEvent.channel, OutboxEvent.status)
            )
        ).all()
        by_channel = {(channel, status): n for channel, status, n in counts}
        oldest_due: dict[str, dt.datetime] = dict(
            (
                await session.execute(
                    select(OutboxEvent.channel, func.min(OutboxEvent.next_attempt_at))
                    .where(OutboxEvent.status == "pending", OutboxEvent.next_attempt_at <= now)
                    .group_by(OutboxEvent.channel)
                )
            ).all()
        )
    return Figures(
        bookings={status: by_status.get(status, 0) for status in BOOKING_STATUSES},
        outbox={
            channel: OutboxFigures(
                pending=by_channel.get((channel, "pending"), 0),
                dead=by_channel.get((channel, "dead"), 0),
                lag=max(dt.timedelta(0), now - oldest_due[channel])
                if channel in oldest_due
                else dt.timedelta(0),
            )
            for channel in OUTBOX_CHANNELS
        },
    )
