"""The office's staff get each booking in their group and move it on with buttons."""

from __future__ import annotations

import asyncio
import datetime as dt

import jdatetime
from sqlalchemy import func, select

from bot.delivery import PACE
from dialogs import texts
from dialogs.callbacks import StaffAction
from dialogs.formatting import fa_time
from emulator import BotMessage
from services.booking import BookingRequest, book, cancel, change_status, reschedule
from services.catalogue import service_details
from services.clock import TEHRAN as TEHRAN_TZ
from services.clock import tehran_now
from services.identity import TELEGRAM, ChatRef, UserRef
from services.scheduling import availability
from services.storage.models import Booking, Office, OutboxEvent
from tests.helpers.booking import NATIONAL_CODE, book_to_summary
from tests.helpers.booking_data import valid_national_code
from tests.helpers.staff import GROUP, SERVICE, link_first_office
from tests.helpers.world import World

# The core flows, on each messenger's Bot API (tests/e2e/conftest.py).
ON_EVERY_MESSENGER = True


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

    await visit_is_under_way(world, booking.id)
    citizen_seq = (await world.client.state())["seq"]
    arrived = await clerk.presses(texts.STAFF_ARRIVED)
    assert arrived.last.edited
    assert "✅ حضور شهروند در دفتر ثبت شد — توسط کارمند، ساعت " in arrived.last.text
    assert "حاضر شدید" not in arrived.last.text  # the citizen's words, not the clerk's
    assert texts.STAFF_DONE in arrived.last.labels
    told = await world.client.wait(citizen.chat_id, citizen_seq, within=10)
    assert texts.STATUS_NAMES["checked_in"] in told.last.text

    # A group admin who never linked anything is staff too.
    world.emulator.add_user(8004, "مدیر")
    world.emulator.add_member(GROUP, 8004, "administrator")
    boss = world.client.person(8004, "مدیر").in_chat(GROUP)
    done = await boss.presses(texts.STAFF_DONE)
    assert "🏁 کار شهروند انجام شد — توسط مدیر، ساعت " in done.last.text
    assert "✅ حضور شهروند در دفتر ثبت شد — توسط کارمند" in done.last.text

    # Yesterday's "arrived" pressed again is answered, not applied twice.
    await clerk.presses(
        texts.STAFF_READY, data=StaffAction("arrived", booking.id).pack(), expect_reply=False
    )
    answers = await world.client.callback_answers(GROUP)
    assert answers[-1]["text"] == texts.STAFF_ALREADY.format(
        status=texts.STAFF_STATUS_NAMES["done"]
    )
    timeline = await citizen.says(f"/track {booking.tracking_code}")
    assert timeline.text.count("• ") == 3  # booked, checked in, done

    # A button the bot no longer knows is answered quietly: no citizen menu in the group.
    before = len(await world.client.messages(GROUP))
    await clerk.presses(texts.STAFF_READY, data="m:launch-rockets", expect_reply=False)
    answers = await world.client.callback_answers(GROUP)
    assert answers[-1]["text"] == texts.STALE_BUTTON
    await asyncio.sleep(0.3)
    assert len(await world.client.messages(GROUP)) == before

    async with world.deps.sessions() as session:
        starts_at = await session.scalar(select(Booking.starts_at).where(Booking.id == booking.id))
    assert starts_at is not None
    day = jdatetime.date.fromgregorian(date=starts_at.astimezone(TEHRAN_TZ).date())
    agenda = await clerk.says(f"/agenda {day.year}/{day.month}/{day.day}")
    assert agenda.text.startswith(f"📋 نوبت‌های «{office.name}»")
    code_shown = f"{booking.tracking_code[:4]}-{booking.tracking_code[4:]}"
    assert f"{code_shown} — شهروند (۰۴۹*****۹۹) — انجام شد" in agenda.text


async def visit_is_under_way(
    world: World, booking_id: int, began: dt.timedelta = dt.timedelta(minutes=5)
) -> None:
    """The booking's slot began this long ago (negative: it starts that far ahead): the
    test moves the visit, as it cannot wait for the office's next working day."""
    async with world.deps.sessions() as session, session.begin():
        booking = await session.get(Booking, booking_id)
        assert booking is not None and booking.starts_at and booking.ends_at
        length = booking.ends_at - booking.starts_at
        now = tehran_now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Still today in Tehran, even in the first minutes after midnight.
        booking.starts_at = max(now - began, midnight) if began > dt.timedelta(0) else now - began
        booking.ends_at = booking.starts_at + length


async def test_staff_cancel_with_a_reason_the_citizen_reads(world: World) -> None:
    _, code = await link_first_office(world)
    clerk = world.client.person(8101, "کارمند").in_chat(GROUP)
    await clerk.says(f"/link {code}")
    citizen = world.client.person(8102, "شهروند")
    await book_to_summary(citizen)
    await citizen.presses(texts.BOOK_CONFIRM)
    await world.client.wait(GROUP, (await world.client.state())["seq"] - 1, within=10)
    why = await clerk.presses(texts.STAFF_CANCEL)
    card = why.last
    assert card.edited and card.text.startswith("🆕 نوبت تازه")  # the reasons, on the card
    assert card.labels == [*texts.STAFF_CANCEL_REASONS, texts.STAFF_BACK]
    seq = (await world.client.state())["seq"]
    cancelled = await clerk.presses(texts.STAFF_CANCEL_REASONS[0])
    assert cancelled.last.message_id == card.message_id
    assert cancelled.last.text.startswith("❌ نوبت لغو شده")
    assert f"❌ نوبت لغو شد ({texts.STAFF_CANCEL_REASONS[0]}) — توسط کارمند" in (
        cancelled.last.text
    )
    assert cancelled.last.labels == []  # nothing left to press on a cancelled booking
    told = await world.client.wait(citizen.chat_id, seq, within=10)
    assert "لغو کرد" in told.last.text
    assert f"📝 دلیل: {texts.STAFF_CANCEL_REASONS[0]}" in told.last.text
    assert told.last.labels == [texts.BOOK_AGAIN, texts.TRACK_BUTTON]
    assert (await citizen.says("/mybookings")).text == texts.MY_NONE
    again = await citizen.presses(texts.BOOK_AGAIN)
    assert again.text == texts.BOOK_WHERE.format(service="تعویض شناسنامه")


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
                citizen=UserRef(world.emulator.messenger, 90_000 + n),
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
                citizen=UserRef(world.emulator.messenger, 91_000 + n), chat_id=91_000 + n,
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


async def booked_with_card(
    world: World, group: int, clerk_id: int, citizen_id: int
) -> tuple[Booking, BotMessage]:
    """A linked group, a citizen's booking made in the chat and its card in the group."""
    _, code = await link_first_office(world, group)
    await world.client.person(clerk_id, "کارمند").in_chat(group).says(f"/link {code}")
    citizen = world.client.person(citizen_id, "شهروند")
    await book_to_summary(citizen)
    seq = (await world.client.state())["seq"]
    await citizen.presses(texts.BOOK_CONFIRM)
    card = (await world.client.wait(group, seq, within=10)).last
    assert card.text.startswith("🆕 نوبت تازه")
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    return booking, card


async def card_once(world: World, group: int, message_id: int, shows: str) -> BotMessage:
    """The group's message once it shows this (the delivery edits it within a few rounds)."""
    for _ in range(50):
        (message,) = [m for m in await world.client.messages(group) if m.message_id == message_id]
        if shows in message.text:
            return message
        await asyncio.sleep(0.2)
    raise AssertionError(f"message {message_id} never showed {shows!r}: {message.text}")


async def test_the_card_follows_the_booking_whoever_changes_it(world: World) -> None:
    """The citizen moves the booking, the office's system confirms it, the citizen cancels
    it: the one card in the group shows each change, with only the buttons still useful."""
    group = -1005550001  # a group of its own: the delivery's pace is kept per chat
    booking, card = await booked_with_card(world, group, 8501, 8502)
    assert booking.starts_at is not None
    free = await availability(
        world.deps.sessions, booking.office_id, SERVICE, tehran_now(), world.deps.rules
    )
    assert free is not None
    times = [t.starts_at for day in sorted(free.times) for t in free.times[day]]
    later = next(start for start in times if start != booking.starts_at)
    await reschedule(
        world.deps.sessions,
        world.deps.rules,
        booking.id,
        UserRef(world.emulator.messenger, 8502),
        later,
        tehran_now(),
    )
    moved = await card_once(world, group, card.message_id, "🔁 زمان نوبت تغییر کرد — توسط شهروند")
    assert f"ساعت {fa_time(later.astimezone(TEHRAN_TZ))}\n" in moved.text
    assert moved.labels == card.labels

    await change_status(
        world.deps.sessions, booking.id, "confirmed", tehran_now(), actor_kind="counter_api"
    )
    confirmed = await card_once(world, group, card.message_id, "✅ نوبت تأیید شد — از سامانهٔ دفتر")
    assert f"📌 وضعیت: {texts.STAFF_STATUS_NAMES['confirmed']}" in confirmed.text
    assert texts.STAFF_CONFIRM not in confirmed.labels
    assert texts.STAFF_ARRIVED in confirmed.labels

    await cancel(
        world.deps.sessions,
        world.deps.rules,
        booking.id,
        UserRef(world.emulator.messenger, 8502),
        tehran_now(),
    )
    gone = await card_once(world, group, card.message_id, "❌ نوبت لغو شد — توسط شهروند")
    assert gone.text.startswith("❌ نوبت لغو شده")
    assert gone.labels == []
    cards = [m for m in await world.client.messages(group) if booking.tracking_code[:4] in m.text]
    assert len(cards) == 1  # one card, edited: no stale copy with live buttons


async def test_a_card_that_cannot_be_edited_is_posted_again(world: World) -> None:
    """A clerk deleted the card: the next change comes as a new card, which is the one
    edited from then on."""
    group = -1005550002
    booking, card = await booked_with_card(world, group, 8511, 8512)
    (record,) = [r for r in world.emulator.messages(group) if r.message_id == card.message_id]
    record.deleted = True
    seq = (await world.client.state())["seq"]
    await change_status(
        world.deps.sessions, booking.id, "confirmed", tehran_now(), actor_kind="counter_api"
    )
    posted = (await world.client.wait(group, seq, within=10)).last
    assert posted.message_id != card.message_id
    assert "✅ نوبت تأیید شد — از سامانهٔ دفتر" in posted.text
    assert texts.STAFF_ARRIVED in posted.labels
    await change_status(
        world.deps.sessions, booking.id, "needs_documents", tehran_now(),
        actor_kind="counter_api", note_fa="کپی شناسنامه",
    )  # fmt: skip
    await card_once(world, group, posted.message_id, "📎 مدرک کم اعلام شد (کپی شناسنامه)")


async def test_a_card_brought_back_from_a_digest_is_the_one_kept_current(world: World) -> None:
    """Two bookings at once reach the group as one digest; the card a clerk brings back
    from it is edited when the booking changes, and an older card loses its buttons."""
    group = -1005550003
    office, code = await link_first_office(world, group)
    clerk = world.client.person(8521, "کارمند").in_chat(group)
    await clerk.says(f"/link {code}")
    free = await availability(
        world.deps.sessions, office.id, SERVICE, tehran_now(), world.deps.rules
    )
    assert free is not None
    starts = [t.starts_at for day in sorted(free.times) for t in free.times[day]][:2]
    seq = (await world.client.state())["seq"]
    PACE.note(
        ChatRef(TELEGRAM, group)
    )  # the group just got a message: the next ones wait and go together
    views = []
    for n, start in enumerate(starts):
        view, _ = await book(
            world.deps.sessions, world.deps.vault, world.deps.rules,
            BookingRequest(
                office_id=office.id, service_key=SERVICE, starts_at=start,
                citizen=UserRef(world.emulator.messenger, 92_000 + n), chat_id=92_000 + n,
                national_code=valid_national_code(900 + n), mobile="09121234567",
                citizen_name=f"شهروند {n}", idempotency_key=f"digest:{n}",
            ),
            tehran_now(), world.deps.new_code,
        )  # fmt: skip
        views.append(view)
    digest = (await world.client.wait(group, seq, within=10)).last
    assert digest.text.startswith("📋 ۲ خبر تازه")
    shown_code = f"{views[0].tracking_code[:4]}-{views[0].tracking_code[4:]}"
    first = (await clerk.presses(shown_code)).last
    assert first.text.startswith("🆕 نوبت تازه") and texts.STAFF_CONFIRM in first.labels
    second = (await clerk.presses(shown_code)).last
    assert second.message_id != first.message_id
    (old,) = [m for m in await world.client.messages(group) if m.message_id == first.message_id]
    assert old.labels == []  # the older card cannot be pressed by mistake any more
    await change_status(
        world.deps.sessions, views[0].id, "confirmed", tehran_now(), actor_kind="counter_api"
    )
    await card_once(world, group, second.message_id, "✅ نوبت تأیید شد — از سامانهٔ دفتر")


async def test_only_staff_read_the_agenda(world: World) -> None:
    """The agenda names the day's citizens: a member who may not press the staff buttons
    gets the same refusal as for a button, and sees nobody's name."""
    group = -1005550004
    booking, _ = await booked_with_card(world, group, 8531, 8532)
    world.emulator.add_user(8533, "رهگذر")
    world.emulator.add_member(group, 8533, "member")
    stranger = world.client.person(8533, "رهگذر").in_chat(group)
    refused = await stranger.says("/agenda")
    assert refused.text == texts.STAFF_ONLY
    assert booking.citizen_name is not None and booking.citizen_name not in refused.text
    await visit_is_under_way(world, booking.id)
    shown = await world.client.person(8531, "کارمند").in_chat(group).says("/agenda")
    assert booking.tracking_code[4:] in shown.text and "شهروند" in shown.text


async def test_a_visit_is_marked_on_its_day_and_a_no_show_after_its_time(world: World) -> None:
    group = -1005550005
    booking, card = await booked_with_card(world, group, 8541, 8542)
    clerk = world.client.person(8541, "کارمند").in_chat(group)
    await visit_is_under_way(world, booking.id, dt.timedelta(days=-2))  # two days ahead
    seq = (await world.client.state())["seq"]
    for label in (texts.STAFF_ARRIVED, texts.STAFF_NO_SHOW):
        await clerk.presses(label, message_id=card.message_id, expect_reply=False)
        answers = await world.client.callback_answers(group)
        assert "از روز نوبت" in answers[-1]["text"] or "پس از آن" in answers[-1]["text"]
    await visit_is_under_way(world, booking.id)  # its day: it began five minutes ago
    await clerk.presses(texts.STAFF_NO_SHOW, message_id=card.message_id, expect_reply=False)
    answers = await world.client.callback_answers(group)
    assert answers[-1]["text"].startswith("زمان این نوبت تا ساعت ")
    async with world.deps.sessions() as session:
        row = await session.get(Booking, booking.id)
        assert row is not None and row.status == "booked"
    await asyncio.sleep(0.5)
    told = await world.client.wait(8542, seq, within=1)
    assert not told.answered  # the citizen was told nothing
    arrived = await clerk.presses(texts.STAFF_ARRIVED, message_id=card.message_id)
    assert "✅ حضور شهروند در دفتر ثبت شد" in arrived.last.text


async def test_missing_documents_are_picked_from_the_services_list(world: World) -> None:
    group = -1005550006
    _, card = await booked_with_card(world, group, 8551, 8552)
    clerk = world.client.person(8551, "کارمند").in_chat(group)
    picker = (await clerk.presses(texts.STAFF_NEEDS_DOCS)).last
    assert picker.message_id == card.message_id  # on the card itself
    service = await service_details(world.deps.sessions, SERVICE)
    assert service is not None and len(service.documents) >= 3
    documents = [document.name_fa for document in service.documents]
    assert picker.labels == [
        *(texts.STAFF_DOC_NOT_CHOSEN.format(name=name) for name in documents),
        texts.STAFF_DOCS_SUBMIT,
        texts.STAFF_BACK,
    ]
    await clerk.presses(texts.STAFF_DOCS_SUBMIT, expect_reply=False)
    answers = await world.client.callback_answers(group)
    assert answers[-1]["text"] == texts.STAFF_DOCS_NONE_CHOSEN
    await clerk.presses(texts.STAFF_DOC_NOT_CHOSEN.format(name=documents[0]))
    ticked = await clerk.presses(texts.STAFF_DOC_NOT_CHOSEN.format(name=documents[2]))
    assert texts.STAFF_DOC_CHOSEN.format(name=documents[2]) in ticked.last.labels
    seq = (await world.client.state())["seq"]
    sent = await clerk.presses(texts.STAFF_DOCS_SUBMIT)
    assert "📎 مدرک کم اعلام شد" in sent.last.text and "توسط کارمند" in sent.last.text
    assert texts.STAFF_DOCS_SUBMIT not in sent.last.labels  # the card's own buttons again
    told = await world.client.wait(8552, seq, within=10)
    missing = f"{documents[0]}، {documents[2]}"
    assert texts.STAFF_MISSING_DOCS_NOTE.format(documents=missing) in told.last.text
    assert all(name not in told.last.text for name in documents[1:2] + documents[3:])
