"""The main menu, help, cancel, and the polite answers to what the bot cannot handle."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update

from dialogs import complaint, texts
from dialogs import my_bookings as bookings_list
from dialogs.callbacks import MenuChoice
from dialogs.choosing import show_categories
from dialogs.context import BotContext
from dialogs.formatting import first_name_suffix
from dialogs.free_text import about_service, track
from dialogs.keyboards import main_menu
from dialogs.messenger import Sent
from dialogs.replies import answer_stale, pressed, send
from dialogs.understanding import understand


async def _reply(update: Update, text: str, *, menu: bool = True) -> Sent | None:
    return await send(update, text, main_menu() if menu else None)


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
    if was_busy and update.effective_chat is not None:
        # A step may have shown a reply keyboard (location, contact): take it away too.
        await send(update, texts.CANCELLED, ReplyKeyboardRemove())
        await _reply(update, texts.MENU_AGAIN)
        return
    await _reply(update, texts.NOTHING_TO_CANCEL)


async def service_command(update: Update, context: BotContext) -> None:
    """/docs, /find, /book: with words after it, understood; without, by category."""
    message = update.effective_message
    command = (message.text or "").split()[0].lstrip("/").split("@")[0] if message else ""
    action = "docs" if command == "docs" else command
    words = " ".join(context.args or [])
    if not words:
        context.conversation.reset()
        await show_categories(update, context, action)
        return
    await about_service(update, context, action, understand(context, words))


async def track_command(update: Update, context: BotContext) -> None:
    """/track, optionally with the code after it."""
    await track(update, context, understand(context, " ".join(context.args or [])))


async def my_bookings(update: Update, context: BotContext) -> None:
    """/mybookings: the citizen's active bookings."""
    await bookings_list.show(update, context)


async def menu_choice(update: Update, context: BotContext) -> None:
    """Routes a main-menu button press."""
    choice = await pressed(update, MenuChoice)
    if choice.action == "help":
        await _reply(update, texts.HELP)
    elif choice.action == "home":
        context.conversation.reset()
        await _reply(update, texts.MENU_AGAIN)
    elif choice.action in ("docs", "find", "book"):
        context.conversation.reset()
        await show_categories(update, context, choice.action)
    elif choice.action == "track":
        await track(update, context, understand(context, ""))
    elif choice.action == "complaint":
        await complaint.start(update, context)
    else:
        await my_bookings(update, context)


async def stale_button(update: Update, context: BotContext) -> None:
    """Answers a button that no longer means anything (old message, forged data)."""
    await answer_stale(update)


async def unknown_command(update: Update, context: BotContext) -> None:
    """Answers a command the bot does not know."""
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0].split("@")[0] if text else "/"
    await _reply(update, texts.UNKNOWN_COMMAND.format(command=command[:40]))


async def unsupported_message(update: Update, context: BotContext) -> None:
    """Photos (but a receipt asked for), stickers, voice and the like."""
    if await complaint.photo_sent(update, context):
        return
    await _reply(update, texts.UNSUPPORTED_MESSAGE)


async def group_hint(update: Update, context: BotContext) -> None:
    """A citizen command sent in a group: point to the private chat."""
    await _reply(update, texts.GROUP_ONLY_COMMANDS, menu=False)
