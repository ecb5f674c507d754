"""Booking over the emulator: a citizen's steps from free text to the summary."""

from __future__ import annotations

from sqlalchemy import func, select

from dialogs import texts
from emulator import Person, Reply
from services.storage.models import Booking
from tests.helpers.world import World

TEHRAN = (35.7000, 51.4100)
NATIONAL_CODE = "0499370899"


async def book_to_times(citizen: Person) -> Reply:
    """From free text to the first day's free times at the nearest office."""
    reply = await citizen.says("نوبت تعویض شناسنامه میخوام")
    assert reply.text == texts.BOOK_WHERE.format(service="تعویض شناسنامه")
    results = await citizen.shares_location(*TEHRAN)
    assert "📅 نخستین نوبت آزاد:" in results.last.text
    days = await citizen.presses(texts.OFFICE_BOOK.format(number="۱"))
    assert days.last.text.startswith("📅 نوبت «تعویض شناسنامه»")
    times = await citizen.presses(days.last.buttons[0][0].label)
    assert times.last.text.startswith("📅 ")
    return times


async def book_to_national_code(citizen: Person) -> Reply:
    """From free text to the question for the national code (the first free time chosen)."""
    times = await book_to_times(citizen)
    asked = await citizen.presses(times.last.buttons[0][0].label)
    assert asked.text == texts.BOOK_ASK_NATIONAL_CODE
    return asked


async def book_to_summary(citizen: Person, *, national_code: str = NATIONAL_CODE) -> Reply:
    """From free text to the summary with its confirm button."""
    await book_to_national_code(citizen)
    await citizen.says(national_code)
    return await citizen.shares_contact("+989121234567")


async def bookings_in_db(world: World) -> int:
    async with world.deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)
