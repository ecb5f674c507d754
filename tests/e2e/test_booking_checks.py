"""Limits and privacy in the booking flow: each limit is checked as soon as its data exists,
and a national code someone else booked with shows nothing of that booking."""

from __future__ import annotations

import re

from dialogs import texts
from dialogs.booking import moment_of
from dialogs.callbacks import BookTime, CallbackData
from emulator import Person, Reply
from services.booking import BookingRefused, book
from services.clock import tehran_now
from tests.helpers.booking import (
    NATIONAL_CODE,
    book_to_national_code,
    book_to_summary,
    book_to_times,
    bookings_in_db,
)
from tests.helpers.booking_data import request as booking_request
from tests.helpers.booking_data import valid_national_code
from tests.helpers.world import World

SERVICE = "تعویض شناسنامه"
_CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
SUMMARY = "لطفاً بررسی و تأیید کنید"


async def book_fully(citizen: Person, national_code: str = NATIONAL_CODE) -> str:
    """A whole booking; its tracking code as the citizen sees it."""
    await book_to_summary(citizen, national_code=national_code)
    done = await citizen.presses(texts.BOOK_CONFIRM)
    match = _CODE.search(done.messages[0].text)
    assert match is not None, done.text
    return match.group(0)


async def everything_shown(world: World, citizen: Person) -> str:
    return "\n".join(m.text for m in await world.client.messages(citizen.chat_id))


def first_time(times: Reply) -> BookTime:
    payload = CallbackData.parse(times.last.buttons[0][0].callback_data)
    assert isinstance(payload, BookTime)
    return payload


async def book_directly(world: World, user_id: int, national_code: str, pick: BookTime) -> None:
    deps = world.deps
    now = tehran_now()
    closures = (await deps.directory.fresh(now)).closures
    wanted = booking_request(
        pick.office_id, user_id, national_code, moment_of(pick.moment), service=pick.service
    )
    await book(deps.sessions, deps.vault, deps.rules, wanted, now, deps.new_code, closures)


async def fill(world: World, pick: BookTime, first_user: int = 70_000) -> None:
    """Other citizens take every desk at the chosen time."""
    for n in range(50):
        try:
            await book_directly(world, first_user + n, valid_national_code(900 + n), pick)
        except BookingRefused:
            return
    raise AssertionError("the time never filled up")


# --- item 1: a repeated national code ---------------------------------------------------------


async def test_a_national_code_booked_by_someone_else_shows_nothing_of_that_booking(
    world: World,
) -> None:
    holder = world.client.person(7101, "مهسا")
    code = await book_fully(holder)

    other = world.client.person(7102, "ناشناس")
    await book_to_national_code(other)
    refused = await other.says(NATIONAL_CODE)
    assert refused.text.startswith(texts.BOOK_DUPLICATE_OTHER.format(service=SERVICE))
    assert texts.BOOK_ASK_MOBILE not in refused.text  # refused before the mobile is asked
    shown = await everything_shown(world, other)
    assert code not in shown and code.replace("-", "") not in shown
    assert "کد رهگیری" not in shown
    assert (await other.says("/mybookings")).text == texts.MY_NONE

    # The same person may go on for someone else.
    await book_to_national_code(other)
    await other.says(NATIONAL_CODE)
    going_on = await other.says(valid_national_code(31))
    assert texts.BOOK_ASK_MOBILE in going_on.text
    assert await bookings_in_db(world) == 1


async def test_a_race_to_confirm_with_one_national_code_tells_the_loser_nothing_of_it(
    world: World,
) -> None:
    first = world.client.person(7103, "اولی")
    second = world.client.person(7104, "دومی")
    await book_to_summary(first)
    await book_to_summary(second)  # both before either confirmed
    done = await first.presses(texts.BOOK_CONFIRM)
    match = _CODE.search(done.messages[0].text)
    assert match is not None
    refused = await second.presses(texts.BOOK_CONFIRM)
    assert refused.text.startswith(texts.BOOK_DUPLICATE_OTHER.format(service=SERVICE))
    again = await second.presses(texts.BOOK_CONFIRM)  # the idempotent replay of confirm
    assert again.text
    shown = await everything_shown(world, second)
    assert match.group(0) not in shown and "کد رهگیری" not in shown
    assert await bookings_in_db(world) == 1


async def test_the_holder_retyping_their_own_national_code_is_shown_their_booking(
    world: World,
) -> None:
    holder = world.client.person(7105, "صاحب")
    code = await book_fully(holder)
    await book_to_national_code(holder)
    reply = await holder.says(NATIONAL_CODE)
    assert reply.text.startswith(texts.BOOK_DUPLICATE_OWN.format(service=SERVICE, code=code))
    assert texts.BOOK_ASK_MOBILE not in reply.text
    assert await bookings_in_db(world) == 1


# --- item 16: each limit as early as its data exists ------------------------------------------


async def test_the_cap_on_active_bookings_is_checked_when_booking_starts(world: World) -> None:
    family = world.client.person(7106, "پدر")
    times = await book_to_times(family)
    later = [CallbackData.parse(b.callback_data) for b in times.last.buttons[0][1:]]
    for n, pick in enumerate(later[: world.deps.rules.max_active_per_user - 1]):
        assert isinstance(pick, BookTime)  # the family's other bookings, made elsewhere
        await book_directly(world, family.id, valid_national_code(40 + n), pick)
    await family.presses(times.last.buttons[0][0].label)  # the last one allowed
    await family.says(valid_national_code(49))
    await family.shares_contact("+989121234567")
    await family.presses(texts.BOOK_CONFIRM)
    limit = texts.BOOK_USER_LIMIT.format(limit="۳")

    started = await family.says("نوبت تعویض شناسنامه میخوام")
    assert started.text == limit  # not «where are you?» first
    old_time = await family.presses(
        times.last.buttons[0][-1].label, message_id=times.last.message_id
    )
    assert old_time.text == limit  # an old list of times does not get round it
    assert texts.BOOK_ASK_NATIONAL_CODE not in old_time.text
    assert await bookings_in_db(world) == 3


async def test_a_past_or_off_grid_time_is_refused_when_it_is_chosen(world: World) -> None:
    citizen = world.client.person(7107, "جاعل")
    times = await book_to_times(citizen)
    pick = first_time(times)
    label = times.last.buttons[0][0].label
    for moment in ("202001011000", pick.moment[:-2] + "03"):
        forged = BookTime(pick.office_id, pick.service, moment, 0).pack()
        reply = await citizen.presses(label, data=forged)
        assert texts.BOOK_NOT_BOOKABLE in reply.text
        assert texts.BOOK_ASK_NATIONAL_CODE not in reply.text
        assert reply.last.text.startswith(f"📅 نوبت «{SERVICE}»")  # the days again


async def test_a_time_taken_meanwhile_is_refused_when_it_is_chosen(world: World) -> None:
    citizen = world.client.person(7108, "دیررس")
    times = await book_to_times(citizen)
    await fill(world, first_time(times))
    reply = await citizen.presses(times.last.buttons[0][0].label)
    assert reply.last.text == texts.BOOK_SLOT_TAKEN
    assert times.last.buttons[0][0].label not in reply.last.labels


async def test_after_a_time_filled_at_confirm_a_new_time_goes_straight_to_the_summary(
    world: World,
) -> None:
    citizen = world.client.person(7109, "صبور")
    times = await book_to_times(citizen)
    await citizen.presses(times.last.buttons[0][0].label)
    await citizen.says(NATIONAL_CODE)
    await citizen.shares_contact("+989121234567")
    await fill(world, first_time(times))
    refused = await citizen.presses(texts.BOOK_CONFIRM)
    assert refused.last.text == texts.BOOK_SLOT_TAKEN
    new_time = refused.last.buttons[0][0].label
    summary = await citizen.presses(new_time)
    assert texts.BOOK_ASK_NATIONAL_CODE not in summary.text
    assert summary.last.text.startswith(SUMMARY)
    assert "۰۴۹*****۹۹" in summary.last.text and f"ساعت {new_time}" in summary.last.text
    done = await citizen.presses(texts.BOOK_CONFIRM)
    assert done.messages[0].text.startswith("✅ نوبت شما ثبت شد.")
    assert f"ساعت {new_time}" in done.messages[0].text


async def test_back_at_the_national_code_returns_to_the_chosen_days_times(world: World) -> None:
    citizen = world.client.person(7110, "پشیمان")
    times = await book_to_times(citizen)
    await citizen.presses(times.last.buttons[0][0].label)
    back = await citizen.says(texts.BOOK_BACK)
    assert back.last.text == times.last.text
    assert back.last.labels == times.last.labels
