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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.gateway import Target, messenger_of  # SHIM: Target until delivery takes a Mapping
from bot.metrics import count_postponed
from dialogs.context import Deps
from dialogs.messenger import Messenger, Sent
from dialogs.notifications import Notice, render, render_complaint_news
from dialogs.staff import CARD_EVENTS, disable_card, render_digest, render_for_staff, staff_card
from dialogs.supervision import render_for_supervisor
from services.booking import BookingView, booking_by_id
from services.catalogue import ServiceDetails, service_details
from services.clock import tehran_now
from services.complaints import complaint_by_id, complaint_step, visible_in_chat
from services.feedback import queue_rating_asks
from services.outbox import Claimed, claim_due, delivered, failed, postpone
from services.staff import CardPlace, card_of, office_chat, remember_card

log = logging.getLogger(__name__)

Result = TypeVar("Result")

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


async def _deliver(
    deps: Deps, events: list[Claimed], chat_id: int, attempt: Callable[[], Awaitable[Result]]
) -> Result | None:
    """One call to Telegram for these events, with the outbox told how it went; its result
    when it went through."""
    now = tehran_now()
    try:
        result = await attempt()
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
        return result
    return None


async def _send_all(
    deps: Deps,
    messenger: Messenger,
    events: list[Claimed],
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
) -> Sent | None:
    """One message for these events, with the outbox told how it went; the message sent."""

    async def send() -> Sent:
        return await messenger.say(chat_id, text, keyboard)

    return await _deliver(deps, events, chat_id, send)


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


@dataclass(frozen=True)
class _ForStaff:
    event: Claimed
    booking: BookingView  # as it is now, with its timeline
    service: ServiceDetails
    card: CardPlace | None  # the booking's card in the chat, when the event redraws it


async def _for_staff(deps: Deps, event: Claimed) -> tuple[int, _ForStaff] | None:
    """The office chat an event goes to and what it needs there; None: nowhere any more."""
    if event.booking_id is None:
        return None
    booking = await booking_by_id(deps.sessions, event.booking_id, with_timeline=True)
    chat_id = await office_chat(deps.sessions, booking.office_id) if booking else None
    service = await service_details(deps.sessions, booking.service_key) if booking else None
    if booking is None or chat_id is None or service is None:
        return None
    card = await card_of(deps.sessions, booking.id) if event.event_type in CARD_EVENTS else None
    if card is not None and card.chat_id != chat_id:
        card = None  # the office linked another chat since: the card there is drawn anew
    return chat_id, _ForStaff(event, booking, service, card)


async def deliver_to_staff(deps: Deps, bot: Target, pace: GroupPace = PACE) -> int:
    """One round over the events for office groups: each group gets at most one call a
    round, within its pace, the oldest event first. A booking that has a card there gets it
    edited to show the booking as it is now (all its events at once); the others go as a
    message, several as one digest. Nothing is dropped: what cannot go now is postponed
    (not counted as a failure)."""
    messenger = messenger_of(bot)
    now = tehran_now()
    by_chat: dict[int, list[_ForStaff]] = defaultdict(list)
    for event in await claim_due(
        deps.sessions, "staff_chat", WORKER, now, lease=deps.settings.outbox_lease
    ):
        found = await _for_staff(deps, event)
        if found is None:
            await delivered(deps.sessions, event, now, "no linked chat any more")
            continue
        by_chat[found[0]].append(found[1])
    sent = 0
    for chat_id, items in by_chat.items():
        wait = pace.wait(chat_id)
        if wait > 0:
            await postpone(
                deps.sessions, [i.event for i in items], now + dt.timedelta(seconds=wait)
            )
            continue
        first = items[0]
        if first.card is not None:
            now_items = [
                i for i in items if i.card is not None and i.booking.id == first.booking.id
            ]
        else:
            now_items = [i for i in items if i.card is None]
        later = [i.event for i in items if i not in now_items]
        if later:
            await postpone(deps.sessions, later, now + dt.timedelta(seconds=pace.gap))
        pace.note(chat_id)
        if first.card is not None:
            sent += await _redraw_card(deps, messenger, now_items, first.card, pace)
        else:
            sent += await _post(deps, messenger, now_items, chat_id)
    return sent


async def _post(deps: Deps, messenger: Messenger, items: list[_ForStaff], chat_id: int) -> bool:
    """New messages: one event's (a card, when it is about the booking's state), or a
    digest of several."""
    if len(items) > 1:
        text, keyboard = render_digest([(i.event.event_type, i.booking) for i in items])
        return (
            await _send_all(deps, messenger, [i.event for i in items], chat_id, text, keyboard)
            is not None
        )
    (item,) = items
    message = render_for_staff(item.event.event_type, item.booking, item.service)
    if message is None:
        await delivered(deps.sessions, item.event, tehran_now(), "nothing to say")
        return False
    sent = await _send_all(deps, messenger, [item.event], chat_id, *message)
    if sent is None:
        return False
    if item.event.event_type in CARD_EVENTS:
        old = await remember_card(
            deps.sessions, item.booking.id, CardPlace(chat_id, sent.message_id), tehran_now()
        )
        if old is not None:
            await disable_card(messenger, old)
    return True


async def _redraw_card(
    deps: Deps, messenger: Messenger, items: list[_ForStaff], card: CardPlace, pace: GroupPace
) -> bool:
    """The booking's card shows it as it is now; where Telegram no longer lets us edit it
    (deleted, too old), the card is posted anew and the old one loses its buttons."""
    booking = items[-1].booking
    text, keyboard = staff_card(booking, items[-1].service)

    async def edit_or_post() -> CardPlace:
        shown = await messenger.edit(card.chat_id, card.message_id, text, keyboard)
        return CardPlace(shown.chat_id, shown.message_id)

    now_at = await _deliver(deps, [i.event for i in items], card.chat_id, edit_or_post)
    if now_at is None:
        return False
    if now_at != card:
        await remember_card(deps.sessions, booking.id, now_at, tehran_now())
        pace.note(card.chat_id)
        await disable_card(messenger, card)
    return True


async def deliver_to_citizens(deps: Deps, bot: Target) -> int:
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
        message = await _send_all(
            deps, messenger_of(bot), [event], notice.chat_id, notice.text, notice.keyboard
        )
        sent += message is not None
    return sent


async def deliver_to_supervisors(deps: Deps, bot: Target, pace: GroupPace = PACE) -> int:
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
        sent += (
            await _send_all(deps, messenger_of(bot), [event], chat_id, text, keyboard) is not None
        )
    return sent
