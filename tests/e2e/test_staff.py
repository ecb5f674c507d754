"""The office's staff get each booking in their group and move it on with buttons."""

from __future__ import annotations

import asyncio

import jdatetime
from sqlalchemy import func, select

from dialogs import texts
from dialogs.callbacks import StaffAction
from services.booking import BookingRequest, book, change_status
from services.clock import TEHRAN as TEHRAN_TZ
from services.clock import tehran_now
from services.scheduling import availability
from services.staff import new_link_code
from services.storage.models import Booking, Office, OutboxEvent
from tests.booking_fixtures import valid_national_code
from tests.e2e.conftest import World
from tests.e2e.test_booking import NATIONAL_CODE, TEHRAN, book_to_summary

GROUP = -1001234567
SERVICE = "birth_certificate_replacement"


async def link_first_office(world: World) -> tuple[Office, str]:
    """Links the group to the office a citizen in Tehran will see first."""
    (nearest,) = world.deps.directory.index.nearest(SERVICE, *TEHRAN, 1)
    async with world.deps.sessions() as session:
        office = await session.get(Office, nearest.office.id)
        assert office is not None
    code, _ = await new_link_code(world.deps.sessions, office.code, tehran_now())
    await world.client.add_group(GROUP, f"کارکنان {office.name}")
    return office, code


async def test_a_booking_reaches_the_office_group_and_staff_move_it_on(world: World) -> None:
    office, code = await link_first_office(world)
    clerk = world.client.person(8001, "کارمند").in_chat(GROUP)
    linked = await clerk.says(f"/link {code}")
    assert linked.text == texts.STAFF_LINKED.format(office=office.name)
    again = await world.client.person(8009, "دیگری").in_chat(-1009).says(f"/link {code}")
    assert again.text == texts.STAFF_LINK_REFUSED  # a code works once

    citizen = world.client.person(8002, "شهروند")
    await book_to_summary(citizen)
    seq = (await world.client.state())["seq"]
    await citizen.presses(texts.BOOK_CONFIRM)
    news = await world.client.wait(GROUP, seq, within=10)
    message = news.last
    assert message.text.startswith("🆕 نوبت تازه — تعویض شناسنامه")
    assert "۰۴۹*****۹۹" in message.text and NATIONAL_CODE not in message.text
    assert "👤 شهروند" in message.text
    assert message.labels[:2] == [texts.STAFF_CONFIRM, texts.STAFF_ARRIVED]

    # A member of the group who is not staff is refused, and nothing changes.
    stranger = world.client.person(8003, "رهگذر").in_chat(GROUP)
    await stranger.presses(texts.STAFF_ARRIVED, expect_reply=False)
    answers = await world.client.callback_answers(GROUP)
    assert answers[-1]["text"] == texts.STAFF_ONLY
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
        assert booking.status == "booked"

    citizen_seq = (await world.client.state())["seq"]
    arrived = await clerk.presses(texts.STAFF_ARRIVED)
    assert arrived.last.edited
    assert "✔️ در دفتر حاضر شدید — کارمند" in arrived.last.text
    assert texts.STAFF_DONE in arrived.last.labels
    told = await world.client.wait(citizen.chat_id, citizen_seq, within=10)
    assert texts.STATUS_NAMES["checked_in"] in told.last.text

    # A group admin who never linked anything is staff too.
    world.emulator.add_user(8004, "مدیر")
    world.emulator.add_member(GROUP, 8004, "administrator")
    boss = world.client.person(8004, "مدیر").in_chat(GROUP)
    done = await boss.presses(texts.STAFF_DONE)
    assert "✔️ انجام شد — مدیر" in done.last.text

    # Yesterday's "arrived" pressed again is answered, not applied twice.
    await clerk.presses(
        texts.STAFF_READY, data=StaffAction("arrived", booking.id).pack(), expect_reply=False
    )
    answers = await world.client.callback_answers(GROUP)
    assert answers[-1]["text"] == texts.STAFF_ALREADY.format(status=texts.STATUS_NAMES["done"])
    timeline = await citizen.says(f"/track {booking.tracking_code}")
    assert timeline.text.count("• ") == 3  # booked, checked in, done

    # A button the bot no longer knows is answered quietly: no citizen menu in the group.
    before = len(await world.client.messages(GROUP))
    await clerk.presses(texts.STAFF_READY, data="m:launch-rockets", expect_reply=False)
    answers = await world.client.callback_answers(GROUP)
    assert answers[-1]["text"] == texts.STALE_BUTTON
    await asyncio.sleep(0.3)
    assert len(await world.client.messages(GROUP)) == before

    assert booking.starts_at is not None
    day = jdatetime.date.fromgregorian(date=booking.starts_at.astimezone(TEHRAN_TZ).date())
    agenda = await clerk.says(f"/agenda {day.year}/{day.month}/{day.day}")
    assert agenda.text.startswith(f"📋 نوبت‌های «{office.name}»")
    code_shown = f"{booking.tracking_code[:4]}-{booking.tracking_code[4:]}"
    assert f"{code_shown} — شهروند (۰۴۹*****۹۹) — انجام شد" in agenda.text


async def test_staff_cancel_with_a_reason_the_citizen_reads(world: World) -> None:
    _, code = await link_first_office(world)
    clerk = world.client.person(8101, "کارمند").in_chat(GROUP)
    await clerk.says(f"/link {code}")
    citizen = world.client.person(8102, "شهروند")
    await book_to_summary(citizen)
    await citizen.presses(texts.BOOK_CONFIRM)
    await world.client.wait(GROUP, (await world.client.state())["seq"] - 1, within=10)
    why = await clerk.presses(texts.STAFF_CANCEL)
    assert why.last.labels == list(texts.STAFF_CANCEL_REASONS)
    seq = (await world.client.state())["seq"]
    await clerk.presses(texts.STAFF_CANCEL_REASONS[0])
    told = await world.client.wait(citizen.chat_id, seq, within=10)
    assert texts.STATUS_NAMES["cancelled"] in told.last.text
    assert texts.STAFF_CANCEL_REASONS[0] in told.last.text
    assert (await citizen.says("/mybookings")).text == texts.MY_NONE


async def test_agenda_outside_a_linked_chat_says_how_to_link(world: World) -> None:
    reply = await world.client.person(8201, "کسی").in_chat(-1000777).says("/agenda")
    assert reply.text == texts.STAFF_NOT_LINKED


async def test_a_burst_of_bookings_reaches_the_group_within_telegrams_limits(
    world: World,
) -> None:
    """100 bookings at one office within seconds: all of them reach its group, paced and
    digested, and Telegram never has to refuse a message."""
    office, code = await link_first_office(world)
    await world.client.person(8301, "کارمند").in_chat(GROUP).says(f"/link {code}")
    world.emulator.flood_limits(per_chat_per_second=1, per_group_per_minute=20)
    async with world.deps.sessions() as session, session.begin():
        row = await session.get(Office, office.id)
        assert row is not None
        row.desks = 30  # a big office: many citizens per time
    free = await availability(
        world.deps.sessions, office.id, SERVICE, tehran_now(), world.deps.rules
    )
    assert free is not None
    starts = [t.starts_at for day in sorted(free.times) for t in free.times[day]][:5]
    codes = []
    for n in range(100):
        view, _ = await book(
            world.deps.sessions,
            world.deps.vault,
            world.deps.rules,
            BookingRequest(
                office_id=office.id,
                service_key=SERVICE,
                starts_at=starts[n % len(starts)],
                telegram_user_id=90_000 + n,
                chat_id=90_000 + n,
                national_code=valid_national_code(500 + n),
                mobile="09121234567",
                citizen_name=f"شهروند {n}",
                idempotency_key=f"burst:{n}",
            ),
            tehran_now(),
            world.deps.new_code,
        )
        codes.append(f"{view.tracking_code[:4]}-{view.tracking_code[4:]}")
        await asyncio.sleep(0.03)
    for _ in range(100):  # until every event is out (a digest per second at most)
        async with world.deps.sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.channel == "staff_chat", OutboxEvent.status == "pending")
            )
        if waiting == 0:
            break
        await asyncio.sleep(0.2)
    assert waiting == 0
    shown = "\n".join(m.text for m in await world.client.messages(GROUP))
    assert all(code in shown for code in codes)
    refused = [c for c in await world.client.calls("sendMessage") if c["error_code"] == 429]
    assert refused == []
    group_sends = [c for c in await world.client.calls("sendMessage") if c["chat_id"] == GROUP]
    assert len(group_sends) <= 20


async def test_telegrams_retry_after_is_waited_out_and_nothing_is_lost(world: World) -> None:
    """A stricter Telegram than expected answers 429: the bot waits as told, then sends."""
    office, code = await link_first_office(world)
    await world.client.person(8401, "کارمند").in_chat(GROUP).says(f"/link {code}")
    world.emulator.flood_limits(per_chat_per_second=0.5)  # one message every two seconds
    free = await availability(
        world.deps.sessions, office.id, SERVICE, tehran_now(), world.deps.rules
    )
    assert free is not None
    starts = [t.starts_at for day in sorted(free.times) for t in free.times[day]][:6]
    for n, start in enumerate(starts):
        await book(
            world.deps.sessions,
            world.deps.vault,
            world.deps.rules,
            BookingRequest(
                office_id=office.id, service_key=SERVICE, starts_at=start,
                telegram_user_id=91_000 + n, chat_id=91_000 + n,
                national_code=valid_national_code(700 + n), mobile="09121234567",
                citizen_name=None, idempotency_key=f"strict:{n}",
            ),
            tehran_now(),
            world.deps.new_code,
        )  # fmt: skip
        await asyncio.sleep(1.1)
    for _ in range(100):
        async with world.deps.sessions() as session:
            events = list(
                await session.scalars(
                    select(OutboxEvent).where(OutboxEvent.channel == "staff_chat")
                )
            )
        if all(e.status == "delivered" for e in events):
            break
        await asyncio.sleep(0.2)
    assert len(events) == len(starts)
    assert all(e.status == "delivered" and e.attempts == 1 for e in events)  # 429 is no failure
    refused = [c for c in await world.client.calls("sendMessage") if c["error_code"] == 429]
    assert refused, "the stricter limit was never hit: the test proves nothing"


async def test_what_the_offices_system_does_is_shown_in_its_group(world: World) -> None:
    _, code = await link_first_office(world)
    await world.client.person(8501, "کارمند").in_chat(GROUP).says(f"/link {code}")
    citizen = world.client.person(8502, "شهروند")
    await book_to_summary(citizen)
    seq = (await world.client.state())["seq"]
    await citizen.presses(texts.BOOK_CONFIRM)
    await world.client.wait(GROUP, seq, within=10)
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    seq = (await world.client.state())["seq"]
    await change_status(
        world.deps.sessions, booking.id, "confirmed", tehran_now(), actor_kind="counter_api"
    )
    news = await world.client.wait(GROUP, seq, within=10)
    assert news.last.text.endswith("— از سامانهٔ دفتر")
    assert texts.STATUS_NAMES["confirmed"] in news.last.text
    assert texts.STAFF_ARRIVED in news.last.labels
