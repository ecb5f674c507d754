"""The main menu, help, cancel, and the polite answers to what the bot cannot handle."""

from __future__ import annotations

from telegram import Message, Update

from dialogs import texts
from dialogs.callbacks import CallbackData, MenuChoice
from dialogs.context import BotContext
from dialogs.formatting import fa_number, first_name_suffix
from dialogs.keyboards import main_menu
from dialogs.replies import answer_button

# A citizen's request fits in a few lines; longer text is a paste or an attack.
MAX_TEXT_LENGTH = 1000

_FEATURE_NAMES = {
    "find": texts.MENU_FIND,
    "docs": texts.MENU_DOCS,
    "book": texts.MENU_BOOK,
    "track": texts.MENU_TRACK,
    "mybookings": texts.MENU_MY_BOOKINGS,
}


async def _reply(update: Update, text: str, *, menu: bool = True) -> Message | None:
    if update.effective_chat is None:
        return None
    return await update.effective_chat.send_message(
        text, reply_markup=main_menu() if menu else None
    )


async def start(update: Update, context: BotContext) -> None:
    """Greets the citizen by name and shows the main menu."""
    context.conversation.reset()
    user = update.effective_user
    await _reply(
        update, texts.GREETING.format(name=first_name_suffix(user.first_name if user else None))
    )


async def help_command(update: Update, context: BotContext) -> None:
    """Explains what the bot does and the commands it knows."""
    await _reply(update, texts.HELP)


async def cancel(update: Update, context: BotContext) -> None:
    """Drops whatever the citizen was doing and returns to the menu."""
    conversation = context.conversation
    was_busy = conversation.flow is not None
    conversation.reset()
    await _reply(update, texts.CANCELLED if was_busy else texts.NOTHING_TO_CANCEL)


async def coming_soon(update: Update, context: BotContext) -> None:
    """Says honestly that a menu feature is not available yet."""
    command = (update.effective_message.text or "") if update.effective_message else ""
    key = command.lstrip("/").split()[0].split("@")[0] if command else ""
    await _reply(update, texts.COMING_SOON.format(feature=_FEATURE_NAMES.get(key, key)))


async def menu_choice(update: Update, context: BotContext) -> None:
    """Routes a main-menu button press."""
    query = update.callback_query
    assert query is not None
    choice = CallbackData.parse(query.data)
    assert isinstance(choice, MenuChoice)
    await answer_button(query)
    if choice.action == "help":
        await _reply(update, texts.HELP)
    elif choice.action == "home":
        context.conversation.reset()
        await _reply(update, texts.MENU_AGAIN)
    else:
        await _reply(update, texts.COMING_SOON.format(feature=_FEATURE_NAMES[choice.action]))


async def stale_button(update: Update, context: BotContext) -> None:
    """Answers a button that no longer means anything (old message, forged data)."""
    query = update.callback_query
    assert query is not None
    await answer_button(query, texts.STALE_BUTTON)
    await _reply(update, texts.MENU_AGAIN)


async def unknown_command(update: Update, context: BotContext) -> None:
    """Answers a command the bot does not know."""
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0].split("@")[0] if text else "/"
    await _reply(update, texts.UNKNOWN_COMMAND.format(command=command[:40]))


async def free_text(update: Update, context: BotContext) -> None:
    """Text outside any flow: too long, or not understood (yet)."""
    text = update.effective_message.text if update.effective_message else ""
    if len(text or "") > MAX_TEXT_LENGTH:
        await _reply(
            update,
            texts.MESSAGE_TOO_LONG.format(
                length=fa_number(len(text or "")), limit=fa_number(MAX_TEXT_LENGTH)
            ),
            menu=False,
        )
        return
    await _reply(update, texts.NOT_UNDERSTOOD)


async def location_outside_flow(update: Update, context: BotContext) -> None:
    """A shared location with no flow waiting for it."""
    await _reply(update, texts.LOCATION_OUTSIDE_FLOW)


async def unsupported_message(update: Update, context: BotContext) -> None:
    """Photos, stickers, voice and the like."""
    await _reply(update, texts.UNSUPPORTED_MESSAGE)


async def group_hint(update: Update, context: BotContext) -> None:
    """A citizen command sent in a group: point to the private chat."""
    await _reply(update, texts.GROUP_ONLY_COMMANDS, menu=False)
