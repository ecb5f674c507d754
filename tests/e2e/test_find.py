"""A citizen looks for the nearest counter that really offers what they need."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dialogs import texts
from services.clock import tehran_now
from services.importing import import_offices
from services.places import locate
from services.storage.models import Office, OfficeService
from tests.helpers.find import (
    SERVICE,
    SERVICE_FA,
    TEHRAN_VALIASR,
    expected_nearest,
    listed,
    offices_offering,
    place_shown,
)
from tests.helpers.world import World

# The core flows, on each messenger's Bot API (tests/e2e/conftest.py).
ON_EVERY_MESSENGER = True


async def test_nearest_offices_for_a_service_from_a_shared_location_in_tehran(
    world: World,
) -> None:
    maryam = world.client.person(5001, "مریم")
    reply = await maryam.says("نزدیکترین دفتر برای تعویض شناسنامه")
    assert reply.text == texts.FIND_WHERE.format(service=SERVICE_FA)
    keyboard = (await world.client.chat_state(maryam.chat_id))["reply_keyboard"]
    assert keyboard["keyboard"][0][0] == {"text": texts.SHARE_LOCATION, "request_location": True}

    reply = await maryam.taps(
        texts.SHARE_LOCATION, latitude=TEHRAN_VALIASR[0], longitude=TEHRAN_VALIASR[1]
    )
    assert reply.messages[0].text.startswith("🔎 در حال جست‌وجو")
    assert reply.messages[0].removes_keyboard
    assert reply.last.text.startswith(texts.FIND_HEADER.format(service=SERVICE_FA))
    names, kms = listed(reply)
    expected = expected_nearest(await offices_offering(world, SERVICE), *TEHRAN_VALIASR)
    assert names == [name for name, _ in expected]  # every one offers it, nearest first
    assert kms == sorted(kms)
    for km, (_, exact) in zip(kms, expected, strict=True):
        assert abs(km - exact) <= 0.051 if exact < 10 else abs(km - exact) <= 0.51
    assert texts.OFFICE_MAP.format(number="۱") in reply.last.labels
    assert texts.OFFICE_BOOK.format(number="۵") in reply.last.labels
    assert texts.FIND_MORE in reply.last.labels
    assert re.search(r"🟢 باز است تا|🔴 بسته", reply.last.text)


async def test_a_typed_city_works_like_a_shared_location(world: World) -> None:
    ali = world.client.person(5002, "علی")
    await ali.says("نزدیکترین دفتر برای تعویض شناسنامه")
    reply = await ali.says("اصفهان")
    assert reply.messages[0].text.startswith("🔎 در حال جست‌وجوی دفترهای نزدیک اصفهان")
    point = locate(province="اصفهان", city="اصفهان")
    assert point is not None
    names, _ = listed(reply)
    expected = expected_nearest(await offices_offering(world, SERVICE), *point)
    assert names == [name for name, _ in expected]
    assert expected[0][1] < 15  # the nearest is in or next to the city


async def test_a_city_typed_in_latin_letters_works_like_a_persian_one(world: World) -> None:
    hamid = world.client.person(5010, "حمید")
    await hamid.says("نزدیکترین دفتر برای تعویض شناسنامه")
    reply = await hamid.says("mashhad")
    assert reply.messages[0].text.startswith("🔎 در حال جست‌وجوی دفترهای نزدیک مشهد")
    point = locate(province="خراسان رضوی", city="مشهد")
    assert point is not None
    names, _ = listed(reply)
    expected = expected_nearest(await offices_offering(world, SERVICE), *point)
    assert names == [name for name, _ in expected]
    assert expected[0][1] < 15  # the nearest is in or next to the city


async def test_a_tehran_district_and_an_unknown_place(world: World) -> None:
    sara = world.client.person(5003, "سارا")
    await sara.says("/find تعویض شناسنامه")
    reply = await sara.says("ناکجاآباد")
    assert reply.text == texts.FIND_PLACE_UNKNOWN.format(text="ناکجاآباد")
    reply = await sara.says("منطقه ۵")
    assert reply.messages[0].text.startswith("🔎 در حال جست‌وجوی دفترهای نزدیک منطقه ۵ تهران")
    point = locate(district=5)
    assert point is not None
    names, _ = listed(reply)
    expected = expected_nearest(await offices_offering(world, SERVICE), *point)
    assert names == [name for name, _ in expected]


async def test_more_pages_go_further_out_and_the_map_shows_the_office(world: World) -> None:
    reza = world.client.person(5004, "رضا")
    await reza.says("نزدیکترین دفتر برای تعویض شناسنامه")
    first = await reza.shares_location(*TEHRAN_VALIASR)
    _, first_kms = listed(first)
    second = await reza.presses(texts.FIND_MORE)
    names, kms = listed(second)
    expected = expected_nearest(await offices_offering(world, SERVICE), *TEHRAN_VALIASR, 10)
    assert names == [name for name, _ in expected[5:]]
    assert min(kms) >= max(first_kms) - 0.05
    assert second.last.text.startswith(texts.FIND_HEADER_MORE.format(service=SERVICE_FA))

    venue = await reza.presses(
        texts.OFFICE_MAP.format(number="۱"), message_id=first.last.message_id
    )
    offices = await offices_offering(world, SERVICE)
    first_name = listed(first)[0][0]
    assert place_shown(venue) == (first_name, offices[first_name])


async def test_a_location_first_then_the_service(world: World) -> None:
    nima = world.client.person(5005, "نیما")
    reply = await nima.shares_location(*TEHRAN_VALIASR)
    assert texts.LOCATION_OUTSIDE_FLOW in reply.text
    assert reply.last.text == texts.CHOOSE_CATEGORY
    await nima.presses("هویت و ثبت احوال")
    reply = await nima.presses(SERVICE_FA)
    names, _ = listed(reply)
    expected = expected_nearest(await offices_offering(world, SERVICE), *TEHRAN_VALIASR)
    assert names == [name for name, _ in expected]


async def test_far_from_any_office_says_so_and_shows_the_nearest_anyway(world: World) -> None:
    service, remote = "plate_duplicate", (31.2, 61.4)  # the fewest offices; the eastern desert
    offices = await offices_offering(world, service)
    assert expected_nearest(offices, *remote, 1)[0][1] > 50
    citizen = world.client.person(5006, "یاسر")
    await citizen.says("نزدیکترین دفتر برای المثنی پلاک")
    reply = await citizen.shares_location(*remote)
    assert texts.FIND_FAR.format(km="۵۰") in reply.last.text
    names, _ = listed(reply)
    assert names == [name for name, _ in expected_nearest(offices, *remote)]


async def test_an_online_service_says_so_before_the_list(world: World) -> None:
    citizen = world.client.person(5007, "لیلا")
    await citizen.says("نزدیکترین پیشخوان برای پرداخت قبض")
    reply = await citizen.shares_location(*TEHRAN_VALIASR)
    lines = reply.last.text.splitlines()
    assert lines[0] == texts.DOCS_NO_VISIT
    assert lines[1].startswith("💡 این کار را اینترنتی هم می‌توانید انجام دهید")
    assert texts.OFFICE_BOOK.format(number="۱") not in reply.last.labels  # nothing to book


async def test_cancel_on_the_location_keyboard(world: World) -> None:
    citizen = world.client.person(5008, "کاوه")
    await citizen.says("نزدیکترین دفتر برای تعویض شناسنامه")
    reply = await citizen.taps(texts.FIND_CANCEL)
    assert reply.messages[0].text == texts.CANCELLED and reply.messages[0].removes_keyboard
    assert reply.last.text == texts.MENU_AGAIN


async def test_documents_from_an_office_carry_that_offices_note(
    world: World, tmp_path: Path
) -> None:
    async with world.deps.sessions() as session:
        office = (
            await session.scalars(
                select(Office)
                .join(OfficeService)
                .where(OfficeService.service_key == SERVICE)
                .options(selectinload(Office.services))
            )
        ).first()
        assert office is not None
        record = {
            "code": office.code,
            "name": office.name,
            "network": office.network_key,
            "province": office.province,
            "county": office.county,
            "city": office.city,
            "address": office.address,
            "lat": office.lat,
            "lon": office.lon,
            "hours": office.weekly_hours,
            "services": [s.service_key for s in office.services],
            "service_notes": {SERVICE: "فقط صبح‌ها، با نوبت قبلی"},
        }
    path = tmp_path / "offices.json"
    path.write_text(json.dumps({"offices": [record]}, ensure_ascii=False), encoding="utf-8")
    await import_offices(world.deps.sessions, path)
    world.deps.directory.expire()
    await world.deps.directory.fresh(tehran_now())  # the bot would on its next search

    citizen = world.client.person(5009, "پریسا")
    await citizen.says("نزدیکترین دفتر برای تعویض شناسنامه")
    results = await citizen.shares_location(office.lat, office.lon)
    assert listed(results)[0][0] == office.name
    assert "📝 فقط صبح‌ها، با نوبت قبلی" in results.last.text
    page = await citizen.presses(texts.OFFICE_DOCS.format(number="۱"))
    assert page.last.text.startswith(f"📄 {SERVICE_FA}")
    assert f"📝 نکتهٔ «{office.name}»: فقط صبح‌ها، با نوبت قبلی" in page.last.text
