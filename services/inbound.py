"""Incoming updates, written down before they are handled.

An update is stored (its body encrypted) the moment it arrives, then handled under its
chat's lock, where it is marked handled in the same transaction that saves the chat's
dialog state. So:

- a crash after the store loses nothing: another pass (or worker) picks up updates whose
  lease ran out and handles them;
- Telegram delivering the same ``update_id`` again (a retried webhook, a re-polled batch
  after a restart) has no second effect;
- the rows say how many updates a user sent lately, which is what flood control counts,
  across workers.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.storage.models import InboundUpdate

# Telegram gives up redelivering an update after a day; remembering ids for two is enough.
REMEMBER = dt.timedelta(days=2)


class Arrival(enum.Enum):
    NEW = "new"  # stored: handle it
    SEEN = "seen"  # stored before: handled, or being handled by whoever stored it
    SLOW_DOWN = "slow_down"  # too many updates from this user: dropped, tell them once
    DROPPED = "dropped"  # too many, and already told


@dataclass(frozen=True)
class FloodLimit:
    """At most ``updates`` from one user in any ``window``."""

    updates: int
    window: dt.timedelta


@dataclass(frozen=True)
class Stalled:
    update_id: int
    body: str


def _insert(session: AsyncSession) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(InboundUpdate)


async def receive(
    sessions: async_sessionmaker[AsyncSession],
    *,
    update_id: int,
    chat_id: int | None,
    user_id: int | None,
    body: str,
    now: dt.datetime,
    lease: dt.timedelta,
    flood: FloodLimit | None = None,
) -> Arrival:
    """Store an update, unless its id was stored before; count the user's recent ones."""
    async with sessions() as session, session.begin():
        stored = await session.scalar(
            _insert(session)
            .values(
                update_id=update_id,
                chat_id=chat_id,
                user_id=user_id,
                received_at=now,
                body=body,
                lease_until=now + lease,
            )
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(InboundUpdate.update_id)
        )
        if stored is None:
            return Arrival.SEEN
        if flood is None or user_id is None:
            return Arrival.NEW
        recent = (InboundUpdate.user_id == user_id, InboundUpdate.received_at > now - flood.window)
        count = await session.scalar(select(func.count()).where(*recent))
        if (count or 0) <= flood.updates:
            return Arrival.NEW
        told = await session.scalar(
            select(func.count()).where(*recent, InboundUpdate.throttled == "noticed")
        )
        verdict = Arrival.DROPPED if told else Arrival.SLOW_DOWN
        await session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.update_id == update_id)
            .values(
                handled_at=now,
                body=None,
                throttled="dropped" if told else "noticed",
            )
        )
        return verdict


async def is_pending(session: AsyncSession, update_id: int) -> bool:
    """Stored and not handled yet (checked under the chat's lock, before handling)."""
    row = (
        await session.execute(
            select(InboundUpdate.handled_at).where(InboundUpdate.update_id == update_id)
        )
    ).first()
    return row is not None and row.handled_at is None


async def mark_handled(session: AsyncSession, update_id: int, now: dt.datetime) -> None:
    """Part of the transaction that saves the chat's state after the update."""
    await session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.update_id == update_id)
        .values(handled_at=now, body=None, lease_until=None)
    )


async def claim_stalled(
    sessions: async_sessionmaker[AsyncSession],
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int = 50,
) -> list[Stalled]:
    """Stored updates nobody finished (their worker died, or the database failed midway),
    oldest first, leased to the caller so other workers leave them alone."""
    async with sessions() as session, session.begin():
        query = (
            select(InboundUpdate.update_id, InboundUpdate.body)
            .where(
                InboundUpdate.handled_at.is_(None),
                InboundUpdate.lease_until < now,
            )
            .order_by(InboundUpdate.update_id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await session.execute(query)).all()
        if not rows:
            return []
        ids = [row.update_id for row in rows]
        await session.execute(
            update(InboundUpdate)
            .where(InboundUpdate.update_id.in_(ids))
            .values(lease_until=now + lease)
        )
    return [Stalled(row.update_id, row.body) for row in rows if row.body is not None]


async def forget_before(sessions: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    """Drop the ids of handled updates older than Telegram would ever redeliver."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            delete(InboundUpdate).where(
                InboundUpdate.handled_at.is_not(None), InboundUpdate.received_at < now - REMEMBER
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)
