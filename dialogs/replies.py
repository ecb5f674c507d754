"""Sending answers in ways that survive Telegram's everyday refusals."""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from dialogs import texts
from dialogs.callbacks import CallbackData
from dialogs.keyboards import main_menu

Payload = TypeVar("Payload", bound=CallbackData)

log = logging.getLogger(__name__)


async def send(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A new message in the chat the update came from."""
    if update.effective_chat is None:
        return None
    return await update.effective_chat.send_message(text, reply_markup=markup)


async def answer_button(query: CallbackQuery, text: str | None = None) -> None:
    """Stops the button's spinner (with a short notice). A query Telegram already expired,
    e.g. one pressed while the bot was down, cannot be answered, nor one while the Bot API
    fails (5xx, timeout, flood past retries): the step's own work goes on either way, since
    the spinner stops by itself and the step's reply is what the citizen waits for."""
    try:
        await query.answer(text)
    except TelegramError as exc:
        log.info("callback query not answered: %s", exc)


async def redraw(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """The message the button was under shows this instead (a message Telegram no longer
    lets us edit: a new one)."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return  # the same button pressed twice: it already shows this
        await send(update, text, markup)


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
