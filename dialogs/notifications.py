"""What the bot sends on its own: reminders and news of a request, rendered from an outbox
event and the booking as it is now (a reminder for a time that changed is not sent)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup

from dialogs import texts
from dialogs.callbacks import MyBooking, ServicePick, TrackCode
from dialogs.documents import documents_text
from dialogs.feedback import ask_keyboard, ask_text
from dialogs.formatting import fa_day, fa_time
from dialogs.keyboards import button
from nlp.tracking import format_tracking_code
from services.booking import BookingView
from services.catalogue import ServiceDetails
from services.clock import tehran_now
from services.complaints import ComplaintStep, ComplaintView
from services.feedback import ASK
from services.identity import ChatRef
from services.scheduling import BookingRules


@dataclass(frozen=True)
class Notice:
    """A message for a citizen's chat, on the messenger they used."""

    chat: ChatRef
    text: str
    keyboard: InlineKeyboardMarkup | None


def render(
    event_type: str,
    payload: dict[str, Any],
    view: BookingView,
    service: ServiceDetails,
    rules: BookingRules,
) -> Notice | None:
    """The message for an event, or None when there is nothing to say any more."""
    now = tehran_now()
    fields = {
        "code": format_tracking_code(view.tracking_code),
        "service": view.service_name,
        "office": view.office_name,
        "address": view.office_address,
        "day": fa_day(view.starts_at.date(), now.date()),
        "time": fa_time(view.starts_at),
    }
    if event_type.startswith("reminder."):
        planned = dt.datetime.fromisoformat(str(payload.get("starts_at")))
        if not view.active or planned != view.starts_at:
            return None  # cancelled or moved: its own reminders were written with the move
        # Only what can still be done: past the cut-off a cancel button would only refuse.
        buttons = []
        if rules.may_still_cancel(view.starts_at, now):
            buttons.append(button(texts.MY_CANCEL, MyBooking("cancel", view.id)))
        if event_type == "reminder.hour_before":
            text = texts.REMIND_HOUR_BEFORE.format(**fields)
            buttons.insert(0, button(texts.ON_MY_WAY, MyBooking("on_way", view.id)))
        else:
            text = texts.REMIND_DAY_BEFORE.format(**fields, documents=documents_text(service))
        return Notice(
            ChatRef(view.messenger, view.chat_id),
            text,
            InlineKeyboardMarkup([buttons]) if buttons else None,
        )
    if event_type == "booking.office_closed":
        if not view.active:
            return None
        text = texts.OFFICE_CLOSED_NOTICE.format(reason=payload.get("reason", ""), **fields)
        keyboard = InlineKeyboardMarkup(
            [
                [
                    button(texts.MY_RESCHEDULE, MyBooking("reschedule", view.id)),
                    button(texts.MY_CANCEL, MyBooking("cancel", view.id)),
                ]
            ]
        )
        return Notice(ChatRef(view.messenger, view.chat_id), text, keyboard)
    if event_type == ASK:
        if view.status == "cancelled":
            return None
        return Notice(ChatRef(view.messenger, view.chat_id), ask_text(view), ask_keyboard(view.id))
    if event_type == "request.status_changed":
        status = str(payload.get("status", view.status))
        note = next(
            (e.note_fa for e in reversed(view.timeline) if e.status == status and e.note_fa), ""
        )
        if status == "cancelled":
            return _cancelled_by_office(view, fields, note)
        text = texts.STATUS_CHANGED.format(status=texts.STATUS_NAMES.get(status, status), **fields)
        if note:
            text += texts.STATUS_CHANGED_NOTE.format(note=note)
        keyboard = InlineKeyboardMarkup(
            [[button(texts.TRACK_BUTTON, TrackCode(view.tracking_code))]]
        )
        return Notice(ChatRef(view.messenger, view.chat_id), text, keyboard)
    return None


def _cancelled_by_office(view: BookingView, fields: dict[str, str], reason: str) -> Notice:
    """The office cancelled: why, and a button to book the same service again."""
    text = texts.STAFF_CANCELLED_NOTICE.format(
        reason=reason or texts.OFFICE_CANCEL_NO_REASON, **fields
    )
    keyboard = InlineKeyboardMarkup(
        [
            [button(texts.BOOK_AGAIN, ServicePick("book", view.service_key))],
            [button(texts.TRACK_BUTTON, TrackCode(view.tracking_code))],
        ]
    )
    return Notice(ChatRef(view.messenger, view.chat_id), text, keyboard)


def render_complaint_news(view: ComplaintView, step: ComplaintStep) -> Notice:
    """A supervisor's step on the citizen's complaint (a reply carries its words)."""
    code = format_tracking_code(view.code)
    text = texts.COMPLAINT_NEWS.format(
        code=code,
        office=view.office_name,
        step=texts.COMPLAINT_STEP_NAMES.get(step.kind, step.kind),
    )
    if step.note:
        text += texts.COMPLAINT_NEWS_NOTE.format(note=step.note)
    keyboard = InlineKeyboardMarkup([[button(texts.TRACK_BUTTON, TrackCode(view.code))]])
    return Notice(ChatRef(view.messenger, view.chat_id), text, keyboard)
