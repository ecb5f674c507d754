"""A citizen books a slot, tracks it, moves it and cancels it; the office moves it on."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, update
from telegram import Bot

from bot.delivery import deliver_to_citizens
from dialogs import texts
from emulator import Person
from nlp.tracking import new_tracking_code
from services.booking import change_status, set_essential_only
from services.clock import tehran_now
from services.closures import add_closure
from services.storage.models import Booking, Office, OutboxEvent, Slot
from tests.helpers.booking import (
    NATIONAL_CODE,
    TEHRAN,
    book_to_national_code,
    book_to_summary,
    bookings_in_db,
)
from tests.helpers.find import place_shown
from tests.helpers.world import World

# The core flows, on each messenger's Bot API (tests/e2e/conftest.py).
ON_EVERY_MESSENGER = True

_CODE = re.compile(r"کد رهگیری: ([0-9A-Z]{4}-[0-9A-Z]{4})")


async def test_a_whole_booking_from_free_text_to_tracking_code(world: World) -> None:
    maryam = world.client.person(6001, "مریم")
    summary = await book_to_summary(maryam)
    assert summary.messages[0].text == texts.BOOK_MOBILE_RECEIVED.format(masked="۰۹۱۲***۴۵۶۷")
    assert summary.messages[0].removes_keyboard
    page = summary.last.text
    assert page.startswith("لطفاً بررسی و تأیید کنید")
    assert "🪪 کد ملی: ۰۴۹*****۹۹" in page and NATIONAL_CODE not in page
    assert texts.DOCS_LIST in page
    assert summary.last.labels[0] == texts.BOOK_CONFIRM

    done = await maryam.presses(texts.BOOK_CONFIRM)
    assert done.messages[0].text.startswith("✅ نوبت شما ثبت شد.")
    match = _CODE.search(done.messages[0].text)
    assert match is not None
    code = match.group(1)
    office_name, _ = place_shown(done)  # the office on a map
    assert office_name in done.messages[0].text
    assert await bookings_in_db(world) == 1

    # Pressing confirm again (or later) shows the same booking and makes no second one.
    again = await maryam.presses(texts.BOOK_CONFIRM, message_id=summary.last.message_id)
    assert again.messages[0].text == texts.BOOK_ALREADY_DONE
    assert code in again.messages[1].text
    assert await bookings_in_db(world) == 1

    timeline = await maryam.says(f"/track {code}")
    assert timeline.text.startswith(f"🔢 پیگیری {code}")
    assert "وضعیت: نوبت ثبت شد" in timeline.text
    assert "• نوبت ثبت شد — " in timeline.text


async def test_the_national_code_message_is_deleted_and_a_wrong_one_explained(
    world: World,
) -> None:
    ali = world.client.person(6002, "علی")
    reply = await ali.says("نوبت تعویض شناسنامه")
    await ali.shares_location(*TEHRAN)
    days = await ali.presses(texts.OFFICE_BOOK.format(number="۱"))
    times = await ali.presses(days.last.buttons[0][0].label)
    await ali.presses(times.last.buttons[0][0].label)
    reply = await ali.says("0012345678")
    assert reply.text == texts.BOOK_NATIONAL_CODE_CHECKSUM
    reply = await ali.says("12345")
    assert reply.text == texts.BOOK_NATIONAL_CODE_LENGTH.format(count="۵")
    reply = await ali.says("۰۴۹۹۳۷۰۸۹۹")
    assert reply.messages[0].text == texts.BOOK_NATIONAL_CODE_RECEIVED.format(masked="۰۴۹*****۹۹")
    sent_by_user = [m for m in await world.client.messages(ali.chat_id) if not m.deleted]
    assert all("0012345678" not in m.text and "۰۴۹۹۳۷۰۸۹۹" not in m.text for m in sent_by_user)
    history = world.emulator.messages(ali.chat_id, include_user=True)
    typed = [
        r for r in history if not r.from_bot and r.data.get("text") in ("0012345678", "۰۴۹۹۳۷۰۸۹۹")
    ]
    assert typed and all(r.deleted for r in typed)
    reply = await ali.says("0912")
    assert reply.text == texts.BOOK_MOBILE_INVALID


async def test_a_status_change_reaches_the_citizen_and_the_timeline(world: World) -> None:
    sara = world.client.person(6003, "سارا")
    await book_to_summary(sara)
    done = await sara.presses(texts.BOOK_CONFIRM)
    match = _CODE.search(done.messages[0].text)
    assert match is not None
    code = match.group(1).replace("-", "")
    async with world.deps.sessions() as session:
        booking = await session.scalar(select(Booking).where(Booking.tracking_code == code))
        assert booking is not None
    seq = (await world.client.state())["seq"]
    await change_status(
        world.deps.sessions,
        booking.id,
        "confirmed",
        tehran_now(),
        actor_kind="staff",
        note_fa="لطفاً ده دقیقه زودتر بیایید",
    )
    news = await world.client.wait(sara.chat_id, seq, within=10)
    assert news.answered
    assert news.last.text.startswith(f"🔔 درخواست {match.group(1)} (تعویض شناسنامه): ")
    assert texts.STATUS_NAMES["confirmed"] in news.last.text
    assert "لطفاً ده دقیقه زودتر بیایید" in news.last.text
    timeline = await sara.presses(texts.TRACK_BUTTON)
    assert f"وضعیت: {texts.STATUS_NAMES['confirmed']}" in timeline.text
    assert "لطفاً ده دقیقه زودتر بیایید" in timeline.text


async def test_reschedule_then_cancel_from_my_bookings(world: World) -> None:
    reza = world.client.person(6004, "رضا")
    await book_to_summary(reza)
    await reza.presses(texts.BOOK_CONFIRM)
    listing = await reza.says("/mybookings")
    assert listing.last.labels == [texts.MY_CANCEL, texts.MY_RESCHEDULE]
    days = await reza.presses(texts.MY_RESCHEDULE)
    assert days.last.text.startswith("🔁 زمان تازه")
    times = await reza.presses(days.last.buttons[-2][0].label)  # the last day offered
    moved = await reza.presses(times.last.buttons[0][-1].label)
    assert moved.text.startswith("🔁 زمان نوبت")
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
        assert booking.reschedule_count == 1
        held = await session.scalar(select(func.sum(Slot.booked)))
        cells = (booking.ends_at - booking.starts_at).total_seconds() // 300
        assert held == cells  # the old time's desks were given back

    await reza.says("/mybookings")
    sure = await reza.presses(texts.MY_CANCEL)
    assert sure.last.labels == [texts.MY_CANCEL_YES, texts.MY_CANCEL_NO]
    cancelled = await reza.presses(texts.MY_CANCEL_YES)
    assert cancelled.text.startswith("نوبت ") and "لغو شد" in cancelled.text
    async with world.deps.sessions() as session:
        assert (await session.scalars(select(Booking))).one().status == "cancelled"
        assert await session.scalar(select(func.sum(Slot.booked))) == 0
    assert (await reza.says("/mybookings")).text == texts.MY_NONE


async def test_one_active_booking_per_national_code_and_service(world: World) -> None:
    first = world.client.person(6005, "نرگس")
    await book_to_summary(first)
    await first.presses(texts.BOOK_CONFIRM)
    second = world.client.person(6006, "نرگس دوم")
    await book_to_national_code(second)
    refused = await second.says(NATIONAL_CODE)  # refused at once, naming nothing of it
    assert refused.text.startswith(texts.BOOK_DUPLICATE_OTHER.format(service="تعویض شناسنامه"))
    assert await bookings_in_db(world) == 1


async def test_in_a_crisis_only_essential_services_are_booked(world: World) -> None:
    await set_essential_only(world.deps.sessions, True)
    citizen = world.client.person(6007, "یاسمن")
    refused = await citizen.says("نوبت تعویض شناسنامه")
    assert refused.text.startswith(texts.BOOK_ESSENTIAL_ONLY.format(service="تعویض شناسنامه"))
    online = await citizen.says("نوبت سوء پیشینه")
    assert "adliran.ir" in online.text  # the online way is offered
    essential = await citizen.says("نوبت تمدید پاسپورت")
    assert essential.text == texts.BOOK_WHERE.format(service="صدور و تمدید گذرنامه")


async def _confirmed_booking(world: World, citizen: Person) -> Booking:
    await book_to_summary(citizen)
    await citizen.presses(texts.BOOK_CONFIRM)
    async with world.deps.sessions() as session:
        booking = await session.scalar(select(Booking).where(Booking.user_id == citizen.id))
        assert booking is not None
        return booking


async def test_reminders_arrive_once_even_across_a_restart(world: World) -> None:
    laleh = world.client.person(6008, "لاله")
    booking = await _confirmed_booking(world, laleh)
    seq = (await world.client.state())["seq"]
    async with world.deps.sessions() as session, session.begin():
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.booking_id == booking.id, OutboxEvent.channel == "citizen")
            .values(next_attempt_at=tehran_now())
        )
    news = await world.client.wait(laleh.chat_id, seq, within=10)
    assert news.answered
    # A second worker (or the bot after a restart) finds nothing left to send.
    async with Bot(world.emulator.token, base_url=world.emulator.base_url) as bot:
        assert await deliver_to_citizens(world.deps, bot) == 0
    async with world.deps.sessions() as session:
        planned = list(
            await session.scalars(
                select(OutboxEvent.event_type).where(
                    OutboxEvent.booking_id == booking.id, OutboxEvent.channel == "citizen"
                )
            )
        )
    assert "reminder.hour_before" in planned  # the slot is at least an hour away
    reminders = [m for m in await world.client.messages(laleh.chat_id) if "⏰" in m.text]
    assert len(reminders) == len(planned)  # each planned reminder exactly once
    hour_before = [m for m in reminders if m.text.startswith("⏰ یک ساعت دیگر")]
    assert len(hour_before) == 1 and texts.ON_MY_WAY in hour_before[0].labels
    assert all(texts.MY_CANCEL in m.labels for m in reminders)


async def test_a_closure_over_a_booking_reaches_the_citizen(world: World) -> None:
    kaveh = world.client.person(6009, "کاوه")
    booking = await _confirmed_booking(world, kaveh)
    async with world.deps.sessions() as session:
        office = await session.get(Office, booking.office_id)
        assert office is not None and booking.starts_at is not None
    seq = (await world.client.state())["seq"]
    added = await add_closure(
        world.deps.sessions, scope="office", office_code=office.code, reason_fa="قطعی برق",
        starts_at=booking.starts_at - dt.timedelta(hours=1),
        ends_at=booking.starts_at + dt.timedelta(hours=1), now=tehran_now(),
    )  # fmt: skip
    assert added.bookings_affected == 1
    news = await world.client.wait(kaveh.chat_id, seq, within=10)
    assert news.last.text.startswith(f"⚠️ «{office.name}» در زمان نوبت شما")
    assert "قطعی برق" in news.last.text
    assert news.last.labels == [texts.MY_RESCHEDULE, texts.MY_CANCEL]


async def test_guessing_tracking_codes_is_slowed_down(world: World) -> None:
    guesser = world.client.person(6010, "حدس‌زن")
    limit = world.settings.track_attempts
    for _ in range(limit):
        reply = await guesser.says(f"/track {new_tracking_code()}")
        assert reply.text.startswith("کد رهگیری ")
    reply = await guesser.says(f"/track {new_tracking_code()}")
    assert reply.text == texts.TRACK_SLOW_DOWN.format(minutes="۱۰")
