"""The booking limits checked before confirm, as the dialog asks them step by step, on SQLite
and PostgreSQL: the same answers as the final check at confirm, and nothing of another
person's booking."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.booking import (
    BookingRefused,
    Refusal,
    book,
    check_national_code,
    check_slot,
    check_user_limit,
    set_essential_only,
)
from services.identity import TELEGRAM, UserRef
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

SERVICE = "passport_issue"


async def refusal_of(check: object) -> BookingRefused:
    with pytest.raises(BookingRefused) as refused:
        await check  # type: ignore[misc]
    return refused.value


async def test_a_national_code_held_by_another_user_is_refused_without_its_code(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=2)
    code = valid_national_code(1)
    made, _ = await book(sessions, VAULT, RULES, request(office_id, 1, code), NOW, new_code)

    other = await refusal_of(
        check_national_code(sessions, VAULT, code, SERVICE, UserRef(TELEGRAM, 2))
    )
    assert other.refusal is Refusal.DUPLICATE_ACTIVE and other.tracking_code is None
    at_confirm = await refusal_of(
        book(sessions, VAULT, RULES, request(office_id, 2, code), NOW, new_code)
    )
    assert at_confirm.refusal is Refusal.DUPLICATE_ACTIVE and at_confirm.tracking_code is None

    own = await refusal_of(
        check_national_code(sessions, VAULT, code, SERVICE, UserRef(TELEGRAM, 1))
    )
    assert own.tracking_code == made.tracking_code  # the holder may see their own
    again = request(office_id, 1, code, TEN + dt.timedelta(hours=1), key="1:another")
    own_at_confirm = await refusal_of(book(sessions, VAULT, RULES, again, NOW, new_code))
    assert own_at_confirm.tracking_code == made.tracking_code

    # Another service, or another code, is free to book.
    await check_national_code(
        sessions, VAULT, code, "birth_certificate_duplicate", UserRef(TELEGRAM, 2)
    )
    await check_national_code(
        sessions, VAULT, valid_national_code(2), SERVICE, UserRef(TELEGRAM, 2)
    )


async def test_the_cap_is_checked_before_anything_is_chosen(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=5)
    for n in range(RULES.max_active_per_user):
        await check_user_limit(sessions, RULES, UserRef(TELEGRAM, 7))
        wanted = request(office_id, 7, valid_national_code(10 + n), TEN.replace(hour=9 + n))
        await book(sessions, VAULT, RULES, wanted, NOW, new_code)
    refused = await refusal_of(check_user_limit(sessions, RULES, UserRef(TELEGRAM, 7)))
    assert refused.refusal is Refusal.USER_LIMIT
    await check_user_limit(sessions, RULES, UserRef(TELEGRAM, 8))  # someone else is not held up


@pytest.mark.parametrize(
    ("starts_at", "refusal"),
    [
        (TEN - dt.timedelta(days=3), Refusal.NOT_BOOKABLE),  # in the past
        (TEN + dt.timedelta(minutes=3), Refusal.NOT_BOOKABLE),  # between two starts
        (TEN + dt.timedelta(days=60), Refusal.NOT_BOOKABLE),  # beyond the window
        (NOW.replace(hour=7, minute=30), Refusal.NOT_BOOKABLE),  # before opening
    ],
)
async def test_a_time_no_button_offers_is_refused_when_chosen(
    sessions: async_sessionmaker[AsyncSession], starts_at: dt.datetime, refusal: Refusal
) -> None:
    office_id = await office_with_desks(sessions, desks=1)
    refused = await refusal_of(check_slot(sessions, RULES, office_id, SERVICE, starts_at, NOW))
    assert refused.refusal is refusal


async def test_a_full_time_is_refused_when_chosen_and_a_free_one_passes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=1)
    await check_slot(sessions, RULES, office_id, SERVICE, TEN, NOW)
    await book(sessions, VAULT, RULES, request(office_id, 1, valid_national_code(1)), NOW, new_code)
    refused = await refusal_of(check_slot(sessions, RULES, office_id, SERVICE, TEN, NOW))
    assert refused.refusal is Refusal.SLOT_TAKEN
    await check_slot(sessions, RULES, office_id, SERVICE, TEN + dt.timedelta(hours=1), NOW)
    gone = await refusal_of(check_slot(sessions, RULES, office_id + 99, SERVICE, TEN, NOW))
    assert gone.refusal is Refusal.NOT_OFFERED


async def test_a_time_chosen_in_a_crisis_is_refused_for_a_service_not_essential(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=1)
    await set_essential_only(sessions, True)
    refused = await refusal_of(check_slot(sessions, RULES, office_id, SERVICE, TEN, NOW))
    assert refused.refusal is Refusal.ESSENTIAL_ONLY
