"""Limits a citizen can run into: flooding the bot, and blocking it."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from dialogs import texts
from services.booking import change_status
from services.clock import tehran_now
from services.storage.models import Booking, InboundUpdate, OutboxEvent
from tests.helpers.booking import book_to_summary
from tests.helpers.world import World


async def test_a_flood_of_messages_is_slowed_down_with_one_polite_notice(world: World) -> None:
    limit = world.settings.flood_updates
    spammer = world.client.person(9401, "عجول")
    await spammer.says("سلام")
    for index in range(limit + 9):  # as fast as a script can
        world.emulator.inject_message(spammer.chat_id, spammer.id, text=f"سلام {index}")
    await asyncio.sleep(3)  # let every update be handled
    messages = await world.client.messages(spammer.chat_id)
    notices = [m for m in messages if m.text == texts.SLOW_DOWN]
    assert len(notices) == 1
    async with world.deps.sessions() as session:
        rows = (
            await session.scalars(select(InboundUpdate).where(InboundUpdate.user_id == 9401))
        ).all()
    assert len(rows) == limit + 10
    assert sum(r.throttled is None for r in rows) == limit  # the first ones were handled
    assert [r.throttled for r in rows].count("noticed") == 1

    # Someone else is not held up by it.
    other = world.client.person(9402, "صبور")
    reply = await other.says("/start")
    assert reply.text.startswith("سلام صبور!")


async def test_a_dropped_message_with_a_national_code_or_mobile_is_deleted_and_explained(
    world: World,
) -> None:
    limit = world.settings.flood_updates
    hasty = world.client.person(9404, "شتاب")
    await hasty.says("سلام")
    for index in range(limit - 1):
        world.emulator.inject_message(hasty.chat_id, hasty.id, text=f"سلام {index}")
    # Past the limit: neither is read, and neither may stay in the chat.
    world.emulator.inject_message(hasty.chat_id, hasty.id, text="کد ملی من ۰۴۹۹۳۷۰۸۹۹ است")
    world.emulator.inject_message(hasty.chat_id, hasty.id, text="شمارم 0912 123 4567")
    world.emulator.inject_message(hasty.chat_id, hasty.id, text="سلام دوباره")
    await asyncio.sleep(3)
    history = world.emulator.messages(hasty.chat_id, include_user=True)
    typed = {str(r.data.get("text")): r.deleted for r in history if not r.from_bot}
    assert typed["کد ملی من ۰۴۹۹۳۷۰۸۹۹ است"] and typed["شمارم 0912 123 4567"]
    assert not typed["سلام دوباره"]  # nothing personal: left as it is
    said = [str(r.data.get("text")) for r in history if r.from_bot]
    assert said.count(texts.SLOW_DOWN) == 0  # the first dropped one asks, with why it went
    assert sum(texts.DROPPED_PERSONAL in t for t in said) == 2
    assert sum(t.startswith(texts.SLOW_DOWN) for t in said) == 1


async def test_a_citizen_who_blocked_the_bot_costs_one_attempt_and_no_errors(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    citizen = world.client.person(9403, "رفته")
    await book_to_summary(citizen)
    await citizen.presses(texts.BOOK_CONFIRM)
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    world.emulator.block_user(9403)
    caplog.set_level(logging.WARNING)
    await change_status(
        world.deps.sessions,
        booking.id,
        "confirmed",
        tehran_now(),
        actor_kind="office_system",
        actor_ref="سامانه",
    )
    await asyncio.sleep(1.5)  # several delivery passes (every 0.2 s here)
    async with world.deps.sessions() as session:
        news = (
            await session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.channel == "citizen",
                    OutboxEvent.event_type == "request.status_changed",
                )
            )
        ).all()
    assert news and all(e.status == "delivered" and e.attempts <= 1 for e in news)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
