"""A citizen's first minutes with the bot: the menu, help, and answers to what it can't do."""

from __future__ import annotations

from telegram import Bot

from dialogs import texts
from dialogs.callbacks import MenuChoice
from tests.helpers.world import World

# The core flows, on each messenger's Bot API (tests/e2e/conftest.py).
ON_EVERY_MESSENGER = True

MENU_LABELS = [
    texts.MENU_FIND,
    texts.MENU_DOCS,
    texts.MENU_BOOK,
    texts.MENU_TRACK,
    texts.MENU_MY_BOOKINGS,
    texts.MENU_HELP,
    texts.MENU_COMPLAINT,
]


async def test_start_greets_by_name_and_shows_the_main_menu(world: World) -> None:
    maryam = world.client.person(1001, "مریم")
    reply = await maryam.says("/start")
    assert len(reply.messages) == 1
    assert reply.text.startswith("سلام مریم!")
    assert "پیشخوان" in reply.text
    assert reply.labels == MENU_LABELS


async def test_the_command_list_and_description_are_published_in_persian(
    world: World,
) -> None:
    if world.emulator.messenger == "bale":
        # Bale has no command list to publish: nothing is asked of it, /help lists them.
        assert not [c for c in world.emulator.calls if c.method.lower().startswith("setmy")]
        return
    async with Bot(world.emulator.token, base_url=world.emulator.base_url) as bot:
        commands = await bot.get_my_commands()
        description = await bot.get_my_short_description()
    assert [c.command for c in commands] == [
        "start",
        "find",
        "docs",
        "book",
        "track",
        "mybookings",
        "complaint",
        "cancel",
        "help",
    ]
    assert all(_is_persian(c.description) for c in commands)
    assert description.short_description == texts.BOT_DESCRIPTION


def _is_persian(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


async def test_help_lists_every_command(world: World) -> None:
    reply = await world.client.person(1002, "علی").says("/help")
    for command in ("/find", "/docs", "/book", "/track", "/mybookings", "/complaint", "/cancel"):
        assert command in reply.text
    assert reply.labels == MENU_LABELS


async def test_help_button_of_the_menu_shows_help(world: World) -> None:
    sara = world.client.person(1003, "سارا")
    await sara.says("/start")
    reply = await sara.presses(texts.MENU_HELP)
    assert reply.text == texts.HELP
    answers = await world.client.callback_answers(sara.chat_id)
    assert len(answers) == 1, "the button's spinner must be stopped"


async def test_an_unknown_command_gets_a_persian_answer_naming_it(world: World) -> None:
    reply = await world.client.person(1004, "رضا").says("/passport")
    assert "«/passport»" in reply.text
    assert "نمی‌شناسم" in reply.text
    assert reply.labels == MENU_LABELS


async def test_random_text_gets_a_persian_answer_with_the_menu(world: World) -> None:
    reply = await world.client.person(1005, "نرگس").says("qwzx پلپلپل ۱۲۳")
    assert reply.text == texts.NOT_UNDERSTOOD
    assert reply.labels == MENU_LABELS


async def test_a_huge_message_is_refused_politely_with_its_length(world: World) -> None:
    reply = await world.client.person(1006, "حسن").says("سلام " * 400)
    assert "۲٬۰۰۰" in reply.text
    assert "۱٬۰۰۰" in reply.text


async def test_cancel_outside_a_flow_says_there_was_nothing_to_cancel(world: World) -> None:
    reply = await world.client.person(1007, "زهرا").says("/cancel")
    assert reply.text == texts.NOTHING_TO_CANCEL


async def test_a_stale_or_forged_button_is_answered_not_crashed(world: World) -> None:
    omid = world.client.person(1008, "امید")
    await omid.says("/start")
    for data in ("bk:999999:yesterday", "m:launch-rockets", "x" * 64):
        reply = await omid.presses(texts.MENU_BOOK, data=data)
        assert reply.text == texts.MENU_AGAIN
        assert reply.labels == MENU_LABELS
    answers = await world.client.callback_answers(omid.chat_id)
    assert [a["text"] for a in answers] == [texts.STALE_BUTTON] * 3


async def test_a_button_pressed_while_the_bot_was_down_still_gets_the_menu(world: World) -> None:
    """Telegram refuses to answer a query that waited too long; the citizen still gets an
    answer in the chat."""
    laleh = world.client.person(1010, "لاله")
    await laleh.says("/start")
    seq = (await world.client.state())["seq"]
    await world.client.inject_raw_update(
        {
            "callback_query": {
                "id": "expired-query",
                "from": {"id": laleh.id, "is_bot": False, "first_name": "لاله"},
                "chat_instance": "1",
                "data": MenuChoice("help").pack(),
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": laleh.id, "type": "private"},
                },
            }
        }
    )
    reply = await world.client.wait(laleh.chat_id, seq)
    assert reply.text == texts.HELP


async def test_a_sticker_or_photo_gets_told_what_the_bot_understands(world: World) -> None:
    user = {"id": 1009, "is_bot": False, "first_name": "کاوه"}
    await world.client.person(1009, "کاوه").says("/start")
    seq = (await world.client.state())["seq"]
    await world.client.inject_raw_update(
        {
            "message": {
                "message_id": 50,
                "date": 0,
                "from": user,
                "chat": {"id": 1009, "type": "private", "first_name": "کاوه"},
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                },
            }
        }
    )
    reply = await world.client.wait(1009, seq)
    assert reply.text == texts.UNSUPPORTED_MESSAGE


async def test_citizen_commands_in_a_group_point_to_the_private_chat(world: World) -> None:
    await world.client.add_group(-100500, "دفتر پیشخوان ۱۲")
    clerk = world.client.person(2001, "کارمند").in_chat(-100500)
    reply = await clerk.says("/start")
    assert reply.text == texts.GROUP_ONLY_COMMANDS
    assert reply.labels == []
