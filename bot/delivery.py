"""Delivers what the outbox holds for citizens (reminders, news of their request) through
Telegram: claimed under a lease, marked delivered, retried with backoff."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError

from dialogs.context import Deps
from dialogs.notifications import Notice, render
from dialogs.staff import render_for_staff
from services.booking import booking_by_id
from services.catalogue import service_details
from services.clock import tehran_now
from services.outbox import Claimed, claim_due, delivered, failed
from services.staff import office_chat

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


async def _send(
    deps: Deps,
    bot: Bot,
    event: Claimed,
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
) -> bool:
    """One message for one event, with the outbox told how it went; True when sent."""
    now = tehran_now()
    try:
        await bot.send_message(chat_id, text, reply_markup=keyboard)
    except Forbidden as exc:  # blocked by the citizen, or removed from the group
        log.warning("event %s not delivered: %s", event.event_id, exc)
        await delivered(deps.sessions, event.id, now, f"not delivered: {exc}")
    except RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
        await failed(
            deps.sessions, event.id, now, str(exc), retry_after=dt.timedelta(seconds=seconds)
        )
    except TelegramError as exc:
        log.warning("event %s failed: %s", event.event_id, exc)
        await failed(deps.sessions, event.id, now, str(exc))
    else:
        await delivered(deps.sessions, event.id, now)
        return True
    return False


async def deliver_to_staff(deps: Deps, bot: Bot) -> int:
    """One round over the events for office groups: new, moved and cancelled bookings."""
    now = tehran_now()
    sent = 0
    for event in await claim_due(deps.sessions, "staff_chat", WORKER, now):
        booking = await booking_by_id(deps.sessions, event.booking_id) if event.booking_id else None
        office = await office_chat(deps.sessions, booking.office_id) if booking else None
        service = await service_details(deps.sessions, booking.service_key) if booking else None
        message = (
            render_for_staff(event.event_type, booking, service) if booking and service else None
        )
        if office is None or message is None:
            await delivered(deps.sessions, event.id, now, "no linked chat or nothing to say")
            continue
        sent += await _send(deps, bot, event, office, *message)
    return sent


async def deliver_to_citizens(deps: Deps, bot: Bot) -> int:
    """One round over every due citizen event; returns how many messages went out."""
    now = tehran_now()
    sent = 0
    for event in await claim_due(deps.sessions, "citizen", WORKER, now):
        notice = await _notice(deps, event)
        if notice is None:
            await delivered(deps.sessions, event.id, now, "nothing to say any more")
            continue
        sent += await _send(deps, bot, event, notice.chat_id, notice.text, notice.keyboard)
    return sent
