"""Sending answers in ways that survive Telegram's everyday refusals."""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from dialogs.callbacks import CallbackData

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
    e.g. one pressed while the bot was down, cannot be answered; the dialog goes on."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.info("callback query not answered: %s", exc)


async def pressed(update: Update, kind: type[Payload]) -> Payload:
    """The payload of the button pressed (the handler's pattern has checked its kind),
    with the button's spinner stopped."""
    query = update.callback_query
    assert query is not None
    payload = CallbackData.parse(query.data)
    assert isinstance(payload, kind)
    await answer_button(query)
    return payload
