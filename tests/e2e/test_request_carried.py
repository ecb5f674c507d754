"""What a message says is carried into the flow it starts or continues: a service typed
after «find» or «book», a place named in the request, a day named for a booking."""

from __future__ import annotations

import jdatetime
from sqlalchemy import select

from dialogs import texts
from dialogs.formatting import fa_day
from services.clock import tehran_now
from services.identity import TELEGRAM
from services.places import locate
from services.scheduling import availability
from services.storage.models import Office
from tests.helpers.find import expected_nearest, listed, offices_offering
from tests.helpers.world import World

SHIRAZ = locate("فارس", "شیراز", "شیراز")
TEHRAN = (35.7000, 51.4100)


async def test_find_then_a_typed_service_asks_where_for_that_service(world: World) -> None:
    sara = world.client.person(8101, "سارا")
    await sara.says("/start")
    categories = await sara.presses(texts.MENU_FIND)
    assert categories.text == texts.CHOOSE_CATEGORY
    asked = await sara.says("تمدید گواهینامه")  # not its documents card: the search goes on
    assert asked.text == texts.FIND_WHERE.format(service="تمدید و تعویض گواهینامه رانندگی")
    results = await sara.says("شیراز")
    assert results.last.text.startswith(
        texts.FIND_HEADER.format(service="تمدید و تعویض گواهینامه رانندگی")
    )


async def test_book_then_a_typed_service_continues_the_booking(world: World) -> None:
    reza = world.client.person(8102, "رضا")
    await reza.says("/start")
    await reza.presses(texts.MENU_BOOK)
    asked = await reza.says("تعویض شناسنامه")
    assert asked.text == texts.BOOK_WHERE.format(service="تعویض شناسنامه")
    results = await reza.shares_location(*TEHRAN)
    assert texts.OFFICE_BOOK.format(number="۱") in results.last.labels


async def test_a_location_then_a_typed_service_lists_offices_near_it(world: World) -> None:
    nima = world.client.person(8103, "نیما")
    shared = await nima.shares_location(*TEHRAN)
    assert shared.messages[0].text == texts.LOCATION_OUTSIDE_FLOW
    results = await nima.says("تعویض شناسنامه")
    names, _ = listed(results)
    expected = expected_nearest(
        await offices_offering(world, "birth_certificate_replacement"), *TEHRAN
    )
    assert names == [name for name, _ in expected]


async def test_a_typed_service_that_asks_for_documents_still_gets_them(world: World) -> None:
    mina = world.client.person(8104, "مینا")
    await mina.says("/start")
    await mina.presses(texts.MENU_FIND)
    page = await mina.says("مدارک لازم برای تعویض شناسنامه")
    assert texts.DOCS_LIST in page.last.text


async def test_a_city_in_the_request_lists_its_offices_at_once(world: World) -> None:
    ali = world.client.person(8105, "علی")
    results = await ali.says("دفتر پلیس +۱۰ برای گذرنامه در شیراز")
    assert results.text.startswith(texts.FIND_FROM_PLACE.format(origin="شیراز"))
    assert texts.FIND_HEADER.format(service="صدور و تمدید گذرنامه") in results.text
    names, kms = listed(results)
    assert SHIRAZ is not None
    expected = expected_nearest(await offices_offering(world, "passport_issue"), *SHIRAZ)
    assert names == [name for name, _ in expected]  # nearest to the city's centre first
    assert kms == sorted(kms)


async def test_a_tehran_district_in_the_request_searches_from_it(world: World) -> None:
    zahra = world.client.person(8106, "زهرا")
    results = await zahra.says("نزدیکترین دفتر برای تعویض شناسنامه منطقه ۵ تهران")
    assert results.text.startswith(texts.FIND_FROM_PLACE.format(origin="منطقه ۵ تهران"))
    point = locate("تهران", "تهران", "تهران", 5)
    assert point is not None
    names, _ = listed(results)
    expected = expected_nearest(
        await offices_offering(world, "birth_certificate_replacement"), *point
    )
    assert names == [name for name, _ in expected]


async def test_a_place_in_latin_letters_is_used_too(world: World) -> None:
    omid = world.client.person(8107, "امید")
    results = await omid.says("nazdiktarin daftar baraye gozarname dar mashhad")
    assert results.text.startswith(texts.FIND_FROM_PLACE.format(origin="مشهد"))
    point = locate("خراسان رضوی", "مشهد", "مشهد")
    assert point is not None
    names, _ = listed(results)
    expected = expected_nearest(await offices_offering(world, "passport_issue"), *point)
    assert names == [name for name, _ in expected]


async def test_a_day_in_a_booking_request_is_offered_first(world: World) -> None:
    isfahan = locate("اصفهان", "اصفهان", "اصفهان")
    assert isfahan is not None
    service = "birth_certificate_replacement"
    offices = await offices_offering(world, service)
    nearest = expected_nearest(offices, *isfahan, count=1)[0][0]
    office_id = await _office_id(world, nearest)
    now = tehran_now()
    free = await availability(world.deps.sessions, office_id, service, now, world.deps.rules)
    assert free is not None and len(free.times) >= 2
    wanted = sorted(free.times)[1]  # not the first: that would be offered anyway
    jalali = jdatetime.date.fromgregorian(date=wanted)
    said = f"{jalali.day} {jalali.j_months_fa[jalali.month - 1]}"

    hamid = world.client.person(8108, "حمید")
    results = await hamid.says(f"نوبت تعویض شناسنامه {said} در اصفهان")
    assert results.text.startswith(texts.FIND_FROM_PLACE.format(origin="اصفهان"))
    times = await hamid.presses(texts.OFFICE_BOOK.format(number="۱"))
    assert times.last.text == texts.BOOK_PICK_TIME.format(
        day=fa_day(wanted, now.date()), office=nearest
    )
    # Another day is one press away.
    days = await hamid.presses(texts.BOOK_BACK_TO_DAYS)
    assert days.last.text.startswith("📅 نوبت «تعویض شناسنامه»")


async def _office_id(world: World, name: str) -> int:
    async with world.deps.sessions() as session:
        found = await session.scalar(select(Office.id).where(Office.name == name))
    assert found is not None
    return int(found)


async def test_a_step_left_by_a_deploy_is_dropped_politely(world: World) -> None:
    """A draft stored by an older version the bot no longer reads: said so, and the message
    handled as if no step waited (no national code step taking the words)."""
    leila = world.client.person(8109, "لیلا")
    async with world.deps.conversations.open(TELEGRAM, leila.chat_id, leila.id) as conversation:
        conversation.flow, conversation.step = "book", "national_code"
        conversation.data = {"v": 99, "office": 1, "service": "passport_issue"}
    reply = await leila.says("سلام")
    assert reply.messages[0].text == texts.STEP_LEFT_BEHIND
    assert reply.last.text.startswith("سلام")
    async with world.deps.conversations.open(TELEGRAM, leila.chat_id, leila.id) as conversation:
        assert conversation.flow is None
