"""After the visit, over the emulator: a complaint reaches the supervisors of its county
(and no one else), their reply reaches the citizen and shows under /track; a finished
visit is asked about and rated once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, update
from telegram import Bot

from bot.delivery import deliver_to_citizens
from dialogs import texts
from dialogs.callbacks import Rate, SuperviseAction
from nlp.tracking import new_complaint_code
from services.booking import change_status
from services.clock import tehran_now
from services.complaints import offices_near
from services.feedback import Outcome, Rater, queue_rating_asks, rate
from services.locator import OfficeEntry
from services.storage.models import Booking, Complaint, OutboxEvent, Rating
from services.supervision import new_supervisor_code
from tests.helpers.after_visit import (
    KARAJ_SUPERVISORS,
    TEHRAN_SUPERVISORS,
    complaint_id_of,
    complaint_steps,
    file_complaint,
    impatient,
    link_supervisors,
    office_in,
)
from tests.helpers.booking import NATIONAL_CODE, book_to_summary
from tests.helpers.booking_data import valid_national_code
from tests.helpers.world import World

# The core flows, on each messenger's Bot API (tests/e2e/conftest.py).
ON_EVERY_MESSENGER = True

KARAJ = (35.8327, 50.9915)


def nearest_office(world: World, lat: float, lon: float) -> OfficeEntry:
    (office,) = offices_near(list(world.deps.directory.index.offices.values()), lat, lon, 1)
    return office


async def test_a_complaint_reaches_its_county_and_the_reply_reaches_the_citizen(
    world: World,
) -> None:
    tehran_desk = await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", 9101)
    await link_supervisors(world, KARAJ_SUPERVISORS, "البرز/کرج", 9102)
    office = office_in(world, "تهران", "تهران")
    citizen = world.client.person(9001, "مریم", last_name="احمدی")
    seq = (await world.client.state())["seq"]
    code, summary = await file_complaint(
        citizen, office, f"برای تعویض شناسنامه ۵۰۰ هزار تومان گرفتند. کد ملی {NATIONAL_CODE}"
    )
    assert NATIONAL_CODE not in summary.last.text  # masked as soon as it was typed

    news = await world.client.wait(TEHRAN_SUPERVISORS, seq, within=10)
    card = news.last
    assert card.text.startswith(f"📣 شکایت تازه {code}")
    assert office.name in card.text and texts.COMPLAINT_KINDS["overcharged"] in card.text
    assert "👤 م*** ا***" in card.text and "مریم" not in card.text
    assert NATIONAL_CODE not in card.text and "۵۰۰ هزار تومان" in card.text
    assert card.labels == [
        texts.SUPERVISE_ACK,
        texts.SUPERVISE_REPLY,
        texts.SUPERVISE_RESOLVE,
        texts.SUPERVISE_REJECT,
        texts.SUPERVISE_PHOTO,
    ]
    # Not in the other county's chat, now or after more delivery passes.
    await asyncio.sleep(1.0)
    karaj = "\n".join(m.text for m in await world.client.messages(KARAJ_SUPERVISORS))
    assert "شکایت تازه" not in karaj and code not in karaj

    # A member of the group who is not a supervisor is refused.
    async with impatient(world) as quick:
        stranger = quick.person(9103, "رهگذر").in_chat(TEHRAN_SUPERVISORS)
        await stranger.presses(texts.SUPERVISE_ACK, expect_reply=False)
    answers = await world.client.callback_answers(TEHRAN_SUPERVISORS)
    assert answers[-1]["text"] == texts.SUPERVISE_ONLY

    # The receipt is shown to the supervisors on request.
    receipt = await tehran_desk.presses(texts.SUPERVISE_PHOTO)
    assert receipt.last.raw["message"].get("photo")

    # The reply: the supervisor's answer to the prompt reaches the citizen.
    prompt = await tehran_desk.presses(texts.SUPERVISE_REPLY)
    assert prompt.last.text.startswith("✍️ ناظر، پاسخ خود به شهروند")
    citizen_seq = (await world.client.state())["seq"]
    sent = await tehran_desk.says(
        "مبلغ اضافه باید به شما برگردانده شود؛ با دفتر تماس گرفتیم.",
        reply_to=prompt.last.message_id,
    )
    assert sent.text == texts.SUPERVISE_REPLY_SENT.format(code=code)
    told = await world.client.wait(citizen.chat_id, citizen_seq, within=10)
    assert told.last.text.startswith(f"🔔 شکایت {code} ({office.name}): پاسخ ناظر")
    assert "مبلغ اضافه باید به شما برگردانده شود" in told.last.text
    assert told.last.labels == [texts.TRACK_BUTTON]

    timeline = await citizen.says(f"/track {code}")
    assert timeline.text.startswith(f"🔢 پیگیری شکایت {code}")
    assert f"وضعیت: {texts.COMPLAINT_STATUS_NAMES['acknowledged']}" in timeline.text
    assert "• پاسخ ناظر — " in timeline.text and "با دفتر تماس گرفتیم" in timeline.text

    citizen_seq = (await world.client.state())["seq"]
    resolved = await tehran_desk.presses(texts.SUPERVISE_RESOLVE, message_id=card.message_id)
    assert "✔️ رسیدگی شد — ناظر" in resolved.last.text
    told = await world.client.wait(citizen.chat_id, citizen_seq, within=10)
    assert f"🔔 شکایت {code}" in told.last.text and "رسیدگی شد" in told.last.text
    # A second, stale press is answered and changes nothing.
    async with impatient(world) as quick:
        await (
            quick.person(9101, "ناظر")
            .in_chat(TEHRAN_SUPERVISORS)
            .presses(
                texts.SUPERVISE_PHOTO,
                message_id=card.message_id,
                data=SuperviseAction("resolve", await complaint_id_of(world, code)).pack(),
                expect_reply=False,
            )
        )
    answers = await world.client.callback_answers(TEHRAN_SUPERVISORS)
    assert answers[-1]["text"] == texts.SUPERVISE_ALREADY.format(status="رسیدگی شد")
    timeline = await citizen.says(f"/track {code.replace('-', '')}")
    assert f"وضعیت: {texts.COMPLAINT_STATUS_NAMES['resolved']}" in timeline.text
    assert timeline.text.count("• ") == 3  # filed, replied, resolved: nothing twice
    assert await complaint_steps(world, code) == ["filed", "replied", "resolved"]

    # /stats in the county's chat counts it.
    stats = await tehran_desk.says("/stats 7")
    assert stats.text.startswith("📊 آمار ۷ روز گذشته — دفاتر شهرستان تهران (استان تهران)")
    assert f"🏢 {office.name}" in stats.text and "شکایت: ۱ (۰ باز)" in stats.text


async def test_a_supervisor_outside_the_scope_can_neither_see_nor_act(world: World) -> None:
    await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", 9201)
    karaj_desk = await link_supervisors(world, KARAJ_SUPERVISORS, "البرز/کرج", 9202)
    tehran_office = office_in(world, "تهران", "تهران")
    karaj_office = nearest_office(world, *KARAJ)
    assert (karaj_office.province, karaj_office.county) == ("البرز", "کرج")
    sara = world.client.person(9203, "سارا")
    seq = (await world.client.state())["seq"]
    tehran_code, _ = await file_complaint(sara, tehran_office, "مدیر دفتر نبود")
    reza = world.client.person(9204, "رضا")
    karaj_code, _ = await file_complaint(reza, karaj_office, "در ساعت کاری بسته بود", near=KARAJ)
    karaj_news = await world.client.wait(KARAJ_SUPERVISORS, seq, within=10)
    assert karaj_code in karaj_news.text and tehran_code not in karaj_news.text
    await asyncio.sleep(1.0)
    karaj_chat = "\n".join(m.text for m in await world.client.messages(KARAJ_SUPERVISORS))
    assert tehran_code not in karaj_chat

    # Karaj's supervisor forges its buttons to carry the Tehran complaint's id.
    tehran_id = await complaint_id_of(world, tehran_code)
    citizen_news_before = await _citizen_news(world)
    async with impatient(world) as quick:
        forger = quick.person(karaj_desk.id, "ناظر").in_chat(KARAJ_SUPERVISORS)
        for action in ("ack", "resolve", "reject", "reply", "show", "photo"):
            await forger.presses(
                texts.SUPERVISE_ACK,
                data=SuperviseAction(action, tehran_id).pack(),
                expect_reply=False,
            )
            answers = await world.client.callback_answers(KARAJ_SUPERVISORS)
            assert answers[-1]["text"] == texts.SUPERVISE_OUT_OF_SCOPE, action
    async with world.deps.sessions() as session:
        complaint = await session.get(Complaint, tehran_id)
        assert complaint is not None and complaint.status == "open"
    assert await complaint_steps(world, tehran_code) == ["filed"]
    assert await _citizen_news(world) == citizen_news_before
    karaj_chat = "\n".join(m.text for m in await world.client.messages(KARAJ_SUPERVISORS))
    assert tehran_code not in karaj_chat and "مدیر دفتر نبود" not in karaj_chat
    # Nor does the Tehran complaint's code show it to anyone but its citizen.
    peek = await world.client.person(9202, "ناظر").says(f"/track {tehran_code}")
    assert peek.text == texts.TRACK_UNKNOWN.format(code=tehran_code)


async def _citizen_news(world: World) -> int:
    async with world.deps.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.event_type == "complaint.updated")
            )
            or 0
        )


async def test_bad_input_gets_clear_answers(world: World) -> None:
    sup = world.client.person(9301, "ناظر").in_chat(-1002301)
    await world.client.add_group(-1002301, "ناظران")
    assert (await sup.says("/supervise")).text == texts.SUPERVISE_USAGE
    assert (await sup.says("/supervise ABCDE-FGHJK")).text == texts.SUPERVISE_REFUSED
    expired, _ = await new_supervisor_code(
        world.deps.sessions, "province", "تهران", tehran_now(), hours=0
    )
    assert (await sup.says(f"/supervise {expired}")).text == texts.SUPERVISE_REFUSED
    assert (await sup.says("/stats")).text == texts.SUPERVISE_NOT_LINKED
    code, _ = await new_supervisor_code(world.deps.sessions, "province", "تهران", tehran_now())
    await sup.says(f"/supervise {code}")
    again = await world.client.person(9302, "دیگری").in_chat(-1002302).says(f"/supervise {code}")
    assert again.text == texts.SUPERVISE_REFUSED  # used once already
    usage = texts.STATS_USAGE.format(max="۳۶۶")
    assert (await sup.says("/stats ده")).text == usage
    assert (await sup.says("/stats 0")).text == usage
    quiet = await sup.says("/stats ۳")
    assert texts.STATS_EMPTY.format(days="۳") in quiet.text

    citizen = world.client.person(9303, "کاوه")
    await citizen.says("/complaint")
    await citizen.says("پلیس +۱۰ تهران")
    office_button = (await world.client.messages(citizen.chat_id))[-1].labels[0]
    await citizen.presses(office_button)
    await citizen.presses(texts.COMPLAINT_KINDS["behaviour"])
    assert (await citizen.says("...")).text == texts.COMPLAINT_DESCRIPTION_EMPTY
    huge = await citizen.says("ب" * 1500)
    assert huge.text == texts.COMPLAINT_DESCRIPTION_TOO_LONG.format(length="۱٬۵۰۰", limit="۱٬۰۰۰")
    assert (await citizen.says("با من بد رفتار کردند")).text == texts.COMPLAINT_ASK_PHOTO
    dropped = await citizen.presses(texts.COMPLAINT_CANCEL)
    assert dropped.messages[0].text == texts.COMPLAINT_DROPPED
    async with world.deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Complaint)) == 0
    # An office that does not exist by that name is said so.
    await citizen.says("/complaint")
    nowhere = await citizen.says("دفتر ناکجاآباد")
    assert nowhere.text == texts.COMPLAINT_OFFICE_NOT_FOUND.format(text="دفتر ناکجاآباد")
    # An unknown complaint code under /track.
    unknown = new_complaint_code()
    shown = f"{unknown[:4]}-{unknown[4:]}"
    assert (await citizen.says(f"/track {unknown}")).text == texts.TRACK_UNKNOWN.format(code=shown)


async def test_free_text_about_a_problem_opens_the_complaint(world: World) -> None:
    for n, words in enumerate(("ازم پول اضافه گرفتن", "دفتر بسته بود", "مدیر نبود")):
        reply = await world.client.person(9401 + n, "نرگس").says(words)
        assert reply.messages[0].text.startswith(texts.COMPLAINT_START.strip()), words


async def test_a_done_visit_is_asked_about_once_and_rated_once(world: World) -> None:
    citizen = world.client.person(9501, "لیلا")
    await book_to_summary(citizen)
    await citizen.presses(texts.BOOK_CONFIRM)
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    seq = (await world.client.state())["seq"]
    assert booking.starts_at is not None
    for status in ("checked_in", "done"):  # at the visit's time: not before its day
        await change_status(
            world.deps.sessions, booking.id, status, booking.starts_at, actor_kind="staff"
        )
    await world.client.wait(citizen.chat_id, seq, within=10)
    for _ in range(50):  # the ask follows the "done" news
        asks = [m for m in await world.client.messages(citizen.chat_id) if "چطور بود؟" in m.text]
        if asks:
            break
        await asyncio.sleep(0.2)
    async with Bot(world.emulator.token, base_url=world.emulator.base_url) as bot:
        assert await queue_rating_asks(world.deps.sessions, tehran_now()) == 0
        assert await deliver_to_citizens(world.deps, bot) == 0
        assert await deliver_to_citizens(world.deps, bot) == 0
    await asyncio.sleep(0.5)
    asks = [m for m in await world.client.messages(citizen.chat_id) if "چطور بود؟" in m.text]
    assert len(asks) == 1
    ask = asks[0]
    assert "تعویض شناسنامه" in ask.text
    assert ask.labels == ["۱⭐", "۲⭐", "۳⭐", "۴⭐", "۵⭐", texts.RATE_SKIP]

    rated = await citizen.presses("۴⭐", message_id=ask.message_id)
    assert rated.last.edited
    assert rated.last.text.startswith(texts.RATE_STARS_SAVED.format(stars="۴"))
    assert rated.last.labels == [*texts.WAIT_BAND_LABELS, texts.RATE_SKIP]
    # The rating pressed again (yesterday's button, or a quick double press): thanked, once.
    async with impatient(world) as quick:
        await quick.person(citizen.id, "لیلا").presses(
            texts.WAIT_BAND_LABELS[0],
            message_id=ask.message_id,
            data=Rate("stars", booking.id, 1).pack(),
            expect_reply=False,
        )
        answers = await world.client.callback_answers(citizen.chat_id)
        assert answers[-1]["text"] == texts.RATE_ALREADY
        # Another citizen cannot rate this visit.
        other = quick.person(9502, "دیگری")
        await world.client.person(9502, "دیگری").says("/start")
        await other.presses(
            texts.MENU_HELP, data=Rate("stars", booking.id, 1).pack(), expect_reply=False
        )
    assert (await world.client.callback_answers(other.chat_id))[-1]["text"] == texts.STALE_BUTTON

    comment = await citizen.presses(texts.WAIT_BAND_LABELS[1], message_id=ask.message_id)
    assert comment.last.text == texts.RATE_ASK_COMMENT.format(limit="۵۰۰")
    thanks = await citizen.says("کارمندها خوش‌برخورد بودند")
    assert thanks.text == texts.RATE_THANKS
    async with world.deps.sessions() as session:
        ratings = list(await session.scalars(select(Rating)))
        asked = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.event_type == "rating.ask")
        )
    assert asked == 1
    assert [(r.booking_id, r.stars, r.wait_band, r.comment) for r in ratings] == [
        (booking.id, 4, "15_30", "کارمندها خوش‌برخورد بودند")
    ]


async def test_stats_count_the_bookings_and_ratings_of_the_days_shown(world: World) -> None:
    """Reported: an office with 4 bookings and 1 rating showed «نوبت: ۰ … (۰ نظر)», the
    bookings being for days ahead (and so after the moment /stats was asked)."""
    supervisors = await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", 9701)
    for n in range(4):
        citizen = world.client.person(9710 + n, "شهروند")
        await book_to_summary(citizen, national_code=valid_national_code(9710 + n))
        await citizen.presses(texts.BOOK_CONFIRM)
    async with world.deps.sessions() as session:
        bookings = list(await session.scalars(select(Booking).order_by(Booking.id)))
    assert len(bookings) == 4 and len({b.office_id for b in bookings}) == 1
    rated = bookings[0]
    async with world.deps.sessions() as session, session.begin():  # the visit is over
        await session.execute(update(Booking).where(Booking.id == rated.id).values(status="done"))
    owner = Rater(rated.messenger, rated.user_id, rated.chat_id)
    assert await rate(world.deps.sessions, rated.id, owner, 4, tehran_now()) is Outcome.RECORDED

    office = world.deps.directory.index.offices[rated.office_id]
    stats = await supervisors.says("/stats 7")
    line = next(block for block in stats.text.split("\n\n") if f"🏢 {office.name}" in block)
    assert "نوبت: ۴ ·" in line and "امتیاز: ۴٫۰ (۱ نظر)" in line


async def test_forged_rating_buttons_rate_nothing_and_reveal_nothing(world: World) -> None:
    citizen = world.client.person(9551, "سارا")
    await book_to_summary(citizen)
    await citizen.presses(texts.BOOK_CONFIRM)
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    async with impatient(world) as quick:
        # Before the visit: the citizen's own booking, but nothing happened yet to rate.
        await citizen.says("/start")
        await quick.person(citizen.id, "سارا").presses(
            texts.MENU_HELP, data=Rate("stars", booking.id, 1).pack(), expect_reply=False
        )
        answers = await world.client.callback_answers(citizen.chat_id)
        assert answers[-1]["text"] == texts.STALE_BUTTON
        async with world.deps.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Rating)) == 0

        # After the visit, rated low by its owner.
        async with world.deps.sessions() as session, session.begin():
            await session.execute(
                update(Booking).where(Booking.id == booking.id).values(status="done")
            )
        await quick.person(citizen.id, "سارا").presses(
            texts.MENU_HELP, data=Rate("stars", booking.id, 1).pack(), expect_reply=False
        )
        async with world.deps.sessions() as session:
            assert [r.stars for r in await session.scalars(select(Rating))] == [1]

        # Someone else skipping the comment of that booking learns nothing about its rating.
        other = world.client.person(9552, "فضول")
        await other.says("/start")
        before = len(await world.client.messages(other.chat_id))
        await quick.person(other.id, "فضول").presses(
            texts.MENU_HELP, data=Rate("comment", booking.id, 0).pack(), expect_reply=False
        )
        assert (await world.client.callback_answers(other.chat_id))[-1]["text"] == (
            texts.STALE_BUTTON
        )
    await asyncio.sleep(0.5)
    assert (await world.client.messages(other.chat_id))[before:] == []  # no thanks, no offer


async def test_a_low_rating_leads_to_a_complaint_about_that_visit(world: World) -> None:
    citizen = world.client.person(9601, "هادی")
    await book_to_summary(citizen)
    await citizen.presses(texts.BOOK_CONFIRM)
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    assert booking.ends_at is not None
    await change_status(  # once the slot is over
        world.deps.sessions, booking.id, "no_show", booking.ends_at, actor_kind="staff"
    )
    for _ in range(50):
        asks = [m for m in await world.client.messages(citizen.chat_id) if "چطور بود؟" in m.text]
        if asks:
            break
        await asyncio.sleep(0.2)
    await citizen.presses("۱⭐", message_id=asks[0].message_id)
    await citizen.presses(texts.RATE_SKIP, message_id=asks[0].message_id)  # no wait given
    low = await citizen.presses(texts.RATE_SKIP, message_id=asks[0].message_id)  # no comment
    assert low.last.text == texts.RATE_LOW
    kinds = await citizen.presses(texts.RATE_COMPLAIN)
    assert kinds.last.text == texts.COMPLAINT_ASK_KIND.format(office=_office_name(world, booking))
    await citizen.presses(texts.COMPLAINT_KINDS["extra_documents"])
    await citizen.says("گواهی عدم سوءپیشینه خواستند که در فهرست نیست")
    summary = await citizen.presses(texts.COMPLAINT_NO_PHOTO)
    assert f"🧾 عکس رسید: {texts.COMPLAINT_PHOTO_NO}" in summary.last.text
    await citizen.presses(texts.COMPLAINT_CONFIRM)
    again = await citizen.presses(texts.COMPLAINT_CONFIRM, message_id=summary.last.message_id)
    assert again.text.startswith(texts.COMPLAINT_ALREADY_FILED.split("{")[0])
    async with world.deps.sessions() as session:
        complaints = list(await session.scalars(select(Complaint)))
    assert [(c.booking_id, c.kind) for c in complaints] == [(booking.id, "extra_documents")]
    # Later, /complaint offers the citizen's visits first.
    offered = await citizen.says("/complaint")
    assert texts.COMPLAINT_PICK_VISIT in offered.messages[0].text
    visit = offered.last.labels[0]
    assert visit.startswith(f"{_office_name(world, booking)} — تعویض شناسنامه، ")
    kinds = await citizen.presses(visit)
    assert kinds.last.text == texts.COMPLAINT_ASK_KIND.format(office=_office_name(world, booking))


def _office_name(world: World, booking: Booking) -> str:
    return world.deps.directory.index.offices[booking.office_id].name
