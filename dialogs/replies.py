"""Answering the update at hand, through the messenger it came from (dialogs.messenger)."""

from __future__ import annotations

from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Update

from dialogs import texts
from dialogs.callbacks import CallbackData
from dialogs.context import current_messenger
from dialogs.keyboards import main_menu
from dialogs.messenger import Markup, Sent

Payload = TypeVar("Payload", bound=CallbackData)


async def send(update: Update, text: str, markup: Markup | None = None) -> Sent | None:
    """A new message in the chat the update came from."""
    if update.effective_chat is None:
        return None
    return await current_messenger.get().say(update.effective_chat.id, text, markup)


async def answer_button(query: CallbackQuery, text: str | None = None) -> None:
    """Stops the button's spinner (with a short notice). A query Telegram already expired,
    e.g. one pressed while the bot was down, cannot be answered, nor one while the Bot API
    fails (5xx, timeout, flood past retries): the step's own work goes on either way, since
    the spinner stops by itself and the step's reply is what the citizen waits for."""
    await current_messenger.get().answer_button(query.id, text)


async def redraw(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """The message the button was under shows this instead (a message Telegram no longer
    lets us edit: a new one)."""
    await current_messenger.get().edit(*pressed_message(update), text, markup)


def pressed_message(update: Update) -> tuple[int, int]:
    """The chat and id of the message under the button pressed (there is one:
    ``bot.app.ButtonHandler`` lets no other press through)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    return query.message.chat.id, query.message.message_id


def carried(update: Update, kind: type[Payload]) -> Payload:
    """The payload of the button pressed (the handler's pattern has checked its kind)."""
    query = update.callback_query
    assert query is not None
    payload = CallbackData.parse(query.data)
    assert isinstance(payload, kind)
    return payload


async def pressed(update: Update, kind: type[Payload]) -> Payload:
    """The payload of the button pressed, with the button's spinner stopped."""
    payload = carried(update, kind)
    assert update.callback_query is not None
    await answer_button(update.callback_query)
    return payload


async def answer_stale(update: Update) -> None:
    """A button that no longer means anything (old message, forged data): said so, and
    the menu again in a private chat (a staff group gets no citizen menu)."""
    query = update.callback_query
    assert query is not None
    await answer_button(query, texts.STALE_BUTTON)
    chat = update.effective_chat
    if chat is not None and chat.type == "private":
        await send(update, texts.MENU_AGAIN, main_menu())
