"""Crisis days (`pishkhan crisis on`): only essential services are booked, and nothing offers
what cannot be done; a refused service says where to ask."""

from __future__ import annotations

from dialogs import texts
from services.booking import set_essential_only
from tests.helpers.booking import TEHRAN, book_to_times
from tests.helpers.world import World

NOT_ESSENTIAL = "تعویض شناسنامه"  # no online way either


async def test_a_service_that_cannot_be_booked_now_offers_no_booking(world: World) -> None:
    citizen = world.client.person(7201, "نگران")
    before = await citizen.says(f"مدارک {NOT_ESSENTIAL}")
    assert texts.DOCS_BOOK in before.last.labels
    await set_essential_only(world.deps.sessions, True)

    card = await citizen.says(f"مدارک {NOT_ESSENTIAL}")
    assert card.last.text.startswith(f"📄 {NOT_ESSENTIAL}")
    assert texts.DOCS_BOOK not in card.last.labels and texts.DOCS_FIND in card.last.labels
    assert texts.BOOK_ESSENTIAL_ONLY.format(service=NOT_ESSENTIAL) in card.last.text
    found = await citizen.presses(texts.DOCS_FIND)
    assert found.text == texts.FIND_WHERE.format(service=NOT_ESSENTIAL)
    results = await citizen.shares_location(*TEHRAN)
    assert not [label for label in results.last.labels if label.startswith("📅 نوبت")]

    essential = await citizen.says("مدارک لازم برای گذرنامه")
    assert texts.DOCS_BOOK in essential.last.labels  # essential services are booked as ever


async def test_a_refused_service_without_an_online_way_says_where_to_ask(world: World) -> None:
    await set_essential_only(world.deps.sessions, True)
    citizen = world.client.person(7202, "پرسان")
    refused = await citizen.says(f"نوبت {NOT_ESSENTIAL}")
    assert refused.last.text.startswith(texts.BOOK_ESSENTIAL_ONLY.format(service=NOT_ESSENTIAL))
    where = texts.BOOK_ESSENTIAL_ASK.format(networks="«ثبت احوال» یا «پیشخوان دولت»")
    assert where in refused.last.text
    assert texts.DOCS_FIND in refused.last.labels
    asked = await citizen.presses(texts.DOCS_FIND)
    assert asked.text == texts.FIND_WHERE.format(service=NOT_ESSENTIAL)
    results = await citizen.shares_location(*TEHRAN)
    assert "☎️" in results.last.text  # the offices to ask, with their phones


async def test_a_time_chosen_from_before_the_crisis_is_refused_at_once(world: World) -> None:
    citizen = world.client.person(7203, "زودرس")
    times = await book_to_times(citizen)
    await set_essential_only(world.deps.sessions, True)
    refused = await citizen.presses(times.last.buttons[0][0].label)
    assert refused.last.text.startswith(texts.BOOK_ESSENTIAL_ONLY.format(service=NOT_ESSENTIAL))
    assert texts.BOOK_ASK_NATIONAL_CODE not in refused.text
