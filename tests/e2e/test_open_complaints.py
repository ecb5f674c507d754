"""/open in a supervisor chat, over the emulator: what still waits for action in the chat's
scopes, oldest first, a page at a time; a complaint's card brought back acts as the first
one did; no one else sees the list, and a forged page button shows nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from dialogs import texts
from dialogs.callbacks import OpenMore, SuperviseAction
from dialogs.formatting import fa_date
from nlp.tracking import format_tracking_code, new_complaint_code
from services.clock import tehran_now
from services.complaints import ComplaintDraft, act, file_complaint
from services.identity import TELEGRAM, ChatRef, UserRef
from services.locator import OfficeEntry
from services.storage.models import Complaint, OutboxEvent
from tests.helpers.after_visit import (
    KARAJ_SUPERVISORS,
    TEHRAN_SUPERVISORS,
    complaint_steps,
    impatient,
    link_supervisors,
)
from tests.helpers.world import World

TEHRAN_SCOPE = "دفاتر شهرستان تهران (استان تهران)"
DESK = 9701  # the supervisor who links the Tehran chat
CITIZEN = 9790


@dataclass(frozen=True)
class Filed:
    id: int
    code: str  # as people read it: C123-4567
    office: OfficeEntry
    office_code: str
    at: dt.datetime


def offices_in(world: World, province: str, county: str) -> list[OfficeEntry]:
    return sorted(
        (
            o
            for o in world.deps.directory.index.offices.values()
            if (o.province, o.county) == (province, county)
        ),
        key=lambda o: o.id,
    )


async def filed(world: World, office: OfficeEntry, minutes_ago: int) -> Filed:
    """A complaint about the office, filed that long ago (through the service: the dialog
    that files one is the other tests' story)."""
    at = tehran_now() - dt.timedelta(minutes=minutes_ago)
    view, _ = await file_complaint(
        world.deps.sessions,
        ComplaintDraft(
            office_id=office.id,
            booking_id=None,
            citizen=UserRef(TELEGRAM, CITIZEN),
            chat_id=CITIZEN,
            citizen_name="مریم احمدی",
            kind="overcharged",
            description="برای تعویض شناسنامه پول اضافه گرفتند",
            receipt_file_id=None,
            idempotency_key=uuid.uuid4().hex,
        ),
        at,
        new_complaint_code,
    )
    return Filed(view.id, format_tracking_code(view.code), office, view.office_code, at)


async def test_a_county_chat_sees_its_open_complaints_oldest_first(world: World) -> None:
    await world.client.person(CITIZEN, "مریم").says("/start")  # to be told of the step
    tehran_a, tehran_b = offices_in(world, "تهران", "تهران")[:2]
    (karaj_office, *_) = offices_in(world, "البرز", "کرج")
    # Filed before the chats are linked: no card ever reached them.
    newer = await filed(world, tehran_b, 2 * 60 + 5)
    older = await filed(world, tehran_a, 3 * 24 * 60 + 5)
    done = await filed(world, tehran_a, 4 * 24 * 60)
    karaj = await filed(world, karaj_office, 5 * 24 * 60)
    desk = await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", DESK)
    karaj_desk = await link_supervisors(world, KARAJ_SUPERVISORS, "البرز/کرج", DESK + 1)
    await act(
        world.deps.sessions,
        done.id,
        "resolved",
        tehran_now(),
        chat=ChatRef(TELEGRAM, TEHRAN_SUPERVISORS),
        actor_ref="1",
    )

    listed = await desk.says("/open")
    assert len(listed.messages) == 1
    assert listed.text == (
        f"📋 شکایت‌های باز — {TEHRAN_SCOPE}\n"
        "۲ شکایت منتظر رسیدگی است؛ قدیمی‌ترین اول:\n\n"
        f"۱. {older.code} — {tehran_a.name} ({older.office_code})\n"
        f"   💰 بیش از تعرفهٔ رسمی پول گرفتند · باز · 🕒 ۳ روز پیش ({fa_date(older.at.date())})\n\n"
        f"۲. {newer.code} — {tehran_b.name} ({newer.office_code})\n"
        "   💰 بیش از تعرفهٔ رسمی پول گرفتند · باز · 🕒 ۲ ساعت پیش\n\n"
        "برای دیدن هر شکایت و رسیدگی به آن، دکمهٔ کد آن را بزنید."
    )
    assert listed.last.labels == [older.code, newer.code]  # no «بیشتر»: nothing more
    assert done.code not in listed.text and karaj.code not in listed.text
    again = await desk.says("/complaints")
    assert again.text == listed.text

    other = await karaj_desk.says("/open")
    assert f"۱. {karaj.code} — {karaj_office.name}" in other.text
    assert "۵ روز پیش" in other.text
    assert older.code not in other.text and newer.code not in other.text
    assert other.last.labels == [karaj.code]


async def test_more_than_ten_come_in_pages(world: World) -> None:
    await world.client.person(CITIZEN, "مریم").says("/start")  # to be told of the step
    tehran = offices_in(world, "تهران", "تهران")
    complaints = [await filed(world, tehran[n % 3], 200 - n) for n in range(12)]
    codes = [c.code for c in complaints]
    desk = await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", DESK)

    first = await desk.says("/open")
    assert first.text.startswith(f"📋 شکایت‌های باز — {TEHRAN_SCOPE}\n۱۲ شکایت منتظر")
    assert first.last.labels == [*codes[:10], texts.OPEN_MORE]
    assert all(code in first.text for code in codes[:10])
    assert codes[10] not in first.text and codes[11] not in first.text
    assert "۱۰. " in first.text and "۱۱. " not in first.text
    assert len(first.last.raw["message"]["reply_markup"]["inline_keyboard"]) == 5  # 3+3+3+1+1

    second = await desk.presses(texts.OPEN_MORE)
    assert second.last.message_id != first.last.message_id  # a new message: page 1 stays
    assert second.text.startswith("📋 ادامهٔ شکایت‌های باز (۱۱ تا ۱۲ از ۱۲):")
    assert f"۱۱. {codes[10]} — " in second.text and f"۱۲. {codes[11]} — " in second.text
    assert not any(code in second.text for code in codes[:10])
    assert second.last.labels == codes[10:]

    # One of the first page resolved meanwhile: «بیشتر» still shows what came after it.
    await act(
        world.deps.sessions,
        complaints[3].id,
        "resolved",
        tehran_now(),
        chat=ChatRef(TELEGRAM, TEHRAN_SUPERVISORS),
        actor_ref="1",
    )
    third = await desk.presses(texts.OPEN_MORE, message_id=first.last.message_id)
    assert third.text.startswith("📋 ادامهٔ شکایت‌های باز (۱۰ تا ۱۱ از ۱۱):")
    assert third.last.labels == codes[10:]


async def test_a_card_brought_back_resolves_and_the_citizen_is_told(world: World) -> None:
    citizen = world.client.person(CITIZEN, "مریم", last_name="احمدی")
    await citizen.says("/start")
    complaint = await filed(world, offices_in(world, "تهران", "تهران")[0], 30)
    desk = await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", DESK)
    listed = await desk.says("/open")
    assert "۳۰ دقیقه پیش" in listed.text

    card = (await desk.presses(complaint.code)).last
    assert card.text.startswith(
        f"🗂 شکایت {complaint.code} — وضعیت: باز\n🏢 {complaint.office.name}"
    )
    assert "👤 م*** ا***" in card.text and "مریم" not in card.text
    assert "📝 برای تعویض شناسنامه پول اضافه گرفتند" in card.text
    assert card.labels == [
        texts.SUPERVISE_ACK,
        texts.SUPERVISE_REPLY,
        texts.SUPERVISE_RESOLVE,
        texts.SUPERVISE_REJECT,
    ]

    seq = (await world.client.state())["seq"]
    resolved = await desk.presses(texts.SUPERVISE_RESOLVE, message_id=card.message_id)
    assert resolved.last.message_id == card.message_id and resolved.last.edited
    assert "\n✔️ رسیدگی شد — ناظر، " in resolved.last.text
    assert resolved.last.labels == []  # nothing more to do with it
    told = await world.client.wait(citizen.chat_id, seq, within=10)
    assert told.last.text.startswith(f"🔔 شکایت {complaint.code} (")
    assert "رسیدگی شد" in told.last.text
    assert await complaint_steps(world, complaint.code) == ["filed", "resolved"]

    nothing = await desk.says("/open")
    assert nothing.text == (
        f"🌿 هیچ شکایت بازی در {TEHRAN_SCOPE} نیست؛ کاری منتظر شما نمانده است. خسته نباشید!"
    )
    assert nothing.last.labels == []


async def test_only_the_chats_supervisors_see_the_list(world: World) -> None:
    complaint = await filed(world, offices_in(world, "تهران", "تهران")[0], 10)
    desk = await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", DESK)
    listed = await desk.says("/open")
    assert complaint.code in listed.text

    stranger = world.client.person(9702, "رهگذر").in_chat(TEHRAN_SUPERVISORS)
    refused = await stranger.says("/open")
    assert refused.text == texts.OPEN_ONLY
    assert complaint.code not in refused.text and refused.last.labels == []
    async with impatient(world) as quick:
        passer = quick.person(9702, "رهگذر").in_chat(TEHRAN_SUPERVISORS)
        for data in (SuperviseAction("show", complaint.id), OpenMore(complaint.id)):
            before = len(await world.client.messages(TEHRAN_SUPERVISORS))
            await passer.presses(complaint.code, data=data.pack(), expect_reply=False)
            answers = await world.client.callback_answers(TEHRAN_SUPERVISORS)
            assert answers[-1]["text"] == texts.SUPERVISE_ONLY, data
            assert len(await world.client.messages(TEHRAN_SUPERVISORS)) == before

    # An admin of the group may, as with the buttons under a complaint.
    world.emulator.add_member(TEHRAN_SUPERVISORS, 9702, "administrator")
    assert complaint.code in (await stranger.says("/complaints")).text

    await world.client.add_group(-1002799, "گروهی دیگر")
    elsewhere = world.client.person(DESK, "ناظر").in_chat(-1002799)
    assert (await elsewhere.says("/open")).text == texts.OPEN_NOT_LINKED
    citizen = world.client.person(9703, "کاوه")
    assert (await citizen.says("/open")).text == texts.OPEN_NOT_LINKED
    assert (await citizen.says("/complaints")).text == texts.OPEN_NOT_LINKED
    for chat_id in (-1002799, citizen.chat_id):
        seen = "\n".join(m.text for m in await world.client.messages(chat_id))
        assert complaint.code not in seen and "شکایت‌های باز —" not in seen


async def test_forged_page_and_card_buttons_show_and_change_nothing(world: World) -> None:
    tehran = await filed(world, offices_in(world, "تهران", "تهران")[0], 20)
    karaj = await filed(world, offices_in(world, "البرز", "کرج")[0], 40)
    desk = await link_supervisors(world, TEHRAN_SUPERVISORS, "تهران/تهران", DESK)
    await desk.says("/open")
    before = await world.client.messages(TEHRAN_SUPERVISORS)
    news_before = await _citizen_news(world)
    async with impatient(world) as quick:
        forger = quick.person(DESK, "ناظر").in_chat(TEHRAN_SUPERVISORS)
        for data, answer in (
            (OpenMore(karaj.id).pack(), texts.STALE_BUTTON),  # another county's complaint
            (OpenMore(10**12).pack(), texts.STALE_BUTTON),  # no such complaint
            ("so:-3", texts.STALE_BUTTON),
            ("so:abc", texts.STALE_BUTTON),
            ("so:1:2", texts.STALE_BUTTON),
            (SuperviseAction("show", karaj.id).pack(), texts.SUPERVISE_OUT_OF_SCOPE),
            (SuperviseAction("resolve", karaj.id).pack(), texts.SUPERVISE_OUT_OF_SCOPE),
        ):
            await forger.presses(tehran.code, data=data, expect_reply=False)
            answers = await world.client.callback_answers(TEHRAN_SUPERVISORS)
            assert answers[-1]["text"] == answer, data
    after = await world.client.messages(TEHRAN_SUPERVISORS)
    assert [(m.message_id, m.text, m.labels) for m in after] == [
        (m.message_id, m.text, m.labels) for m in before
    ]
    assert karaj.code not in "\n".join(m.text for m in after)
    async with world.deps.sessions() as session:
        statuses = list(await session.scalars(select(Complaint.status).order_by(Complaint.id)))
    assert statuses == ["open", "open"]
    assert await _citizen_news(world) == news_before


async def _citizen_news(world: World) -> int:
    async with world.deps.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.channel == "citizen")
            )
            or 0
        )
