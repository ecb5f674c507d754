"""Delivers what the outbox holds for citizens (reminders, news of their request or
complaint, the ask for a rating), office groups and supervisor chats, each through the
messenger its chat is on: claimed under a lease, marked delivered, retried with backoff."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import time
import warnings
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.gateway import messenger_of
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
from services.identity import TELEGRAM, ChatRef
from services.outbox import Claimed, claim_due, delivered, failed, postpone
from services.staff import CardPlace, card_of, office_chat, remember_card

log = logging.getLogger(__name__)

Result = TypeVar("Result")

# An event for a chat on a messenger this process does not serve (its token not set, for
# now) waits this long before it is looked at again: nothing is dropped.
UNSERVED_WAIT = dt.timedelta(minutes=5)

Served = Mapping[str, Messenger] | Messenger | Bot


def served(messengers: Served) -> Mapping[str, Messenger]:
    """Every messenger served, by name (a lone Messenger or Bot: scripts and tests)."""
    if isinstance(messengers, Mapping):
        return messengers
    messenger = messenger_of(messengers)
    return {messenger.capabilities.name: messenger}


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


async def _unserved(deps: Deps, events: list[Claimed], chat: ChatRef) -> None:
    log.warning("%d event(s) wait: this process does not serve %s", len(events), chat.messenger)
    await postpone(deps.sessions, events, tehran_now() + UNSERVED_WAIT)


async def _deliver(
    deps: Deps, events: list[Claimed], chat: ChatRef, attempt: Callable[[], Awaitable[Result]]
) -> Result | None:
    """One call to the chat's messenger for these events, with the outbox told how it
    went; its result when it went through."""
    now = tehran_now()
    try:
        result = await attempt()
    except Forbidden as exc:  # blocked by the citizen, or removed from the group
        log.warning("%s chat %s refuses messages: %s", chat.messenger, chat.chat_id, exc)
        for event in events:
            await delivered(deps.sessions, event, now, f"not delivered: {exc}")
    except RetryAfter as exc:  # the messenger says when: wait exactly that, no failure counted
        count_postponed()
        await postpone(deps.sessions, events, now + retry_after(exc))
    except TelegramError as exc:
        log.warning("message to %s chat %s failed: %s", chat.messenger, chat.chat_id, exc)
        for event in events:
            await failed(deps.sessions, event, now, str(exc))
    else:
        for event in events:
            await delivered(deps.sessions, event, now)
        return result
    return None


async def _send_all(
    deps: Deps,
    messengers: Mapping[str, Messenger],
    events: list[Claimed],
    chat: ChatRef,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
) -> Sent | None:
    """One message for these events through the chat's messenger, with the outbox told
    how it went; the message sent."""
    messenger = messengers.get(chat.messenger)
    if messenger is None:
        await _unserved(deps, events, chat)
        return None

    async def send() -> Sent:
        return await messenger.say(chat.chat_id, text, keyboard)

    return await _deliver(deps, events, chat, send)


class GroupPace:
    """Telegram's limits for one chat, kept by this process: a message a second, and about
    twenty a minute into a group (one is kept in reserve for staff's own commands)."""

    def __init__(self, per_minute: int = 19, gap: float = 1.0) -> None:
        self.per_minute, self.gap = per_minute, gap
        self._sent: dict[ChatRef, deque[float]] = defaultdict(deque)

    def wait(self, chat: ChatRef) -> float:
        """Seconds before the next message may go to the chat (0: now)."""
        now = time.monotonic()
        sent = self._sent[chat]
        while sent and sent[0] <= now - 60:
            sent.popleft()
        waits = [0.0]
        if sent:
            waits.append(sent[-1] + self.gap - now)
        if len(sent) >= self.per_minute:
            waits.append(sent[0] + 60 - now)
        return max(waits)

    def note(self, chat: ChatRef) -> None:
        self._sent[chat].append(time.monotonic())


PACE = GroupPace()


@dataclass(frozen=True)
class _ForStaff:
    event: Claimed
    booking: BookingView  # as it is now, with its timeline
    service: ServiceDetails
    card: CardPlace | None  # the booking's card in the chat, when the event redraws it


async def _for_staff(deps: Deps, event: Claimed) -> tuple[ChatRef, _ForStaff] | None:
    """The office chat an event goes to and what it needs there; None: nowhere any more."""
    if event.booking_id is None:
        return None
    booking = await booking_by_id(deps.sessions, event.booking_id, with_timeline=True)
    chat = await office_chat(deps.sessions, booking.office_id) if booking else None
    service = await service_details(deps.sessions, booking.service_key) if booking else None
    if booking is None or chat is None or service is None:
        return None
    card = await card_of(deps.sessions, booking.id) if event.event_type in CARD_EVENTS else None
    if card is not None and ChatRef(card.messenger, card.chat_id) != chat:
        card = None  # the office linked another chat since: the card there is drawn anew
    return chat, _ForStaff(event, booking, service, card)


async def deliver_to_staff(deps: Deps, messengers: Served, pace: GroupPace = PACE) -> int:
    """One round over the events for office groups: each group gets at most one call a
    round, within its pace, the oldest event first. A booking that has a card there gets it
    edited to show the booking as it is now (all its events at once); the others go as a
    message, several as one digest. Nothing is dropped: what cannot go now is postponed
    (not counted as a failure)."""
    by_name = served(messengers)
    now = tehran_now()
    by_chat: dict[ChatRef, list[_ForStaff]] = defaultdict(list)
    for event in await claim_due(
        deps.sessions, "staff_chat", WORKER, now, lease=deps.settings.outbox_lease
    ):
        found = await _for_staff(deps, event)
        if found is None:
            await delivered(deps.sessions, event, now, "no linked chat any more")
            continue
        by_chat[found[0]].append(found[1])
    sent = 0
    for chat, items in by_chat.items():
        messenger = by_name.get(chat.messenger)
        if messenger is None:
            await _unserved(deps, [i.event for i in items], chat)
            continue
        wait = pace.wait(chat)
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
        pace.note(chat)
        if first.card is not None:
            sent += await _redraw_card(deps, by_name, messenger, now_items, first.card, pace)
        else:
            sent += await _post(deps, by_name, now_items, chat)
    return sent


async def _post(
    deps: Deps, messengers: Mapping[str, Messenger], items: list[_ForStaff], chat: ChatRef
) -> bool:
    """New messages: one event's (a card, when it is about the booking's state), or a
    digest of several."""
    if len(items) > 1:
        text, keyboard = render_digest([(i.event.event_type, i.booking) for i in items])
        return (
            await _send_all(deps, messengers, [i.event for i in items], chat, text, keyboard)
            is not None
        )
    (item,) = items
    message = render_for_staff(item.event.event_type, item.booking, item.service)
    if message is None:
        await delivered(deps.sessions, item.event, tehran_now(), "nothing to say")
        return False
    sent = await _send_all(deps, messengers, [item.event], chat, *message)
    if sent is None:
        return False
    if item.event.event_type in CARD_EVENTS:
        place = CardPlace(chat.messenger, chat.chat_id, sent.message_id)
        old = await remember_card(deps.sessions, item.booking.id, place, tehran_now())
        if old is not None:
            await disable_card(messengers, old)
    return True


async def _redraw_card(
    deps: Deps,
    messengers: Mapping[str, Messenger],
    messenger: Messenger,
    items: list[_ForStaff],
    card: CardPlace,
    pace: GroupPace,
) -> bool:
    """The booking's card shows it as it is now; where Telegram no longer lets us edit it
    (deleted, too old), the card is posted anew and the old one loses its buttons."""
    booking = items[-1].booking
    text, keyboard = staff_card(booking, items[-1].service)

    chat = ChatRef(card.messenger, card.chat_id)

    async def edit_or_post() -> CardPlace:
        shown = await messenger.edit(card.chat_id, card.message_id, text, keyboard)
        return CardPlace(card.messenger, shown.chat_id, shown.message_id)

    now_at = await _deliver(deps, [i.event for i in items], chat, edit_or_post)
    if now_at is None:
        return False
    if now_at != card:
        await remember_card(deps.sessions, booking.id, now_at, tehran_now())
        pace.note(chat)
        await disable_card(messengers, card)
    return True


async def deliver_to_citizens(deps: Deps, messengers: Served) -> int:
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
            deps, served(messengers), [event], notice.chat, notice.text, notice.keyboard
        )
        sent += message is not None
    return sent


async def deliver_to_supervisors(deps: Deps, messengers: Served, pace: GroupPace = PACE) -> int:
    """One round over new complaints for supervisor chats (an event per chat), within each
    chat's pace; a chat that no longer covers the office (unlinked since) gets nothing."""
    now = tehran_now()
    sent = 0
    for event in await claim_due(
        deps.sessions, "supervisor", WORKER, now, lease=deps.settings.outbox_lease
    ):
        # Events from before other messengers name no messenger: Telegram's, then.
        chat = ChatRef(
            str(event.payload.get("messenger", TELEGRAM)), int(event.payload.get("chat_id", 0))
        )
        complaint_id = int(event.payload.get("complaint_id", 0))
        view = await visible_in_chat(deps.sessions, complaint_id, chat)
        if view is None:
            await delivered(deps.sessions, event, now, "no supervisor chat covers it any more")
            continue
        wait = pace.wait(chat)
        if wait > 0:
            await postpone(deps.sessions, [event], now + dt.timedelta(seconds=wait))
            continue
        text, keyboard = render_for_supervisor(view)
        pace.note(chat)
        sent += await _send_all(deps, served(messengers), [event], chat, text, keyboard) is not None
    return sent
