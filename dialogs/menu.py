"""The main menu, help, cancel, and the polite answers to what the bot cannot handle."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update

from dialogs import complaint, find, texts
from dialogs import my_bookings as bookings_list
from dialogs.callbacks import MenuChoice
from dialogs.choosing import show_categories
from dialogs.context import BotContext
from dialogs.flow import Chats, Router
from dialogs.formatting import first_name_suffix
from dialogs.free_text import about_service
from dialogs.keyboards import main_menu
from dialogs.messenger import Sent
from dialogs.replies import answer_stale, pressed, send
from dialogs.tracking import track
from dialogs.understanding import understand

router = Router("menu")


async def _reply(update: Update, text: str, *, menu: bool = True) -> Sent | None:
    return await send(update, text, main_menu() if menu else None)


@router.command("start")
async def start(update: Update, context: BotContext) -> None:
    """Greets the citizen by name and shows the main menu."""
    context.conversation.reset()
    user = update.effective_user
    await _reply(
        update, texts.GREETING.format(name=first_name_suffix(user.first_name if user else None))
    )


@router.command("help")
async def help_command(update: Update, context: BotContext) -> None:
    """Explains what the bot does and the commands it knows."""
    await _reply(update, texts.HELP)


@router.command("cancel")
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


@router.command("docs", "find", "book")
async def service_command(update: Update, context: BotContext) -> None:
    """/docs, /find, /book: with words after it, understood; without, by category."""
    message = update.effective_message
    command = (message.text or "").split()[0].lstrip("/").split("@")[0] if message else ""
    action = "docs" if command == "docs" else command
    words = " ".join(context.args or [])
    if not words:
        context.conversation.reset()
        if action == "docs":
            await show_categories(update, context, action)
        else:
            await find.choose_service(update, context, booking=action == "book")
        return
    await about_service(update, context, action, understand(context, words))


@router.command("track")
async def track_command(update: Update, context: BotContext) -> None:
    """/track, optionally with the code after it."""
    await track(update, context, understand(context, " ".join(context.args or [])))


@router.command("mybookings")
async def my_bookings(update: Update, context: BotContext) -> None:
    """/mybookings: the citizen's active bookings."""
    await bookings_list.show(update, context)


@router.button(MenuChoice)
async def menu_choice(update: Update, context: BotContext) -> None:
    """Routes a main-menu button press."""
    choice = await pressed(update, MenuChoice)
    if choice.action == "help":
        await _reply(update, texts.HELP)
    elif choice.action == "home":
        context.conversation.reset()
        await _reply(update, texts.MENU_AGAIN)
    elif choice.action == "docs":
        context.conversation.reset()
        await show_categories(update, context, choice.action)
    elif choice.action in ("find", "book"):
        context.conversation.reset()
        await find.choose_service(update, context, booking=choice.action == "book")
    elif choice.action == "track":
        await track(update, context, understand(context, ""))
    elif choice.action == "complaint":
        await complaint.start(update, context)
    else:
        await my_bookings(update, context)


@router.stale_button()
async def stale_button(update: Update, context: BotContext) -> None:
    """Answers a button that no longer means anything (old message, forged data)."""
    await answer_stale(update)


@router.unknown()
async def unknown_command(update: Update, context: BotContext) -> None:
    """Answers a command the bot does not know."""
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0].split("@")[0] if text else "/"
    await _reply(update, texts.UNKNOWN_COMMAND.format(command=command[:40]))


@router.other()
async def unsupported_message(update: Update, context: BotContext) -> None:
    """Photos (but a receipt asked for), contacts (but a mobile asked for), stickers, voice
    and the like."""
    await _reply(update, texts.UNSUPPORTED_MESSAGE)


@router.command(
    "start", "help", "find", "docs", "book", "track", "mybookings", "complaint", chats=Chats.GROUPS
)
async def group_hint(update: Update, context: BotContext) -> None:
    """A citizen command sent in a group: point to the private chat."""
    await _reply(update, texts.GROUP_ONLY_COMMANDS, menu=False)
