"""Ratings after a visit: each booking whose visit is over is asked about once, through
the outbox, and rated at most once.

"Once" rests on the database, not on timing: the ask is an outbox event whose id is
derived from the booking (``rating.ask:<id>``, unique), and a rating row is unique per
booking; a sweep run twice, by two workers, or a button pressed twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.privacy import scrub
from services.storage.db import insert_for
from services.storage.models import (
    BOOKING_STATUSES,
    WAIT_BANDS,
    Booking,
    OutboxEvent,
    Rating,
)

ASK = "rating.ask"
# Statuses that say the visit happened (or is over): asked as soon as they are set.
VISITED = ("done", "ready_for_pickup", "no_show")
# Any other status but cancelled: asked once the slot is this long over (staff may not
# have pressed anything).
ASK_AFTER_END = dt.timedelta(hours=1)
# Visits older than this are never asked about (e.g. when this feature is first deployed).
ASK_HORIZON = dt.timedelta(days=3)
COMMENT_MAX = 500


class RatingRefused(Exception):
    """Not the citizen's booking, or nothing to rate (cancelled, unknown, not over yet)."""


class Outcome(enum.Enum):
    RECORDED = "recorded"
    ALREADY = "already"  # a second press: answered, nothing changes


@dataclass(frozen=True)
class RatingView:
    booking_id: int
    stars: int
    wait_band: str | None
    comment: str


def ask_event_id(booking_id: int) -> str:
    return f"{ASK}:{booking_id}"


async def queue_rating_asks(sessions: async_sessionmaker[AsyncSession], now: dt.datetime) -> int:
    """Writes the ask for every visit that is over and was never asked about; returns how
    many were written. Both queries walk the (status, ends_at) index."""
    asked = exists().where(OutboxEvent.booking_id == Booking.id, OutboxEvent.event_type == ASK)
    ended = tuple(s for s in BOOKING_STATUSES if s not in VISITED and s != "cancelled")
    async with sessions() as session, session.begin():
        due = list(
            await session.execute(
                select(Booking.id, Booking.office_id).where(
                    Booking.status.in_(VISITED), Booking.ends_at > now - ASK_HORIZON, ~asked
                )
            )
        )
        due += list(
            await session.execute(
                select(Booking.id, Booking.office_id).where(
                    Booking.status.in_(ended),
                    Booking.ends_at > now - ASK_HORIZON,
                    Booking.ends_at <= now - ASK_AFTER_END,
                    ~asked,
                )
            )
        )
        if not due:
            return 0
        dialect = session.get_bind().dialect.name
        insert = insert_for(dialect)
        rows = [
            {
                "event_id": ask_event_id(booking_id),
                "event_type": ASK,
                "channel": "citizen",
                "booking_id": booking_id,
                "office_id": office_id,
                "payload": {"booking_id": booking_id},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for booking_id, office_id in due
        ]
        # Another worker's sweep may have written some of them meanwhile: those are kept.
        result = await session.execute(
            insert(OutboxEvent).values(rows).on_conflict_do_nothing(index_elements=["event_id"])
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def visit_is_over(status: str, ends_at: dt.datetime | None, now: dt.datetime) -> bool:
    """The rule the ask follows (see queue_rating_asks): a visit staff marked as over, or
    any but a cancelled one whose slot ended ASK_AFTER_END ago. Only such a visit is rated."""
    if status in VISITED:
        return True
    return status != "cancelled" and ends_at is not None and ends_at <= now - ASK_AFTER_END


@dataclass(frozen=True)
class Rater:
    """Who pressed: the booking's own user, in the chat it was booked from."""

    messenger: str
    user_id: int
    chat_id: int


async def _own_booking(
    session: AsyncSession, booking_id: int, rater: Rater, now: dt.datetime
) -> Booking:
    """The booking, if it is the rater's and its visit is over; RatingRefused otherwise
    (unknown, another's, cancelled, or still ahead: a forged button learns nothing)."""
    booking = await session.get(Booking, booking_id)
    if booking is None or (booking.messenger, booking.user_id, booking.chat_id) != (
        rater.messenger,
        rater.user_id,
        rater.chat_id,
    ):
        raise RatingRefused
    if not visit_is_over(booking.status, booking.ends_at, now):
        raise RatingRefused
    return booking


async def check_rateable(
    sessions: async_sessionmaker[AsyncSession], booking_id: int, rater: Rater, now: dt.datetime
) -> None:
    """For a skip, which keeps nothing: still only the rater's own visit that is over."""
    async with sessions() as session:
        await _own_booking(session, booking_id, rater, now)


async def rate(
    sessions: async_sessionmaker[AsyncSession],
    booking_id: int,
    rater: Rater,
    stars: int,
    now: dt.datetime,
) -> Outcome:
    """The citizen's stars for the visit, kept once (a second press changes nothing)."""
    if not 1 <= stars <= 5:
        raise ValueError("stars are 1 to 5")
    try:
        async with sessions() as session, session.begin():
            await _own_booking(session, booking_id, rater, now)
            if await session.scalar(select(Rating.id).where(Rating.booking_id == booking_id)):
                return Outcome.ALREADY
            session.add(Rating(booking_id=booking_id, stars=stars, created_at=now))
            await session.flush()
    except IntegrityError:  # a twin press in another worker won the unique index
        return Outcome.ALREADY
    return Outcome.RECORDED


async def rate_wait(
    sessions: async_sessionmaker[AsyncSession],
    booking_id: int,
    rater: Rater,
    band: str,
    now: dt.datetime,
) -> Outcome:
    """How long the citizen waited at the office, kept once."""
    if band not in WAIT_BANDS:
        raise ValueError(f"unknown wait band {band!r}")
    async with sessions() as session, session.begin():
        await _own_booking(session, booking_id, rater, now)
        rating = await session.scalar(
            select(Rating).where(Rating.booking_id == booking_id).with_for_update()
        )
        if rating is None:
            raise RatingRefused  # the stars come first
        if rating.wait_band is not None:
            return Outcome.ALREADY
        rating.wait_band = band
        return Outcome.RECORDED


async def add_comment(
    sessions: async_sessionmaker[AsyncSession],
    booking_id: int,
    rater: Rater,
    comment: str,
    now: dt.datetime,
) -> Outcome:
    """The citizen's words about the visit (capped), kept once."""
    async with sessions() as session, session.begin():
        await _own_booking(session, booking_id, rater, now)
        rating = await session.scalar(
            select(Rating).where(Rating.booking_id == booking_id).with_for_update()
        )
        if rating is None:
            raise RatingRefused
        if rating.comment:
            return Outcome.ALREADY
        # Masked like a complaint: the words may one day reach the office's supervisors.
        rating.comment = scrub(comment.strip())[:COMMENT_MAX]
        return Outcome.RECORDED


async def rating_of(
    sessions: async_sessionmaker[AsyncSession], booking_id: int
) -> RatingView | None:
    async with sessions() as session:
        rating = await session.scalar(select(Rating).where(Rating.booking_id == booking_id))
        return (
            None
            if rating is None
            else RatingView(rating.booking_id, rating.stars, rating.wait_band, rating.comment)
        )
