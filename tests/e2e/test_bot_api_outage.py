"""The Bot API fails for a while (Telegram answers 500): nothing a citizen did is lost.

A button answered 500 still does its work; a reply the Bot API refused is sent when it
recovers, once; an update that keeps failing is tried a bounded number of times, and then
the citizen is told once.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.runtime import open_services, polling_bot
from dialogs import texts
from emulator import BotApiEmulator, EmulatorClient, Person
from services.settings import Settings, load_settings
from services.storage.models import Booking, InboundUpdate, Office
from tests.helpers.booking import TEHRAN, book_to_summary
from tests.helpers.booking_data import valid_national_code
from tests.helpers.world import World

# Waits of 1, 2, 4 and 8 s: longer in all than the 10 s outages below, and short enough
# for a poisoned update to be given up within the test.
RETRIES = 4
FIRST_WAIT = 1.0
DONE = "✅ نوبت شما ثبت شد."


@pytest.fixture
def settings(seeded_database: Path, tmp_path: Path) -> Settings:
    database = tmp_path / "pishkhan.db"
    shutil.copy(seeded_database, database)
    return load_settings(
        database_url=f"sqlite:///{database}",
        update_retries=RETRIES,
        update_retry_seconds=FIRST_WAIT,
    )


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    async with (
        open_services(settings, with_sample=False) as deps,
        BotApiEmulator() as emulator,
        polling_bot(
            deps,
            token=emulator.token,
            base_url=emulator.base_url,
            rate_limit=False,
            delivery_interval=0.2,
        ),
        EmulatorClient(emulator.root_url) as client,
    ):
        yield World(emulator, client, deps, settings)


def _texts(world: World, chat_id: int) -> list[str]:
    return [
        str(record.data.get("text", ""))
        for record in world.emulator.messages(chat_id)
        if record.from_bot and not record.deleted
    ]


async def _settle(world: World, within: float = 40.0) -> None:
    """Waits until every stored update is handled or given up (its retries have run), and
    a moment more for anything sent after."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with world.deps.sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(InboundUpdate)
                .where(InboundUpdate.handled_at.is_(None))
            )
        if not waiting:
            await asyncio.sleep(1.0)
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{waiting} updates still waiting after {within} s")


async def test_confirm_presses_while_button_answers_fail_book_what_capacity_allows(
    world: World,
) -> None:
    citizens = [world.client.person(7100 + n, f"شهروند {n}") for n in range(8)]
    for n, citizen in enumerate(citizens):
        await book_to_summary(citizen, national_code=valid_national_code(n))
    world.emulator.fail("answerCallbackQuery", 500, seconds=10)
    started = time.monotonic()
    await asyncio.gather(*(c.presses(texts.BOOK_CONFIRM, expect_reply=False) for c in citizens))
    await asyncio.sleep(max(0.0, 10.5 - (time.monotonic() - started)))
    await _settle(world)

    async with world.deps.sessions() as session:
        booked = int(await session.scalar(select(func.count()).select_from(Booking)) or 0)
        office = await session.scalar(select(Office).join(Booking, Booking.office_id == Office.id))
    assert office is not None
    assert booked == min(len(citizens), office.desks)
    told = [[t for t in _texts(world, c.chat_id) if t.startswith(DONE)] for c in citizens]
    assert sum(len(t) for t in told) == booked  # each booked citizen told exactly once
    assert all(len(t) <= 1 for t in told)
    for citizen, done in zip(citizens, told, strict=True):
        if not done:  # the others were told the time was taken, once
            full = [t for t in _texts(world, citizen.chat_id) if texts.BOOK_SLOT_TAKEN in t]
            assert len(full) == 1


async def _each_told_once(world: World, citizens: list[Person], text: str) -> None:
    for citizen in citizens:
        assert _texts(world, citizen.chat_id).count(text) == 1


async def test_replies_refused_for_ten_seconds_all_arrive_afterwards_none_twice(
    world: World,
) -> None:
    citizens = [world.client.person(7200 + n, f"شهروند {n}") for n in range(4)]
    booker = world.client.person(7210, "مریم")
    await book_to_summary(booker, national_code=valid_national_code(20))
    world.emulator.fail("sendMessage", 500, seconds=10)
    started = time.monotonic()
    await asyncio.gather(
        *(c.says("/help", expect_reply=False) for c in citizens),
        booker.presses(texts.BOOK_CONFIRM, expect_reply=False),
    )
    await asyncio.sleep(max(0.0, 10.5 - (time.monotonic() - started)))
    await _settle(world)

    refused = {
        call.chat_id
        for call in world.emulator.calls
        if call.method.lower() == "sendmessage" and call.error_code == 500
    }
    assert refused >= {c.chat_id for c in [*citizens, booker]}  # each reply failed at first
    await _each_told_once(world, citizens, texts.HELP)
    done = [t for t in _texts(world, booker.chat_id) if t.startswith(DONE)]
    assert len(done) == 1
    async with world.deps.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1
    assert all(texts.GAVE_UP not in _texts(world, c.chat_id) for c in [*citizens, booker])


async def test_an_update_that_keeps_failing_is_tried_a_bounded_number_of_times_then_told(
    world: World,
) -> None:
    sara = world.client.person(7300, "سارا")
    await sara.says("نوبت تعویض شناسنامه میخوام")
    results = await sara.shares_location(*TEHRAN)
    assert texts.FIND_OPEN_NOW_OFF in results.last.labels
    # Every edit in Sara's chat fails from now on: a filter of the results, which redraws
    # them in place, can never be answered.
    world.emulator.fail("editMessageText", 500, seconds=120, chat_id=sara.chat_id)
    await sara.presses(texts.FIND_OPEN_NOW_OFF, expect_reply=False)
    await _settle(world)

    edits = [
        call
        for call in world.emulator.calls
        if call.method.lower() == "editmessagetext" and call.chat_id == sara.chat_id
    ]
    assert len(edits) == RETRIES + 1  # the first try and its retries, no more
    assert _texts(world, sara.chat_id).count(texts.GAVE_UP) == 1
    await asyncio.sleep(2)
    assert len([c for c in world.emulator.calls if c.method.lower() == "editmessagetext"]) == len(
        edits
    )
