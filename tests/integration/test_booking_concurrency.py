"""Many citizens pressing confirm at once: capacity and limits hold, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.booking import BookingRefused, Refusal, book
from services.scheduling import cells, slot_length
from services.storage.models import Booking, Service, Slot
from tests.helpers.booking_data import (
    NOW,
    RULES,
    TEN,
    VAULT,
    new_code,
    office_with_desks,
    request,
    valid_national_code,
)


async def outcomes(tasks: list[asyncio.Task[object]]) -> tuple[int, list[Refusal]]:
    made, refused = 0, []
    for result in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(result, BookingRefused):
            refused.append(result.refusal)
        elif isinstance(result, BaseException):
            raise result
        else:
            made += 1
    return made, refused


@pytest.mark.parametrize("round_", range(2))
async def test_two_hundred_at_once_for_three_desks_books_exactly_three(
    sessions: async_sessionmaker[AsyncSession], round_: int
) -> None:
    office_id = await office_with_desks(sessions, desks=3)
    tasks = [
        asyncio.create_task(
            book(
                sessions,
                VAULT,
                RULES,
                request(office_id, 1000 + i, valid_national_code(i)),
                NOW,
                new_code,
            )
        )
        for i in range(200)
    ]
    made, refused = await outcomes(tasks)  # type: ignore[arg-type]
    assert made == 3
    assert refused == [Refusal.SLOT_TAKEN] * 197
    async with sessions() as session:
        held = dict((await session.execute(select(Slot.starts_at, Slot.booked))).all())
        bookings = (await session.scalars(select(Booking))).all()
        minutes = await session.scalar(
            select(Service.slot_minutes).where(Service.key == "passport_issue")
        )
    wanted = cells(TEN, slot_length(minutes or 0))
    assert sorted(held) == sorted(wanted) and set(held.values()) == {3}
    assert len(bookings) == 3 and len({b.tracking_code for b in bookings}) == 3


async def test_a_full_slot_offers_the_next_free_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=1)
    await book(sessions, VAULT, RULES, request(office_id, 1, valid_national_code(1)), NOW, new_code)
    with pytest.raises(BookingRefused) as refused:
        await book(
            sessions, VAULT, RULES, request(office_id, 2, valid_national_code(2)), NOW, new_code
        )
    assert refused.value.refusal is Refusal.SLOT_TAKEN


async def test_twenty_attempts_with_one_national_code_book_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=50)
    code = valid_national_code(7)
    tasks = [
        asyncio.create_task(
            book(
                sessions,
                VAULT,
                RULES,
                request(office_id, 2000 + i, code, TEN.replace(hour=9 + i % 4)),
                NOW,
                new_code,
            )
        )
        for i in range(20)
    ]
    made, refused = await outcomes(tasks)  # type: ignore[arg-type]
    assert made == 1
    assert set(refused) == {Refusal.DUPLICATE_ACTIVE}


async def test_one_user_racing_for_many_services_stays_within_the_limit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Different national codes (a family) and both services, from one Telegram user."""
    office_id = await office_with_desks(sessions, desks=50)
    tasks = [
        asyncio.create_task(
            book(
                sessions,
                VAULT,
                RULES,
                request(
                    office_id,
                    3000,
                    valid_national_code(100 + i),
                    TEN.replace(hour=8 + i % 5),
                    service=("passport_issue", "birth_certificate_duplicate")[i % 2],
                ),
                NOW,
                new_code,
            )
        )
        for i in range(20)
    ]
    made, refused = await outcomes(tasks)  # type: ignore[arg-type]
    assert made == RULES.max_active_per_user
    assert set(refused) == {Refusal.USER_LIMIT}


async def test_the_same_confirm_twice_at_once_makes_one_booking(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=5)
    same = request(office_id, 4000, valid_national_code(9), key="4000:nonce")
    results = await asyncio.gather(
        *(book(sessions, VAULT, RULES, same, NOW, new_code) for _ in range(10))
    )
    assert len({view.tracking_code for view, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    async with sessions() as session:
        assert len((await session.scalars(select(Booking))).all()) == 1
