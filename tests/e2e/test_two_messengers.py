"""Telegram and Bale served by one process on one database: the same number on each is two
people, and an office's staff may sit on either messenger (DESIGN: identity is
(messenger, id))."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from dialogs import texts
from services.settings import Settings
from services.storage.models import Booking
from tests.helpers.booking import NATIONAL_CODE, book_to_summary, book_to_times
from tests.helpers.booking_data import valid_national_code
from tests.helpers.messengers import Both, both_messengers
from tests.helpers.staff import link_first_office

_CODE = re.compile(r"کد رهگیری: ([A-Z0-9-]+)")
SAME_ID = 7201


@pytest.fixture
async def both(settings: Settings) -> AsyncIterator[Both]:
    async with both_messengers(settings) as worlds:
        yield worlds


async def test_the_same_number_on_telegram_and_bale_is_two_citizens_each_with_a_booking(
    both: Both,
) -> None:
    mina = both.telegram.client.person(SAME_ID, "مینا")
    kian = both.bale.client.person(SAME_ID, "کیان")

    # Kian (Bale) stops half-way, at the national code, on another time than Mina's.
    times = await book_to_times(kian)
    asked = await kian.presses(times.last.buttons[0][1].label)
    assert asked.text == texts.BOOK_ASK_NATIONAL_CODE

    # Meanwhile Mina (Telegram, the same number) books from start to end.
    summary = await book_to_summary(mina)
    done = await mina.presses(texts.BOOK_CONFIRM, message_id=summary.last.message_id)
    mina_code = _CODE.search(done.messages[0].text)
    assert mina_code is not None

    # Kian's conversation is where he left it: his next answer is the national code's.
    mobile = await kian.says(valid_national_code(77))
    assert mobile.text.endswith(texts.BOOK_ASK_MOBILE)
    kian_summary = await kian.shares_contact("+989351234567")
    kian_done = await kian.presses(texts.BOOK_CONFIRM, message_id=kian_summary.last.message_id)
    kian_code = _CODE.search(kian_done.messages[0].text)
    assert kian_code is not None and kian_code.group(1) != mina_code.group(1)

    async with both.telegram.deps.sessions() as session:
        owners = sorted(
            (b.messenger, b.user_id, b.chat_id) for b in await session.scalars(select(Booking))
        )
    assert owners == [("bale", SAME_ID, SAME_ID), ("telegram", SAME_ID, SAME_ID)]
    # Each sees their own booking alone.
    mine = await mina.says("/mybookings")
    theirs = await kian.says("/mybookings")
    assert mina_code.group(1) in mine.text and kian_code.group(1) not in mine.text
    assert kian_code.group(1) in theirs.text and mina_code.group(1) not in theirs.text


async def test_a_staff_group_on_bale_acts_on_a_telegram_citizens_booking(both: Both) -> None:
    group = -4001  # Bale has no supergroups: a plain group
    office, code = await link_first_office(both.bale, group)
    clerk = both.bale.client.person(8001, "کارمند").in_chat(group)
    linked = await clerk.says(f"/link {code}")
    assert linked.text == texts.STAFF_LINKED.format(office=office.name)

    citizen = both.telegram.client.person(8002, "شهروند")
    await book_to_summary(citizen)
    seq = (await both.bale.client.state())["seq"]
    await citizen.presses(texts.BOOK_CONFIRM)
    card = await both.bale.client.wait(group, seq, within=10)
    assert card.last.text.startswith("🆕 نوبت تازه — تعویض شناسنامه")
    assert "۰۴۹*****۹۹" in card.last.text and NATIONAL_CODE not in card.last.text
    assert not both.telegram.emulator.messages(group)  # nothing went to Telegram's chat -4001

    told_since = (await both.telegram.client.state())["seq"]
    confirmed = await clerk.presses(texts.STAFF_CONFIRM)
    assert confirmed.last.edited and texts.STAFF_CONFIRM not in confirmed.last.labels
    told = await both.telegram.client.wait(citizen.chat_id, told_since, within=10)
    assert texts.STATUS_NAMES["confirmed"] in told.last.text
