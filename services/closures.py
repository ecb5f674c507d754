"""Ad-hoc closures an operator announces (heat, pollution, energy saving), and what they do
to bookings already made: nothing is moved silently; each citizen affected is told, with
buttons to move or cancel (neither counted against their limits)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.booking import outbox_event
from services.opening import ClosureWindow
from services.storage.models import HOLDING_STATUSES, Booking, Closure, Office


class ClosureError(ValueError):
    """The closure makes no sense (unknown office, ends before it starts …)."""


@dataclass(frozen=True)
class ClosureAdded:
    id: int
    bookings_affected: int


async def add_closure(
    sessions: async_sessionmaker[AsyncSession],
    *,
    scope: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason_fa: str,
    now: dt.datetime,
    office_code: str | None = None,
    province: str | None = None,
    city: str | None = None,
) -> ClosureAdded:
    if ends_at <= starts_at:
        raise ClosureError("the closure must end after it starts")
    async with sessions() as session, session.begin():
        office_id = None
        if scope == "office":
            office_id = await session.scalar(select(Office.id).where(Office.code == office_code))
            if office_id is None:
                raise ClosureError(f"no office with code {office_code!r}")
        closure = Closure(
            scope=scope,
            office_id=office_id,
            province=province,
            city=city,
            starts_at=starts_at,
            ends_at=ends_at,
            reason_fa=reason_fa,
        )
        session.add(closure)
        await session.flush()
        window = ClosureWindow(scope, starts_at, ends_at, reason_fa, office_id, province, city)
        affected = 0
        rows = await session.execute(
            select(Booking, Office.province, Office.city)
            .join(Office, Office.id == Booking.office_id)
            .where(
                Booking.status.in_(HOLDING_STATUSES),
                Booking.starts_at < ends_at,
                Booking.ends_at > starts_at,
            )
        )
        for booking, office_province, office_city in rows:
            assert booking.starts_at is not None
            if window.covers(booking.office_id, office_province, office_city, booking.starts_at):
                session.add(
                    outbox_event("booking.office_closed", "citizen", booking, now, reason=reason_fa)
                )
                affected += 1
        return ClosureAdded(closure.id, affected)


async def closures_ahead(
    sessions: async_sessionmaker[AsyncSession], now: dt.datetime
) -> list[tuple[Closure, str | None]]:
    """Closures not over yet, with the office code for office closures."""
    async with sessions() as session:
        rows = await session.execute(
            select(Closure, Office.code)
            .outerjoin(Office, Office.id == Closure.office_id)
            .where(Closure.ends_at > now)
            .order_by(Closure.starts_at)
        )
        return [(closure, code) for closure, code in rows]
