"""Sending answers in ways that survive Telegram's everyday refusals."""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import BadRequest

log = logging.getLogger(__name__)


async def answer_button(query: CallbackQuery, text: str | None = None) -> None:
    """Stops the button's spinner (with a short notice). A query Telegram already expired,
    e.g. one pressed while the bot was down, cannot be answered; the dialog goes on."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.info("callback query not answered: %s", exc)
