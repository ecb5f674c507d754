"""Delivers what the outbox holds for citizens (reminders, news of their request or
complaint, the ask for a rating), office groups and supervisor chats through Telegram:
claimed under a lease, marked delivered, retried with backoff."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import time
import warnings
from collections import defaultdict, deque

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.metrics import count_postponed
from dialogs.context import Deps
from dialogs.notifications import Notice, render, render_complaint_news
from dialogs.staff import render_digest, render_for_staff
from dialogs.supervision import render_for_supervisor
from services.booking import BookingView, booking_by_id
from services.catalogue import ServiceDetails, service_details
from services.clock import tehran_now
from services.complaints import complaint_by_id, complaint_step, visible_in_chat
from services.feedback import queue_rating_asks
from services.outbox import Claimed, claim_due, delivered, failed, postpone
from services.staff import office_chat

log = logging.getLogger(__name__)

# Unique per process even where containers share a host name and all run as pid 1 (the
# outbox records an outcome only for the worker still holding the claim); within the
# 64 characters of outbox_events.claimed_by, whatever the host name.
WORKER = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


async def _notice(deps: Deps, event: Claimed) -> Notice | None:
    if event.event_type.startswith("complaint."):
        return await _complaint_notice(deps, event)
    if event.booking_id is None:
        return None
    booking = await booking_by_id(deps.sessions, event.booking_id, with_timeline=True)
    if booking is None:
        return None
    service = await service_details(deps.sessions, booking.service_key)
    return (
        None
        if service is None
        else render(event.event_type, event.payload, booking, service, deps.rules)
    )


async def _complaint_notice(deps: Deps, event: Claimed) -> Notice | None:
    complaint = await complaint_by_id(deps.sessions, int(event.payload.get("complaint_id", 0)))
    step = await complaint_step(deps.sessions, int(event.payload.get("step_id", 0)))
    return None if complaint is None or step is None else render_complaint_news(complaint, step)


def retry_after(exc: RetryAfter) -> dt.timedelta:
    """How long Telegram asked us to wait (an int today, a timedelta in PTB's future)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait if isinstance(wait, dt.timedelta) else dt.timedelta(seconds=float(wait))


async def _send_all(
    deps: Deps,
    bot: Bot,
    events: list[Claimed],
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
) -> bool:
    """One message for these events, with the outbox told how it went; True when sent."""
    now = tehran_now()
    try:
        await bot.send_message(chat_id, text, reply_markup=keyboard)
    except Forbidden as exc:  # blocked by the citizen, or removed from the group
        log.warning("chat %s refuses messages: %s", chat_id, exc)
        for event in events:
            await delivered(deps.sessions, event, now, f"not delivered: {exc}")
    except RetryAfter as exc:  # Telegram says when: wait exactly that, no failure counted
        count_postponed()
        await postpone(deps.sessions, events, now + retry_after(exc))
    except TelegramError as exc:
        log.warning("message to chat %s failed: %s", chat_id, exc)
        for event in events:
            await failed(deps.sessions, event, now, str(exc))
    else:
        for event in events:
            await delivered(deps.sessions, event, now)
        return True
    return False


class GroupPace:
    """Telegram's limits for one chat, kept by this process: a message a second, and about
    twenty a minute into a group (one is kept in reserve for staff's own commands)."""

    def __init__(self, per_minute: int = 19, gap: float = 1.0) -> None:
        self.per_minute, self.gap = per_minute, gap
        self._sent: dict[int, deque[float]] = defaultdict(deque)

    def wait(self, chat_id: int) -> float:
        """Seconds before the next message may go to the chat (0: now)."""
        now = time.monotonic()
        sent = self._sent[chat_id]
        while sent and sent[0] <= now - 60:
            sent.popleft()
        waits = [0.0]
        if sent:
            waits.append(sent[-1] + self.gap - now)
        if len(sent) >= self.per_minute:
            waits.append(sent[0] + 60 - now)
        return max(waits)

    def note(self, chat_id: int) -> None:
        self._sent[chat_id].append(time.monotonic())


PACE = GroupPace()


async def deliver_to_staff(deps: Deps, bot: Bot, pace: GroupPace = PACE) -> int:
    """One round over the events for office groups: each group gets at most one message a
    round, within its pace; several due events for one group go as one digest. Nothing is
    dropped: what cannot go now is postponed (not counted as a failure)."""
    now = tehran_now()
    by_chat: dict[int, list[tuple[Claimed, BookingView, ServiceDetails]]] = defaultdict(list)
    for event in await claim_due(
        deps.sessions, "staff_chat", WORKER, now, lease=deps.settings.outbox_lease
    ):
        booking = await booking_by_id(deps.sessions, event.booking_id) if event.booking_id else None
        chat_id = await office_chat(deps.sessions, booking.office_id) if booking else None
        service = await service_details(deps.sessions, booking.service_key) if booking else None
        if booking is None or chat_id is None or service is None:
            await delivered(deps.sessions, event, now, "no linked chat any more")
            continue
        by_chat[chat_id].append((event, booking, service))
    sent = 0
    for chat_id, items in by_chat.items():
        wait = pace.wait(chat_id)
        if wait > 0:
            await postpone(
                deps.sessions, [e for e, _, _ in items], now + dt.timedelta(seconds=wait)
            )
            continue
        if len(items) == 1:
            event, booking, service = items[0]
            message = render_for_staff(event.event_type, booking, service)
            if message is None:
                await delivered(deps.sessions, event, now, "nothing to say")
                continue
            text, keyboard = message
        else:
            text, keyboard = render_digest([(e.event_type, b) for e, b, _ in items])
        pace.note(chat_id)
        if await _send_all(deps, bot, [e for e, _, _ in items], chat_id, text, keyboard):
            sent += 1
    return sent


async def deliver_to_citizens(deps: Deps, bot: Bot) -> int:
    """One round over every due citizen event (after writing the asks for ratings that
    became due); returns how many messages went out."""
    now = tehran_now()
    await queue_rating_asks(deps.sessions, now)
    sent = 0
    for event in await claim_due(
        deps.sessions, "citizen", WORKER, now, lease=deps.settings.outbox_lease
    ):
        notice = await _notice(deps, event)
        if notice is None:
            await delivered(deps.sessions, event, now, "nothing to say any more")
            continue
        sent += await _send_all(deps, bot, [event], notice.chat_id, notice.text, notice.keyboard)
    return sent


async def deliver_to_supervisors(deps: Deps, bot: Bot, pace: GroupPace = PACE) -> int:
    """One round over new complaints for supervisor chats (an event per chat), within each
    chat's pace; a chat that no longer covers the office (unlinked since) gets nothing."""
    now = tehran_now()
    sent = 0
    for event in await claim_due(
        deps.sessions, "supervisor", WORKER, now, lease=deps.settings.outbox_lease
    ):
        chat_id = int(event.payload.get("chat_id", 0))
        complaint_id = int(event.payload.get("complaint_id", 0))
        view = await visible_in_chat(deps.sessions, complaint_id, chat_id)
        if view is None:
            await delivered(deps.sessions, event, now, "no supervisor chat covers it any more")
            continue
        wait = pace.wait(chat_id)
        if wait > 0:
            await postpone(deps.sessions, [event], now + dt.timedelta(seconds=wait))
            continue
        text, keyboard = render_for_supervisor(view)
        pace.note(chat_id)
        sent += await _send_all(deps, bot, [event], chat_id, text, keyboard)
    return sent
