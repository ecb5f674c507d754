"""Bookable times: from each office's weekly hours, holidays and closures, the service's
length, the office's desks, and the rules of the booking window.

An office's day is cut into five-minute cells; a service of 20 minutes starts on its own
grid from the start of each shift (08:00, 08:20, …) and takes the four cells it covers. A
start is free while every cell it needs has a desk left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clock import TEHRAN
from services.opening import ClosureWindow, OfficeHours, compile_hours, holiday_name
from services.settings import Settings
from services.storage.models import Office, OfficeService, Service, Slot

CELL_MINUTES = 5


@dataclass(frozen=True)
class BookingRules:
    window_days: int = 14
    lead_minutes: int = 60
    max_active_per_user: int = 3
    max_reschedules: int = 2
    cancel_cutoff_minutes: int = 60

    @classmethod
    def from_settings(cls, settings: Settings) -> BookingRules:
        return cls(
            window_days=settings.booking_window_days,
            lead_minutes=settings.booking_lead_minutes,
            max_active_per_user=settings.max_active_bookings_per_user,
            max_reschedules=settings.max_reschedules,
            cancel_cutoff_minutes=settings.cancel_cutoff_minutes,
        )

    def may_still_cancel(self, starts_at: dt.datetime, now: dt.datetime) -> bool:
        """Cancelling or moving is allowed until the cut-off before the time."""
        return now <= starts_at - dt.timedelta(minutes=self.cancel_cutoff_minutes)

    def earliest(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(minutes=self.lead_minutes)

    def last_day(self, now: dt.datetime) -> dt.date:
        return now.astimezone(TEHRAN).date() + dt.timedelta(days=self.window_days)


@dataclass(frozen=True)
class FreeTime:
    starts_at: dt.datetime  # aware, Asia/Tehran
    ends_at: dt.datetime
    free: int  # desks left for the whole length


def slot_length(slot_minutes: int) -> int:
    """A service's length rounded up to whole cells."""
    return max(1, -(-slot_minutes // CELL_MINUTES)) * CELL_MINUTES


def cells(starts_at: dt.datetime, minutes: int) -> list[dt.datetime]:
    """The five-minute cells (as UTC start times) a booking of this length holds."""
    start = starts_at.astimezone(dt.UTC)
    return [start + dt.timedelta(minutes=m) for m in range(0, minutes, CELL_MINUTES)]


def starts_on(
    hours: OfficeHours, day: dt.date, minutes: int, closures: Sequence[ClosureWindow] = ()
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every start (and end) on a day the office is open for the whole appointment."""
    if holiday_name(day) is not None:
        return []
    found = []
    for shift_start, shift_end in hours.shifts[(day.weekday() + 2) % 7]:
        start = shift_start
        while start + minutes <= shift_end:
            begin = dt.datetime.combine(day, dt.time(start // 60, start % 60), TEHRAN)
            end = begin + dt.timedelta(minutes=minutes)
            if not any(
                c.covers(hours.office_id, hours.province, hours.city, moment)
                for c in closures
                for moment in (begin, end - dt.timedelta(minutes=1))
            ):
                found.append((begin, end))
            start += minutes
    return found


async def booked_cells(
    session: AsyncSession, office_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, dict[int, int]]:
    """Desks taken per office, per cell (as whole minutes since the epoch)."""
    rows = await session.execute(
        select(Slot.office_id, Slot.starts_at, Slot.booked).where(
            Slot.office_id.in_(office_ids), Slot.starts_at >= start, Slot.starts_at < end
        )
    )
    taken: dict[int, dict[int, int]] = {office_id: {} for office_id in office_ids}
    for office_id, starts_at, booked in rows:
        taken[office_id][int(starts_at.timestamp()) // 60] = booked
    return taken


def office_hours(office: Office) -> OfficeHours:
    return OfficeHours(office.id, office.province, office.city, compile_hours(office.weekly_hours))


Candidates = dict[dt.date, list[tuple[dt.datetime, dt.datetime]]]


def _candidates(
    hours: OfficeHours,
    minutes: int,
    days: Sequence[dt.date],
    now: dt.datetime,
    rules: BookingRules,
    closures: Sequence[ClosureWindow],
) -> Candidates:
    """Starts per day inside the booking window, before looking at what is booked."""
    earliest, last_day = rules.earliest(now), rules.last_day(now)
    return {
        day: [(b, e) for b, e in starts_on(hours, day, minutes, closures) if b >= earliest]
        for day in days
        if now.astimezone(TEHRAN).date() <= day <= last_day
    }


def _span(candidates: Candidates) -> tuple[dt.datetime, dt.datetime] | None:
    flat = [pair for pairs in candidates.values() for pair in pairs]
    if not flat:
        return None
    return min(b for b, _ in flat).astimezone(dt.UTC), max(e for _, e in flat)


def _free(
    desks: int, minutes: int, candidates: Candidates, booked: dict[int, int]
) -> dict[dt.date, list[FreeTime]]:
    # Cells as whole minutes since the epoch: integer sums instead of datetime arithmetic,
    # for every start of every day in the window.
    offsets = range(0, minutes, CELL_MINUTES)
    found: dict[dt.date, list[FreeTime]] = {}
    for day, pairs in candidates.items():
        for begin, end in pairs:
            first = int(begin.timestamp()) // 60
            free = desks - max(booked.get(first + offset, 0) for offset in offsets)
            if free > 0:
                found.setdefault(day, []).append(FreeTime(begin, end, free))
    return found


async def free_times(
    session: AsyncSession,
    office: Office,
    slot_minutes: int,
    days: Sequence[dt.date],
    now: dt.datetime,
    rules: BookingRules,
    closures: Sequence[ClosureWindow] = (),
) -> dict[dt.date, list[FreeTime]]:
    """Free starts per day (days with none are left out), inside the booking window."""
    minutes = slot_length(slot_minutes)
    candidates = _candidates(office_hours(office), minutes, days, now, rules, closures)
    span = _span(candidates)
    if span is None:
        return {}
    taken = await booked_cells(session, [office.id], *span)
    return _free(office.desks, minutes, candidates, taken[office.id])


def window_days(now: dt.datetime, rules: BookingRules) -> list[dt.date]:
    today = now.astimezone(TEHRAN).date()
    return [today + dt.timedelta(days=i) for i in range(rules.window_days + 1)]


@dataclass(frozen=True)
class Availability:
    """Free times of one service at one office, by day (days with none left out)."""

    office_id: int
    office_name: str
    office_address: str
    service_key: str
    service_name: str
    times: dict[dt.date, list[FreeTime]]


async def availability(
    sessions: async_sessionmaker[AsyncSession],
    office_id: int,
    service_key: str,
    now: dt.datetime,
    rules: BookingRules,
    closures: Sequence[ClosureWindow] = (),
    days: Sequence[dt.date] | None = None,
) -> Availability | None:
    """None when the office is gone or does not offer the service."""
    async with sessions() as session:
        office = await session.get(Office, office_id)
        service = await session.get(Service, service_key)
        offered = await session.get(OfficeService, (office_id, service_key))
        if office is None or service is None or offered is None or not office.active:
            return None
        times = await free_times(
            session,
            office,
            service.slot_minutes,
            days if days is not None else window_days(now, rules),
            now,
            rules,
            closures,
        )
        return Availability(
            office.id, office.name, office.address, service.key, service.name_fa, times
        )


async def next_free_at(
    sessions: async_sessionmaker[AsyncSession],
    office_ids: Sequence[int],
    service_key: str,
    now: dt.datetime,
    rules: BookingRules,
    closures: Sequence[ClosureWindow] = (),
) -> dict[int, FreeTime | None]:
    """The first free time of a service at each of these offices."""
    found: dict[int, FreeTime | None] = dict.fromkeys(office_ids)
    async with sessions() as session:
        service = await session.get(Service, service_key)
        offices = {
            office.id: office
            for office in await session.scalars(select(Office).where(Office.id.in_(office_ids)))
        }
        if service is None:
            return found
        minutes = slot_length(service.slot_minutes)
        hours = {o.id: office_hours(o) for o in offices.values()}
        pending = [office_id for office_id in office_ids if office_id in offices]
        # Day by day, all offices in one query: the first free time is usually today or
        # tomorrow, and each day costs a query and its starts.
        for day in window_days(now, rules):
            if not pending:
                break
            candidates = {
                office_id: _candidates(hours[office_id], minutes, [day], now, rules, closures)
                for office_id in pending
            }
            spans = [span for c in candidates.values() if (span := _span(c)) is not None]
            if not spans:
                continue
            taken = await booked_cells(
                session, pending, min(a for a, _ in spans), max(b for _, b in spans)
            )
            for office_id in list(pending):
                times = _free(
                    offices[office_id].desks, minutes, candidates[office_id], taken[office_id]
                )
                if times:
                    found[office_id] = times[day][0]
                    pending.remove(office_id)
    return found
