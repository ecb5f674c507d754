"""Delivers what the outbox holds for citizens (reminders, news of their request) through
Telegram: claimed under a lease, marked delivered, retried with backoff."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from telegram import Bot
from telegram.error import Forbidden, RetryAfter, TelegramError

from dialogs.context import Deps
from dialogs.notifications import Notice, render
from services.booking import booking_by_id
from services.catalogue import service_details
from services.clock import tehran_now
from services.outbox import Claimed, claim_due, delivered, failed

log = logging.getLogger(__name__)

WORKER = f"{socket.gethostname()}:{os.getpid()}"


async def _notice(deps: Deps, event: Claimed) -> Notice | None:
    if event.booking_id is None:
        return None
    booking = await booking_by_id(deps.sessions, event.booking_id, with_timeline=True)
    if booking is None:
        return None
    service = await service_details(deps.sessions, booking.service_key)
    return None if service is None else render(event.event_type, event.payload, booking, service)


async def deliver_to_citizens(deps: Deps, bot: Bot) -> int:
    """One round over every due citizen event; returns how many messages went out."""
    now = tehran_now()
    sent = 0
    for event in await claim_due(deps.sessions, "citizen", WORKER, now):
        notice = await _notice(deps, event)
        if notice is None:
            await delivered(deps.sessions, event.id, now, "nothing to say any more")
            continue
        try:
            await bot.send_message(notice.chat_id, notice.text, reply_markup=notice.keyboard)
        except Forbidden as exc:  # the citizen blocked the bot: retrying will not help
            await delivered(deps.sessions, event.id, now, f"not delivered: {exc}")
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            await failed(
                deps.sessions, event.id, now, str(exc), retry_after=dt.timedelta(seconds=seconds)
            )
        except TelegramError as exc:
            log.warning("citizen notice %s failed: %s", event.event_id, exc)
            await failed(deps.sessions, event.id, now, str(exc))
        else:
            await delivered(deps.sessions, event.id, now)
            sent += 1
    return sent
