"""The Bot API emulator answers the unmodified python-telegram-bot the way Telegram does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken

from emulator import SECRET_HEADER, BotApiEmulator, EmulatorClient, EmulatorRequestError


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(webhook_retry_delays=(0.05,)) as emulator:
        yield emulator


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emulator.token, base_url=emulator.base_url) as bot:
        yield bot


async def test_get_me_describes_the_bot(bot: Bot, emulator: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.username == emulator.bot_username and me.is_bot


async def test_an_unknown_method_answers_with_telegrams_error_object(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{emulator.base_url}{emulator.token}/sendTeleportation") as response,
    ):
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTeleportation")


async def test_a_wrong_token_is_unauthorized(emulator: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        await Bot("999:WRONG", base_url=emulator.base_url).initialize()


async def test_the_bot_cannot_write_first_to_a_user(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.add_user(501, "مهسا")
    with pytest.raises(Forbidden):
        await bot.send_message(501, "سلام")
    emulator.inject_message(501, 501, text="/start")
    sent = await bot.send_message(501, "سلام")
    assert sent.chat.id == 501
    emulator.block_user(501)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(501, "هنوز هستید؟")


async def test_polling_updates_and_offsets(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.add_user(502, "بهرام")
    first = emulator.inject_message(502, 502, text="/start")
    second = emulator.inject_message(502, 502, text="سلام")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert updates[0].message is not None and updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"
    confirmed = await bot.get_updates(offset=second["update_id"] + 1, timeout=0)
    assert confirmed == ()
    # A long poll returns as soon as something arrives.
    waiting = asyncio.create_task(bot.get_updates(offset=second["update_id"] + 1, timeout=5))
    await asyncio.sleep(0.1)
    third = emulator.inject_message(502, 502, location={"latitude": 35.7, "longitude": 51.4})
    (update,) = await asyncio.wait_for(waiting, 2)
    assert update.update_id == third["update_id"]
    assert update.message is not None and update.message.location is not None


async def test_messages_edits_venues_and_deletions_are_recorded(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.add_user(503, "پریسا")
    emulator.inject_message(503, 503, text="/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("تأیید", callback_data="ok:1")]])
    sent = await bot.send_message(503, "نوبت شما", reply_markup=keyboard)
    await bot.edit_message_text("نوبت شما تأیید شد", chat_id=503, message_id=sent.message_id)
    venue = await bot.send_venue(503, 35.7, 51.4, "دفتر پیشخوان", "خیابان آزادی")
    gone = await bot.send_message(503, "موقت")
    assert await bot.delete_message(503, gone.message_id)

    async with EmulatorClient(emulator.root_url) as client:
        shown = await client.messages(503)
    by_id = {m.message_id: m for m in shown}
    assert by_id[sent.message_id].text == "نوبت شما تأیید شد" and by_id[sent.message_id].edited
    assert by_id[sent.message_id].labels == []  # editing text without markup drops the buttons
    assert by_id[venue.message_id].venue_title == "دفتر پیشخوان"
    assert by_id[venue.message_id].location == (35.7, 51.4)
    assert by_id[gone.message_id].deleted
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("نوبت شما تأیید شد", chat_id=503, message_id=sent.message_id)


async def test_oversized_callback_data_and_text_are_refused(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.add_user(504, "نیما")
    emulator.inject_message(504, 504, text="/start")
    huge = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(504, "متن", reply_markup=huge)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(504, "ا" * 4097)


async def test_a_pressed_button_arrives_as_a_callback_query_answered_once(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.add_user(505, "آرش")
    emulator.inject_message(505, 505, text="/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("لغو نوبت", callback_data="c:9")]])
    await bot.send_message(505, "نوبت", reply_markup=keyboard)
    await bot.get_updates(offset=-1, timeout=0)
    pressed = emulator.press(505, 505, "لغو")
    (update,) = await bot.get_updates(offset=pressed["update_id"], timeout=0)
    assert update.callback_query is not None and update.callback_query.data == "c:9"
    assert await update.callback_query.answer("لغو شد")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(update.callback_query.id)


async def test_the_control_api_explains_a_missing_button(emulator: BotApiEmulator) -> None:
    async with EmulatorClient(emulator.root_url) as client:
        with pytest.raises(EmulatorRequestError, match="no inline button"):
            await client.person(506, "یاسر").presses("دکمه‌ای که نیست")


async def test_webhook_delivery_with_secret_retries_until_accepted(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    received: list[dict[str, Any]] = []
    answers = iter([500, 200])

    async def receive(request: web.Request) -> web.Response:
        received.append(
            {"secret": request.headers.get(SECRET_HEADER), "update": await request.json()}
        )
        return web.Response(status=next(answers, 200))

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret-token")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        emulator.add_user(507, "فرهاد")
        sent = emulator.inject_message(507, 507, text="سلام")
        for _ in range(100):
            if len(received) >= 2:
                break
            await asyncio.sleep(0.02)
        assert [r["update"]["update_id"] for r in received] == [sent["update_id"]] * 2
        assert {r["secret"] for r in received} == {"s3cret-token"}
        update = Update.de_json(received[-1]["update"], bot)
        assert update is not None and update.message is not None
        assert update.message.text == "سلام"
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message is not None and "500" in info.last_error_message
        await bot.delete_webhook()
        assert (await bot.get_updates(timeout=0)) == ()
    finally:
        await runner.cleanup()


def test_updates_serialise_like_telegrams(emulator: BotApiEmulator) -> None:
    emulator.add_user(508, "سیما", username="sima")
    sent = emulator.inject_message(508, 508, contact={"phone_number": "+989121234567"})
    (update,) = [u for u in emulator.pending_updates if u["update_id"] == sent["update_id"]]
    json.dumps(update)  # plain JSON, as Telegram sends it
    assert update["message"]["contact"]["phone_number"] == "+989121234567"
    assert update["message"]["from"]["username"] == "sima"
