"""The emulator's Bale profile answers the unmodified python-telegram-bot the way Bale's Bot
API is known (from its SDKs) to answer: what Bale lacks is refused and recorded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter

from emulator import (
    SECRET_HEADER,
    BotApiEmulator,
    EmulatorClient,
    EmulatorInputError,
)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(messenger="bale", webhook_retry_delays=(0.05,)) as emulator:
        yield emulator


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emulator.token, base_url=emulator.base_url) as bot:
        yield bot


async def _raw_call(emulator: BotApiEmulator, method: str, body: dict[str, Any]) -> Any:
    """A Bot API call as Bale's own SDKs make it: JSON in, status and JSON out."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{emulator.base_url}{emulator.token}/{method}", json=body) as response,
    ):
        return response.status, await response.json()


def _started(emulator: BotApiEmulator, user_id: int, name: str) -> None:
    emulator.add_user(user_id, name)
    emulator.inject_message(user_id, user_id, text="/start")


def test_the_profile_is_chosen_at_construction() -> None:
    assert BotApiEmulator().messenger == "telegram"
    assert BotApiEmulator(messenger="bale").messenger == "bale"
    with pytest.raises(ValueError, match="eitaa"):
        BotApiEmulator(messenger="eitaa")


async def test_send_venue_is_refused_as_an_unknown_method_and_recorded(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    _started(emulator, 1001, "مریم")
    # PTB reads a 404 on a method call as a bad token: a bot must not call what Bale lacks.
    with pytest.raises(InvalidToken, match="Not Found"):
        await bot.send_venue(1001, 35.7, 51.4, "دفتر پیشخوان", "خیابان آزادی")
    status, body = await _raw_call(
        emulator,
        "sendVenue",
        {"chat_id": 1001, "latitude": 35.7, "longitude": 51.4, "title": "د", "address": "خ"},
    )
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert [(c.method, c.chat_id, c.error_code) for c in emulator.unsupported_calls] == [
        ("sendVenue", 1001, 404)
    ] * 2
    assert emulator.messages(1001) == []  # nothing reached the chat
    # What Bale has still works: the place as a pin.
    await bot.send_location(1001, 35.7, 51.4)
    async with EmulatorClient(emulator.root_url) as client:
        (pin,) = await client.messages(1001)
        state = await client.state()
    assert pin.location == (35.7, 51.4) and pin.venue_title is None
    assert state["messenger"] == "bale"
    assert [c["method"] for c in state["unsupported_calls"]] == ["sendVenue", "sendVenue"]


async def test_commands_and_descriptions_are_refused_and_recorded(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    with pytest.raises(InvalidToken, match="Not Found"):
        await bot.set_my_commands([BotCommand("start", "شروع")])
    with pytest.raises(InvalidToken, match="Not Found"):
        await bot.set_my_description("پیشخوان")
    with pytest.raises(InvalidToken, match="Not Found"):
        await bot.set_my_short_description("پیشخوان")
    assert [c.method for c in emulator.unsupported_calls] == [
        "setMyCommands",
        "setMyDescription",
        "setMyShortDescription",
    ]
    assert await bot.get_me()  # a method Bale has is not counted
    assert len(emulator.unsupported_calls) == 3


async def test_get_updates_answers_at_once_whatever_its_timeout(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=5) == ()
    assert time.monotonic() - started < 1.0
    _started(emulator, 1002, "بهرام")
    (update,) = await bot.get_updates(timeout=5)
    assert update.message is not None and update.message.text == "/start"


async def test_a_telegram_emulator_still_holds_a_long_poll() -> None:
    async with (
        BotApiEmulator() as emulator,
        Bot(emulator.token, base_url=emulator.base_url) as bot,
    ):
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()
        assert time.monotonic() - started >= 0.9


async def test_groups_are_plain_groups_and_never_migrate(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.add_group(-1001234567890, "دفتر ۱۲", chat_type="supergroup")
    async with EmulatorClient(emulator.root_url) as client:
        made = await client.add_group(-1009876543210, "دفتر ۱۳")  # asks for a supergroup
    assert made["type"] == "group"
    emulator.add_user(2001, "کارمند")
    emulator.add_member(-1001234567890, 2001)
    emulator.inject_message(-1001234567890, 2001, text="/link 1234")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.chat.type == "group"
    chat = await bot.get_chat(-1009876543210)
    assert chat.type == "group"
    with pytest.raises(EmulatorInputError, match="no supergroups"):
        emulator.migrate_group(-1001234567890, -1005555555555)


async def test_webhook_pushes_carry_no_secret_header(bot: Bot, emulator: BotApiEmulator) -> None:
    received: list[dict[str, Any]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append({"headers": dict(request.headers), "update": await request.json()})
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        # Bale's setWebhook takes the url only: the token is accepted and dropped.
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        emulator.add_user(1003, "فرهاد")
        sent = emulator.inject_message(1003, 1003, text="سلام")
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        (push,) = received
        assert push["update"]["update_id"] == sent["update_id"]
        assert SECRET_HEADER.lower() not in {k.lower() for k in push["headers"]}
        async with EmulatorClient(emulator.root_url) as client:
            assert (await client.state())["webhook_url"].endswith("/hook")
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_only_reply_to_message_id_makes_a_reply(bot: Bot, emulator: BotApiEmulator) -> None:
    _started(emulator, 1004, "پریسا")
    question = await bot.send_message(1004, "کد ملی؟")
    status, honoured = await _raw_call(
        emulator,
        "sendMessage",
        {"chat_id": 1004, "text": "پاسخ", "reply_to_message_id": question.message_id},
    )
    assert status == 200
    assert honoured["result"]["reply_to_message"]["message_id"] == question.message_id
    _, ignored = await _raw_call(
        emulator,
        "sendMessage",
        {"chat_id": 1004, "text": "پاسخ", "reply_parameters": {"message_id": question.message_id}},
    )
    assert "reply_to_message" not in ignored["result"]
    # PTB 22 turns reply_to_message_id into reply_parameters: on Bale it makes no reply.
    via_ptb = await bot.send_message(1004, "پاسخ", reply_to_message_id=question.message_id)
    assert via_ptb.reply_to_message is None


# PTB reads retry_after itself while building RetryAfter, and warns of its future type.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_an_injected_420_comes_back_as_bales_flood_error(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    _started(emulator, 1005, "نیما")
    emulator.fail("sendMessage", 420, seconds=30, retry_after=3)
    status, body = await _raw_call(emulator, "sendMessage", {"chat_id": 1005, "text": "سلام"})
    assert status == 420
    assert body == {
        "ok": False,
        "error_code": 420,
        "description": "Flood: bot limit exceed",
        "parameters": {"retry_after": 3},
    }
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(1005, "سلام")
    # A 420 without retry_after, injected over the control API, for one chat only.
    emulator.fail("sendMessage", seconds=0)
    _started(emulator, 1006, "آرش")
    async with EmulatorClient(emulator.root_url) as client:
        await client.fail("sendMessage", 420, 30, chat_id=1005, description="bot limit exceed")
    with pytest.raises(NetworkError, match="bot limit exceed") as plain:
        await bot.send_message(1005, "سلام")
    assert not isinstance(plain.value, RetryAfter)
    assert (await bot.send_message(1006, "سلام")).text == "سلام"
    assert [c.error_code for c in emulator.calls if c.method == "sendMessage"] == [
        420,
        420,
        420,
        None,
    ]


async def test_edits_can_be_made_to_fail_for_a_while(bot: Bot, emulator: BotApiEmulator) -> None:
    _started(emulator, 1007, "سیما")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("تأیید", callback_data="ok:1")]])
    sent = await bot.send_message(1007, "نوبت شما", reply_markup=keyboard)
    emulator.fail("editMessageText", 400, seconds=30, description="Bad Request: edit failed")
    with pytest.raises(BadRequest, match=r"(?i)edit failed"):
        await bot.edit_message_text("تأیید شد", chat_id=1007, message_id=sent.message_id)
    emulator.fail("editMessageText", seconds=0)
    edited = await bot.edit_message_text("تأیید شد", chat_id=1007, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "تأیید شد"


async def test_bale_and_telegram_ids_are_separate_number_spaces(
    emulator: BotApiEmulator,
) -> None:
    async with BotApiEmulator() as telegram:
        telegram.add_user(1001, "Maryam")
        emulator.add_user(1001, "مریم")
        emulator.inject_message(1001, 1001, text="سلام")
        assert telegram.pending_updates == []
        (update,) = emulator.pending_updates
        assert update["message"]["from"]["first_name"] == "مریم"
