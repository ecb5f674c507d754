"""Webhook mode: Telegram (the emulator) POSTs updates to the bot's own HTTP server.

An update is answered 200 only once handled; a wrong secret is refused before anything is
stored; the same update delivered again has no second effect.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import func, select

from bot.app import BotApplication, ChatOrderedUpdates
from bot.http_api import build_http_app
from bot.runtime import WebhookTarget, open_services, webhook_bot
from bot.webhook import SECRET_HEADER, add_webhook_route
from dialogs import texts
from emulator import BotApiEmulator, EmulatorClient
from services import inbound
from services.identity import TELEGRAM
from services.settings import Settings
from services.storage.models import Booking, DialogState, InboundUpdate, OutboxEvent, utcnow
from tests.helpers.booking import book_to_summary
from tests.helpers.network import free_port
from tests.helpers.staff import GROUP, link_first_office
from tests.helpers.webhook import start_update
from tests.helpers.world import World

SECRET = "the-webhook-secret_42"


@dataclass
class Hooked(World):
    application: BotApplication
    url: str


@pytest.fixture
async def hooked(settings: Settings) -> AsyncIterator[Hooked]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    async with (
        open_services(settings, with_sample=False) as deps,
        BotApiEmulator() as emulator,
        webhook_bot(
            deps,
            token=emulator.token,
            base_url=emulator.base_url,
            target=WebhookTarget(url, SECRET),
            rate_limit=False,
            delivery_interval=0.2,
        ) as application,
        EmulatorClient(emulator.root_url) as client,
    ):
        http = build_http_app(deps.sessions)
        add_webhook_route(http, application, "/telegram/updates", SECRET)
        runner = web.AppRunner(http, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield Hooked(emulator, client, deps, settings, application, url)
        finally:
            await runner.cleanup()


async def _count(world: World, table: type[object]) -> int:
    async with world.deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_whole_booking_over_the_webhook_each_update_answered_after_handling(
    hooked: Hooked,
) -> None:
    citizen = hooked.client.person(9101, "نرگس")
    await book_to_summary(citizen)
    done = await citizen.presses(texts.BOOK_CONFIRM)
    assert done.messages[0].text.startswith("✅ نوبت شما ثبت شد.")
    assert await _count(hooked, Booking) == 1

    deliveries = hooked.emulator.webhook_deliveries
    assert deliveries and all(d["status"] == 200 for d in deliveries)
    assert all(d["url"] == hooked.url for d in deliveries)
    async with hooked.deps.sessions() as session:
        rows = (await session.scalars(select(InboundUpdate))).all()
    # Every update stored, handled, and its (encrypted) body dropped.
    assert {r.update_id for r in rows} == {d["update_id"] for d in deliveries}
    assert all(r.handled_at is not None and r.body is None for r in rows)


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    hooked: Hooked,
) -> None:
    update = start_update(777001, 9102, "X")
    calls_before = len(await hooked.client.calls())
    async with ClientSession() as http:
        for headers in ({SECRET_HEADER: "guess"}, {}, {SECRET_HEADER: SECRET + "x"}):
            async with http.post(hooked.url, json=update, headers=headers) as response:
                assert response.status == 403
        # The right secret with a body that is not an update: refused, nothing stored.
        async with http.post(
            hooked.url, data=b"{not json", headers={SECRET_HEADER: SECRET}
        ) as response:
            assert response.status == 400
    assert await _count(hooked, InboundUpdate) == 0
    assert await _count(hooked, DialogState) == 0
    await asyncio.sleep(0.3)
    assert len(await hooked.client.calls()) == calls_before  # the bot said nothing


async def test_the_same_update_delivered_five_times_books_once_and_tells_staff_once(
    hooked: Hooked,
) -> None:
    office, code = await link_first_office(hooked)
    clerk = hooked.client.person(9201, "کارمند").in_chat(GROUP)
    await clerk.says(f"/link {code}")
    citizen = hooked.client.person(9202, "رضا")
    await book_to_summary(citizen)

    # Telegram (here: the test) now delivers the confirm press five times at once.
    await hooked.application.bot.delete_webhook()
    await citizen.presses(texts.BOOK_CONFIRM, expect_reply=False)
    (update,) = hooked.emulator.pending_updates
    seq = (await hooked.client.state())["seq"]
    async with ClientSession() as http:

        async def deliver() -> int:
            body = json.dumps(update).encode()
            headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
            async with http.post(hooked.url, data=body, headers=headers) as response:
                return response.status

        statuses = await asyncio.gather(*(deliver() for _ in range(5)))
    assert statuses == [200] * 5

    reply = await hooked.client.wait(citizen.chat_id, seq, within=10)
    confirmations = [m for m in reply.messages if m.text.startswith("✅ نوبت شما ثبت شد.")]
    assert len(confirmations) == 1
    assert not [m for m in reply.messages if m.text == texts.BOOK_ALREADY_DONE]
    assert await _count(hooked, Booking) == 1
    async with hooked.deps.sessions() as session:
        created = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.event_type == "booking.created")
            )
        ).all()
    # One event for each channel the booking goes out on, not five.
    channels = [event.channel for event in created]
    assert channels and len(channels) == len(set(channels))

    staff_news = await hooked.client.wait(GROUP, seq, within=10)
    await asyncio.sleep(1.0)  # a second delivery pass would have sent a duplicate by now
    news = [
        m
        for m in await hooked.client.messages(GROUP)
        if m.text.startswith("🆕 نوبت تازه") and m.message_id >= staff_news.messages[0].message_id
    ]
    assert len(news) == 1
    assert office.name  # the group is this office's


async def stored_unfinished(
    hooked: Hooked,
    update: dict[str, Any],
    received: dt.datetime,
    lease: dt.timedelta = dt.timedelta(seconds=30),
) -> inbound.Arrival:
    """The update as a worker stores it (its body as Telegram sent it, encrypted) before
    it dies, unhandled."""
    chat = update["message"]["chat"]["id"]
    body = hooked.deps.vault.encrypt(json.dumps(update))
    async with hooked.deps.engine.begin() as connection:
        return await inbound.arrive(
            connection,
            inbound.Incoming(TELEGRAM, update["update_id"], chat, chat, body),
            received,
            lease,
        )


async def test_an_update_stored_by_a_worker_that_died_is_handled_by_another(
    hooked: Hooked,
) -> None:
    """The worker acknowledged nothing, but had stored the update when it died: the next
    recovery pass, once the lease is over, handles it, once."""
    chat = 9301
    await hooked.client.person(chat, "ژاله").says("سلام")  # the chat exists
    update = start_update(880001, chat, "ژاله")
    earlier = utcnow() - dt.timedelta(minutes=5)
    stored = await stored_unfinished(hooked, update, earlier, dt.timedelta(seconds=30))
    assert stored is inbound.Arrival.NEW
    processor = hooked.application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    seq = (await hooked.client.state())["seq"]
    assert await processor.recover() == 1
    reply = await hooked.client.wait(chat, seq, within=10)
    assert reply.messages[0].text.startswith("سلام ژاله!")
    assert await processor.recover() == 0  # handled: not taken up again
    # Telegram retrying it now changes nothing either.
    before = len(await hooked.client.messages(chat))
    async with (
        ClientSession() as http,
        http.post(hooked.url, json=update, headers={SECRET_HEADER: SECRET}) as response,
    ):
        assert response.status == 200
    await asyncio.sleep(0.3)
    assert len(await hooked.client.messages(chat)) == before


async def test_an_update_left_unhandled_too_long_is_given_up_not_replayed_and_told_once(
    hooked: Hooked,
) -> None:
    chat = 9302
    await hooked.client.person(chat, "بهار").says("سلام")
    update = start_update(880002, chat, "بهار")
    long_ago = utcnow() - inbound.GIVE_UP - dt.timedelta(minutes=1)
    await stored_unfinished(hooked, update, long_ago, dt.timedelta(0))
    before = len(await hooked.client.messages(chat))
    processor = hooked.application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    assert await processor.recover() == 0
    await asyncio.sleep(0.3)
    # No stale answer to the update itself: the citizen is told, once, that it was given up.
    after = await hooked.client.messages(chat)
    assert [m.text for m in after[before:]] == [texts.GAVE_UP]
    assert await processor.recover() == 0
    await asyncio.sleep(0.3)
    assert len(await hooked.client.messages(chat)) == len(after)
    async with hooked.deps.sessions() as session:
        row = await session.get(InboundUpdate, (TELEGRAM, 880002))
        assert row is not None and row.throttled == "expired" and row.body is None


def _deep_update(update_id: int, depth: int) -> bytes:
    """An authenticated body whose message is an array nested ``depth`` levels deep."""
    return b'{"update_id":%d,"message":%s%s}' % (update_id, b"[" * depth, b"]" * depth)


async def test_malformed_updates_get_400_one_log_line_each_and_store_nothing(
    hooked: Hooked, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram retries a 5xx for hours: what can never be handled is refused as a 400."""
    typed = start_update(777100, 9103, "X")
    typed["message"]["text"] = "0499370899"  # a national code: never quoted in the log
    huge_chat = json.loads(json.dumps(typed))
    huge_chat["message"]["chat"]["id"] = huge_chat["message"]["from"]["id"] = 2**63
    huge_id = {**typed, "update_id": 2**63}
    text_chat = json.loads(json.dumps(typed))
    text_chat["message"]["chat"]["id"] = "9103"
    bodies = [
        json.dumps({"update_id": 777101, "message": "hi"}).encode(),
        _deep_update(777102, 30_000),
        json.dumps(huge_id).encode(),
        json.dumps(huge_chat).encode(),
        json.dumps(text_chat).encode(),
        json.dumps({"update_id": 777103, "message": {"message_id": 1}}).encode(),
    ]
    caplog.set_level(logging.INFO)
    async with ClientSession() as http:
        for body in bodies:
            headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
            async with http.post(hooked.url, data=body, headers=headers) as response:
                assert response.status == 400, body[:80]
    refusals = [r for r in caplog.records if "not a Telegram update" in r.getMessage()]
    assert len(refusals) == len(bodies)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "0499370899" not in caplog.text
    assert await _count(hooked, InboundUpdate) == 0
    assert await _count(hooked, DialogState) == 0


async def test_control_characters_posted_to_the_webhook_never_reach_the_chat(
    hooked: Hooked,
) -> None:
    """The webhook cleans an update as polling does: a NUL and a bidi override in the
    name are gone from the greeting, the update is handled once."""
    await hooked.client.person(9104, "نگار").says("سلام")  # the chat exists
    update = start_update(777200, 9104, "\u202eنگار\x00")
    seq = (await hooked.client.state())["seq"]
    async with (
        ClientSession() as http,
        http.post(hooked.url, json=update, headers={SECRET_HEADER: SECRET}) as response,
    ):
        assert response.status == 200
    reply = await hooked.client.wait(9104, seq, within=10)
    assert reply.messages[0].text.startswith("سلام نگار!")


async def test_the_recovery_pass_cleans_a_stored_update_as_it_first_came(
    hooked: Hooked,
) -> None:
    """The webhook stores the body as Telegram sent it: taken up again, it is cleaned."""
    chat = 9303
    await hooked.client.person(chat, "ژاله").says("سلام")
    update = start_update(880003, chat, "ژا\x00له\u202e")
    await stored_unfinished(hooked, update, utcnow() - dt.timedelta(minutes=5))
    processor = hooked.application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    seq = (await hooked.client.state())["seq"]
    assert await processor.recover() == 1
    reply = await hooked.client.wait(chat, seq, within=10)
    assert reply.messages[0].text.startswith("سلام ژاله!")


async def test_an_answer_the_bot_api_refused_gets_503_and_is_sent_once_it_recovers(
    hooked: Hooked,
) -> None:
    citizen = hooked.client.person(9310, "رها")
    hooked.emulator.fail("sendMessage", 500, seconds=60)
    await citizen.says("/help", expect_reply=False)
    deliveries = [d for d in hooked.emulator.webhook_deliveries if d["status"] is not None]
    # Refused for now, so Telegram sends it again; the update waits for its next try.
    assert deliveries[0]["status"] == 503 and deliveries[-1]["status"] == 200
    assert [m for m in await hooked.client.messages(citizen.chat_id)] == []

    hooked.emulator.fail("sendMessage", seconds=0)  # the Bot API is back
    async with hooked.deps.sessions() as session, session.begin():
        row = await session.get(InboundUpdate, (TELEGRAM, deliveries[0]["update_id"]))
        assert row is not None and row.handled_at is None
        row.lease_until = utcnow() - dt.timedelta(seconds=1)  # its next try is due
    processor = hooked.application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    assert await processor.recover() == 1
    assert [m.text for m in await hooked.client.messages(citizen.chat_id)] == [texts.HELP]
    assert await processor.recover() == 0
    assert len(await hooked.client.messages(citizen.chat_id)) == 1
