"""An announced closure tells the citizens it touches, and frees them to move or cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.booking import BookingRefused, Refusal, book, cancel, reschedule
from services.closures import ClosureError, add_closure
from services.identity import TELEGRAM, UserRef
from services.locator import load_closures
from services.storage.models import OutboxEvent
from tests.helpers.booking_data import NOW, RULES, TEN, VAULT, new_code, office_with_desks, request
from tests.helpers.booking_data import valid_national_code as code


async def notices(sessions: async_sessionmaker[AsyncSession]) -> list[int | None]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent.booking_id).where(OutboxEvent.event_type == "booking.office_closed")
        )
        return list(rows)


async def test_a_closure_tells_exactly_the_bookings_it_falls_on(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office = await office_with_desks(sessions, desks=2)
    other = await office_with_desks(sessions, desks=2, code="T-2")
    inside, _ = await book(sessions, VAULT, RULES, request(office, 1, code(1)), NOW, new_code)
    later, _ = await book(
        sessions, VAULT, RULES, request(office, 2, code(2), TEN + dt.timedelta(days=1)), NOW,
        new_code,
    )  # fmt: skip
    elsewhere, _ = await book(sessions, VAULT, RULES, request(other, 3, code(3)), NOW, new_code)
    added = await add_closure(
        sessions, scope="office", office_code="T-1", reason_fa="قطعی برق",
        starts_at=TEN - dt.timedelta(hours=2), ends_at=TEN + dt.timedelta(hours=4), now=NOW,
    )  # fmt: skip
    assert added.bookings_affected == 1
    assert await notices(sessions) == [inside.id]
    assert later.id and elsewhere.id  # untouched
    await add_closure(
        sessions, scope="city", province="تهران", city="تهران", reason_fa="آلودگی هوا",
        starts_at=TEN - dt.timedelta(hours=1), ends_at=TEN + dt.timedelta(hours=1), now=NOW,
    )  # fmt: skip
    assert sorted(await notices(sessions)) == sorted([inside.id, inside.id, elsewhere.id])


async def test_moving_or_cancelling_a_closed_booking_ignores_cut_off_and_limits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office = await office_with_desks(sessions, desks=2)
    first, _ = await book(sessions, VAULT, RULES, request(office, 1, code(1)), NOW, new_code)
    second, _ = await book(
        sessions, VAULT, RULES, request(office, 2, code(2), TEN.replace(hour=11)), NOW, new_code
    )
    late = TEN - dt.timedelta(minutes=30)  # inside the cancel cut-off
    with pytest.raises(BookingRefused) as refused:
        await cancel(sessions, RULES, first.id, UserRef(TELEGRAM, 1), late)
    assert refused.value.refusal is Refusal.TOO_LATE_TO_CANCEL
    await add_closure(
        sessions, scope="nation", reason_fa="تعطیلی اضطراری",
        starts_at=TEN.replace(hour=0), ends_at=TEN.replace(hour=23), now=NOW,
    )  # fmt: skip
    closures = await load_closures(sessions, NOW)
    cancelled = await cancel(sessions, RULES, first.id, UserRef(TELEGRAM, 1), late, closures)
    assert cancelled.status == "cancelled"
    moved = await reschedule(
        sessions, RULES, second.id, UserRef(TELEGRAM, 2), TEN + dt.timedelta(days=1), NOW, closures
    )
    assert moved.reschedule_count == 0  # the office's doing, not the citizen's


async def test_a_closure_must_name_a_real_office_and_end_after_it_starts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await office_with_desks(sessions, desks=1)
    with pytest.raises(ClosureError, match="no office"):
        await add_closure(
            sessions, scope="office", office_code="NOPE", reason_fa="x",
            starts_at=TEN, ends_at=TEN + dt.timedelta(hours=1), now=NOW,
        )  # fmt: skip
    with pytest.raises(ClosureError, match="end after"):
        await add_closure(
            sessions, scope="nation", reason_fa="x", starts_at=TEN, ends_at=TEN, now=NOW
        )
