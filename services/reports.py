"""Per-office figures for supervisors: bookings, no-shows, ratings and complaints over a
period, for ``/stats`` in a supervisor chat and ``pishkhan report`` (CSV).

Only aggregates per office: no citizen appears in them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from services.storage.models import Booking, Complaint, Office, Rating
from services.supervision import ScopeTarget, office_condition

OPEN = ("open", "acknowledged")


@dataclass(frozen=True)
class OfficeFigures:
    office_id: int
    code: str
    name: str
    network_key: str
    province: str
    county: str
    city: str
    bookings: int  # booked in the period (whatever day they are for), not cancelled
    appointments: int  # slots in the period, not cancelled: what a no-show is out of
    no_shows: int  # of those appointments
    ratings: int
    average_rating: float | None
    complaints: int  # filed in the period
    open_complaints: int  # of those, not yet resolved or rejected

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.appointments if self.appointments else None

    @property
    def active(self) -> bool:
        return bool(self.bookings or self.appointments or self.ratings or self.complaints)


async def office_figures(
    sessions: async_sessionmaker[AsyncSession],
    start: dt.datetime,
    end: dt.datetime,
    scopes: Sequence[ScopeTarget] | None = None,
) -> list[OfficeFigures]:
    """Every office in the scopes (all offices when None), with its figures for
    appointments and complaints in [start, end), by province, county and code."""
    in_scope = select(Office.id).where(office_condition(scopes)) if scopes is not None else None

    def scoped(column: InstrumentedAttribute[int]) -> list[ColumnElement[bool]]:
        return [] if in_scope is None else [column.in_(in_scope)]

    async with sessions() as session:
        offices = list(
            await session.scalars(
                select(Office)
                .where(*scoped(Office.id))
                .order_by(Office.province, Office.county, Office.code)
            )
        )
        # Each figure counts what happened in the period: bookings made, slots due (and
        # their no-shows), ratings given, complaints filed. Counting bookings by their slot
        # alone left out every booking for a day still ahead, and with it its rating.
        booked = {
            office_id: int(total)
            for office_id, total in await session.execute(
                select(Booking.office_id, func.count())
                .where(
                    Booking.created_at >= start,
                    Booking.created_at < end,
                    Booking.status != "cancelled",
                    *scoped(Booking.office_id),
                )
                .group_by(Booking.office_id)
            )
        }
        due = {
            office_id: (int(total), int(no_shows or 0))
            for office_id, total, no_shows in await session.execute(
                select(
                    Booking.office_id,
                    func.count(),
                    func.sum(case((Booking.status == "no_show", 1), else_=0)),
                )
                .where(
                    Booking.starts_at >= start,
                    Booking.starts_at < end,
                    Booking.status != "cancelled",
                    *scoped(Booking.office_id),
                )
                .group_by(Booking.office_id)
            )
        }
        ratings = {
            office_id: (int(count), float(average))
            for office_id, count, average in await session.execute(
                select(Booking.office_id, func.count(), func.avg(Rating.stars))
                .join(Rating, Rating.booking_id == Booking.id)
                .where(
                    Rating.created_at >= start,
                    Rating.created_at < end,
                    *scoped(Booking.office_id),
                )
                .group_by(Booking.office_id)
            )
        }
        complaints = {
            office_id: (int(total), int(still_open or 0))
            for office_id, total, still_open in await session.execute(
                select(
                    Complaint.office_id,
                    func.count(),
                    func.sum(case((Complaint.status.in_(OPEN), 1), else_=0)),
                )
                .where(
                    Complaint.created_at >= start,
                    Complaint.created_at < end,
                    *scoped(Complaint.office_id),
                )
                .group_by(Complaint.office_id)
            )
        }
    figures = []
    for office in offices:
        appointments, no_shows = due.get(office.id, (0, 0))
        rated, average = ratings.get(office.id, (0, None))
        filed, still_open = complaints.get(office.id, (0, 0))
        figures.append(
            OfficeFigures(
                office_id=office.id,
                code=office.code,
                name=office.name,
                network_key=office.network_key,
                province=office.province,
                county=office.county,
                city=office.city,
                bookings=booked.get(office.id, 0),
                appointments=appointments,
                no_shows=no_shows,
                ratings=rated,
                average_rating=average,
                complaints=filed,
                open_complaints=still_open,
            )
        )
    return figures


CSV_HEADER = (
    "office_code",
    "office_name",
    "network",
    "province",
    "county",
    "city",
    "bookings",
    "appointments",
    "no_shows",
    "no_show_rate",
    "ratings",
    "average_rating",
    "complaints",
    "open_complaints",
)


def figures_csv(rows: Sequence[OfficeFigures]) -> str:
    """The figures as CSV text (the caller writes it UTF-8 with a BOM for Excel); rates and
    averages with two decimals, empty where there is nothing to divide."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        rate = row.no_show_rate
        writer.writerow(
            (
                row.code,
                row.name,
                row.network_key,
                row.province,
                row.county,
                row.city,
                row.bookings,
                row.appointments,
                row.no_shows,
                "" if rate is None else f"{rate:.2f}",
                row.ratings,
                "" if row.average_rating is None else f"{row.average_rating:.2f}",
                row.complaints,
                row.open_complaints,
            )
        )
    return out.getvalue()
