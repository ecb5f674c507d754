"""The outbox: events written with the change they report, delivered later, at least once.

A worker claims due events for a while (a lease); on PostgreSQL with ``FOR UPDATE SKIP
LOCKED`` so several workers never claim the same one, on SQLite inside one IMMEDIATE
transaction. Delivered events are kept; failures wait longer each time (exponential
backoff with jitter) until they are dead letters an operator can list and replay.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.storage.models import OutboxEvent

LEASE = dt.timedelta(seconds=60)
FIRST_RETRY = dt.timedelta(seconds=10)
MAX_RETRY = dt.timedelta(hours=1)
MAX_ATTEMPTS = 30  # with the backoff above, about a day


@dataclass(frozen=True)
class Claimed:
    id: int
    event_id: str
    event_type: str
    channel: str
    booking_id: int | None
    office_id: int | None
    payload: dict[str, Any]
    attempts: int
    worker: str  # who holds the claim: only they may record how the delivery went


def retry_delay(attempts: int) -> dt.timedelta:
    """10 s, 20 s, 40 s … up to an hour, each with up to a fifth of random jitter."""
    base: dt.timedelta = min(MAX_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))
    return base * (1 + random.random() / 5)


async def claim_due(
    sessions: async_sessionmaker[AsyncSession],
    channel: str,
    worker: str,
    now: dt.datetime,
    limit: int = 50,
    lease: dt.timedelta = LEASE,
) -> list[Claimed]:
    """Pending events of a channel that are due and not leased by another worker."""
    async with sessions() as session, session.begin():
        query = (
            select(OutboxEvent)
            .where(
                OutboxEvent.channel == channel,
                OutboxEvent.status == "pending",
                OutboxEvent.next_attempt_at <= now,
                or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
            )
            .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        events = list(await session.scalars(query))
        for event in events:
            event.claimed_by, event.claimed_until = worker, now + lease
        return [
            Claimed(
                e.id,
                e.event_id,
                e.event_type,
                e.channel,
                e.booking_id,
                e.office_id,
                dict(e.payload),
                e.attempts,
                worker,
            )
            for e in events
        ]


async def _held(session: AsyncSession, claim: Claimed) -> OutboxEvent | None:
    """The event, while this claim still holds it: a worker whose lease ran out (and whose
    event another worker claimed, or delivered, since) must not record over that worker."""
    event = await session.get(OutboxEvent, claim.id, with_for_update=True)
    if event is None or event.status != "pending" or event.claimed_by != claim.worker:
        return None
    return event


async def delivered(
    sessions: async_sessionmaker[AsyncSession], claim: Claimed, now: dt.datetime, note: str = ""
) -> bool:
    """Done with (sent, or nothing left to send: ``note`` says why). False when the claim
    was lost meanwhile (nothing recorded)."""
    async with sessions() as session, session.begin():
        event = await _held(session, claim)
        if event is None:
            return False
        event.status, event.delivered_at = "delivered", now
        event.claimed_until, event.last_error = None, note or None
        event.attempts += 1
        return True


async def give_up(sessions: async_sessionmaker[AsyncSession], claim: Claimed, error: str) -> bool:
    """A dead letter at once: retrying cannot help until an operator acts, then replays."""
    async with sessions() as session, session.begin():
        event = await _held(session, claim)
        if event is None:
            return False
        event.status, event.last_error, event.claimed_until = "dead", error[:500], None
        event.attempts += 1
        return True


async def failed(
    sessions: async_sessionmaker[AsyncSession],
    claim: Claimed,
    now: dt.datetime,
    error: str,
    *,
    retry_after: dt.timedelta | None = None,
) -> bool:
    """Try again later (``retry_after`` when the other side said when), or give up."""
    async with sessions() as session, session.begin():
        event = await _held(session, claim)
        if event is None:
            return False
        event.attempts += 1
        event.last_error = error[:500]
        event.claimed_until = None
        if event.attempts >= MAX_ATTEMPTS:
            event.status = "dead"
        else:
            event.next_attempt_at = now + (retry_after or retry_delay(event.attempts))
        return True


@dataclass(frozen=True)
class DeadLetter:
    id: int
    event_id: str
    event_type: str
    channel: str
    office_id: int | None
    attempts: int
    last_error: str | None
    created_at: dt.datetime


async def dead_letters(sessions: async_sessionmaker[AsyncSession]) -> list[DeadLetter]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.status == "dead").order_by(OutboxEvent.id)
        )
        return [
            DeadLetter(
                e.id,
                e.event_id,
                e.event_type,
                e.channel,
                e.office_id,
                e.attempts,
                e.last_error,
                e.created_at,
            )
            for e in rows
        ]


async def replay(
    sessions: async_sessionmaker[AsyncSession], ids: list[int] | None, now: dt.datetime
) -> int:
    """Dead letters (these, or all) go back to the queue, due now, with fresh attempts."""
    async with sessions() as session, session.begin():
        query = select(OutboxEvent).where(OutboxEvent.status == "dead")
        if ids is not None:
            query = query.where(OutboxEvent.id.in_(ids))
        events = list(await session.scalars(query))
        for event in events:
            event.status, event.attempts, event.next_attempt_at = "pending", 0, now
            event.claimed_until = None
        return len(events)


async def postpone(
    sessions: async_sessionmaker[AsyncSession], claims: list[Claimed], until: dt.datetime
) -> None:
    """Not now (the channel's own pace, or the receiver asked to wait): due again at
    ``until``, without counting as a failed attempt."""
    async with sessions() as session, session.begin():
        for claim in claims:
            event = await _held(session, claim)
            if event is not None:
                event.next_attempt_at, event.claimed_until = until, None


# The key of the advisory lock the delivering worker holds (two-int form: its own key space,
# apart from the chat-id keys of dialog locks).
DELIVERY_LOCK = (0x5049, 1)


@asynccontextmanager
async def sole_deliverer(engine: AsyncEngine) -> AsyncIterator[bool]:
    """True for the one worker that may drain the outbox now.

    Leases already keep two workers from sending one event; this also makes the pacing of
    messages into each staff group hold for the whole deployment, not per process. On
    PostgreSQL the lock lives on a connection, so a worker that dies releases it; SQLite
    deployments run one process.
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as connection:
        keys = {"a": DELIVERY_LOCK[0], "b": DELIVERY_LOCK[1]}
        got = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"), keys))
        await connection.commit()
        try:
            yield got
        finally:
            if got:
                await connection.execute(text("SELECT pg_advisory_unlock(:a, :b)"), keys)
                await connection.commit()
