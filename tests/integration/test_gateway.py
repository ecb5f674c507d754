"""The gateway over the real python-telegram-bot against the emulator: what a chat shows
when a messenger lacks a capability, long texts, edits that cannot be made."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError

from bot.gateway import BALE, TELEGRAM, TelegramGateway, profile_for
from emulator import BotApiEmulator, EmulatorClient

CHAT = 601
BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("تأیید", callback_data="ok:1")]])


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        emulator.add_user(CHAT, "مهسا")
        emulator.inject_message(CHAT, CHAT, text="/start")
        yield emulator


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(emulator.token, base_url=emulator.base_url) as bot:
        yield bot


async def _shown(emulator: BotApiEmulator) -> list[object]:
    async with EmulatorClient(emulator.root_url) as client:
        return list(await client.messages(CHAT))


async def test_without_venues_a_place_is_a_pin_then_its_name_and_address(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    plain = TelegramGateway(bot, dataclasses.replace(TELEGRAM, name="plain", venue=False))
    await plain.show_place(CHAT, 35.7, 51.4, "دفتر پیشخوان آزادی", "خیابان آزادی، پلاک ۱۲")
    async with EmulatorClient(emulator.root_url) as client:
        pin, words = await client.messages(CHAT)
    assert pin.location == (35.7, 51.4) and pin.venue_title is None
    assert words.text == "دفتر پیشخوان آزادی\nخیابان آزادی، پلاک ۱۲"
    assert "sendVenue" not in [c.method for c in emulator.calls]

    await TelegramGateway(bot).show_place(CHAT, 35.7, 51.4, "دفتر", "خیابان")
    async with EmulatorClient(emulator.root_url) as client:
        venue = (await client.messages(CHAT))[-1]
    assert venue.venue_title == "دفتر" and venue.venue_address == "خیابان"


async def test_a_text_over_the_limit_arrives_whole_in_parts_buttons_under_the_last(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    lines = [f"سطر {i} " + "ب" * 90 for i in range(100)]  # about 9,800 characters
    text = "\n".join(lines)
    last = await TelegramGateway(bot).say(CHAT, text, BUTTONS)
    async with EmulatorClient(emulator.root_url) as client:
        parts = await client.messages(CHAT)
    assert len(parts) == 3
    assert all(len(p.text) <= TELEGRAM.split_text_at for p in parts)
    assert "\n".join(p.text for p in parts).split("\n") == lines  # cut between lines only
    assert [p.labels for p in parts] == [[], [], ["تأیید"]]
    assert last.message_id == parts[-1].message_id


async def test_an_edit_of_a_message_that_cannot_be_edited_is_a_new_message(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    gateway = TelegramGateway(bot)
    first = await gateway.say(CHAT, "نوبت شما", BUTTONS)
    assert await gateway.edit(CHAT, first.message_id, "نوبت شما", BUTTONS) == first  # unchanged
    assert await gateway.delete(CHAT, first.message_id)
    anew = await gateway.edit(CHAT, first.message_id, "نوبت شما تأیید شد", BUTTONS)
    assert anew.message_id != first.message_id
    async with EmulatorClient(emulator.root_url) as client:
        shown = {m.message_id: m for m in await client.messages(CHAT)}
    assert shown[anew.message_id].text == "نوبت شما تأیید شد"
    assert shown[anew.message_id].labels == ["تأیید"]
    assert not await gateway.set_buttons(CHAT, first.message_id, None)
    assert not await gateway.delete(CHAT, first.message_id)


async def test_a_failed_edit_is_a_new_message_only_where_edits_are_unreliable(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    sent = await TelegramGateway(bot).say(CHAT, "کارت", BUTTONS)
    emulator.fail("editMessageText", 500)
    with pytest.raises(NetworkError):  # Telegram's 5xx: the update is tried again later
        await TelegramGateway(bot).edit(CHAT, sent.message_id, "کارت نو", BUTTONS)
    shaky = TelegramGateway(bot, dataclasses.replace(TELEGRAM, reliable_edits=False))
    anew = await shaky.edit(CHAT, sent.message_id, "کارت نو", BUTTONS)
    assert anew.message_id != sent.message_id


async def test_publish_is_skipped_without_commands_and_done_with_them(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    bare = TelegramGateway(bot, dataclasses.replace(TELEGRAM, name="bare", commands=False))
    await bare.publish([("start", "شروع")], "پیشخوان")
    assert not [c for c in emulator.calls if c.method.lower().startswith("setmy")]
    await TelegramGateway(bot).publish([("start", "شروع")], "پیشخوان")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert (await bot.get_my_description()).description == "پیشخوان"


async def test_admins_buttons_and_oversized_data(
    bot: Bot, emulator: BotApiEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = TelegramGateway(bot)
    emulator.add_user(602, "بهرام")
    emulator.add_group(-700, "دفتر")
    emulator.add_member(-700, CHAT, "administrator")
    emulator.add_member(-700, 602, "member")
    assert await gateway.is_admin(-700, CHAT)
    assert not await gateway.is_admin(-700, 602)
    assert not await gateway.is_admin(CHAT, CHAT)  # a private chat has no admins
    await gateway.answer_button("no-such-query", "نه")  # logged, never raised
    huge = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
    with pytest.raises(Exception, match=r"(?i)button_data_invalid"):
        await gateway.say(CHAT, "متن", huge)
    assert "callback data over 64 bytes" in caplog.text


async def test_on_bale_a_place_is_a_pin_and_text_and_a_reply_goes_as_reply_to_message_id(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    """Bale has no sendVenue and documents only the older reply field, which PTB 22 would
    turn into reply_parameters: the gateway sends the raw field."""
    bale = TelegramGateway(bot, profile_for("bale"))
    assert bale.capabilities is BALE
    (asked,) = emulator.messages(CHAT, include_user=True)  # the citizen's /start
    await bale.show_place(CHAT, 35.7, 51.4, "دفتر پیشخوان آزادی", "خیابان آزادی")
    answer = await bale.say(CHAT, "پاسخ شما", reply_to=asked.message_id)
    async with EmulatorClient(emulator.root_url) as client:
        pin, words, reply = await client.messages(CHAT)
    assert pin.location == (35.7, 51.4) and pin.venue_title is None
    assert words.text == "دفتر پیشخوان آزادی\nخیابان آزادی"
    assert reply.message_id == answer.message_id
    (record,) = [m for m in emulator.messages(CHAT) if m.message_id == answer.message_id]
    assert record.data["reply_to_message"]["message_id"] == asked.message_id
    (sent,) = [
        c
        for c in emulator.calls
        if c.method == "sendMessage" and c.params.get("text") == "پاسخ شما"
    ]
    assert "reply_parameters" not in sent.params
    assert str(sent.params["reply_to_message_id"]) == str(asked.message_id)
    assert "sendVenue" not in [c.method for c in emulator.calls]

    await bale.publish([("start", "شروع")], "پیشخوان")  # Bale may have no setMyCommands
    assert not [c for c in emulator.calls if c.method.lower().startswith("setmy")]

    await TelegramGateway(bot).say(CHAT, "در تلگرام", reply_to=asked.message_id)
    telegram = emulator.calls[-1]
    assert "reply_parameters" in telegram.params and "reply_to_message_id" not in telegram.params


def test_an_unknown_messenger_has_no_profile() -> None:
    with pytest.raises(ValueError, match="eitaa"):
        profile_for("eitaa")
