"""Control and bidi characters in what citizens type are cleaned as the update arrives: a
NUL cannot break a complaint or a booking on PostgreSQL, and a right-to-left override in a
name cannot reach the staff card."""

from __future__ import annotations

from sqlalchemy import select

from dialogs import texts
from services.storage.models import Booking, Complaint, InboundUpdate
from tests.helpers.after_visit import file_complaint, office_in
from tests.helpers.booking import book_to_summary
from tests.helpers.staff import GROUP, link_first_office
from tests.helpers.world import World

NUL = "\x00"
RIGHT_TO_LEFT_OVERRIDE = "\u202e"


async def _all_updates_handled(world: World) -> bool:
    async with world.deps.sessions() as session:
        rows = (await session.scalars(select(InboundUpdate))).all()
    return bool(rows) and all(row.handled_at is not None for row in rows)


async def test_a_nul_in_a_complaint_is_filed_like_any_other(
    world_on_each_database: World,
) -> None:
    world = world_on_each_database
    office = office_in(world, "تهران", "تهران")
    citizen = world.client.person(9401, "مریم")
    code, _ = await file_complaint(citizen, office, f"پول اضافه{NUL} گرفتند")
    assert code.startswith("C")
    async with world.deps.sessions() as session:
        complaint = (await session.scalars(select(Complaint))).one()
    assert complaint.description == "پول اضافه گرفتند"
    # Nothing left for the recovery pass to replay.
    assert await _all_updates_handled(world)


async def test_a_nul_in_a_first_name_books_fine(world_on_each_database: World) -> None:
    world = world_on_each_database
    citizen = world.client.person(9402, f"پری{NUL}سا")
    await book_to_summary(citizen)
    done = await citizen.presses(texts.BOOK_CONFIRM)
    assert done.messages[0].text.startswith("✅ نوبت شما ثبت شد.")
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    assert booking.citizen_name == "پریسا"
    assert await _all_updates_handled(world)


async def test_a_bidi_override_in_a_name_does_not_reach_the_staff_card(world: World) -> None:
    _, code = await link_first_office(world)
    await world.client.person(9403, "کارمند").in_chat(GROUP).says(f"/link {code}")
    # Shown as it is, the override would turn "شهروند" and all after it around in the card.
    citizen = world.client.person(9404, f"{RIGHT_TO_LEFT_OVERRIDE}شهروند", last_name="\u2066نیک")
    await book_to_summary(citizen)
    seq = (await world.client.state())["seq"]
    await citizen.presses(texts.BOOK_CONFIRM)
    card = (await world.client.wait(GROUP, seq, within=10)).last
    assert card.text.startswith("🆕 نوبت تازه")
    assert "👤 شهروند نیک" in card.text
    assert RIGHT_TO_LEFT_OVERRIDE not in card.text and "\u2066" not in card.text
