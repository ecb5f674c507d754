"""Where each booking's card is in its office's chat, and who moved the booking on: kept on
SQLite and PostgreSQL alike, one card a booking."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.booking import book, booking_by_id, change_status
from services.identity import TELEGRAM
from services.staff import CardPlace, card_of, remember_card
from tests.helpers.booking_data import NOW, RULES, VAULT, new_code, office_with_desks, request
from tests.helpers.booking_data import valid_national_code as code


async def test_one_card_a_booking_and_the_one_it_replaces(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=2)
    view, _ = await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    assert await card_of(sessions, view.id) is None
    first, second = CardPlace(TELEGRAM, -100, 7), CardPlace(TELEGRAM, -100, 12)
    assert await remember_card(sessions, view.id, first, NOW) is None
    assert await remember_card(sessions, view.id, first, NOW) is None  # the same: nothing old
    assert await remember_card(sessions, view.id, second, NOW) == first  # to disable
    assert await card_of(sessions, view.id) == second


async def test_the_timeline_names_the_clerk_who_acted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id = await office_with_desks(sessions, desks=2)
    view, _ = await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    name = "مریم کارمند " * 12  # longer than the column: cut, not refused
    await change_status(
        sessions, view.id, "confirmed", NOW, actor_kind="staff", actor_ref="8001", actor_name=name
    )
    seen = await booking_by_id(sessions, view.id, with_timeline=True)
    assert seen is not None
    assert [(e.status, e.actor_name) for e in seen.timeline] == [
        ("booked", ""),
        ("confirmed", name[:100]),
    ]
