"""Reminders and the confirmation's promise of them: only what will be sent, and only
buttons that can still work."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs import texts
from dialogs.booking import done_text
from dialogs.notifications import render
from services.booking import REMINDERS, BookingView
from services.catalogue import Document, ServiceDetails
from services.clock import tehran_now
from services.identity import TELEGRAM
from services.scheduling import BookingRules

SERVICE = ServiceDetails(
    key="birth_certificate_replace",
    name_fa="تعویض شناسنامه",
    category_key="civil",
    networks_fa=("پیشخوان",),
    documents=(Document("اصل شناسنامه", ""),),
    fee=None,
    typical_duration_fa="",
    online=None,
    visit_required=True,
    essential=False,
    notes_fa="",
)


def _view(starts_at: dt.datetime) -> BookingView:
    return BookingView(
        id=7, tracking_code="P7K2M9QX", status="booked", office_id=1,
        office_name="دفتر پیشخوان ۱۲", office_address="خیابان آزادی", office_phone="",
        lat=35.7, lon=51.4, service_key=SERVICE.key, service_name=SERVICE.name_fa,
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=15),
        national_code_masked="۰۴۹*****۹۹", mobile_masked="۰۹۱۲***۴۵۶۷",
        reschedule_count=0, chat_id=42, messenger=TELEGRAM, user_id=42,
    )  # fmt: skip


def _reminder(kind: str, starts_at: dt.datetime, rules: BookingRules) -> tuple[str, list[str]]:
    notice = render(kind, {"starts_at": starts_at.isoformat()}, _view(starts_at), SERVICE, rules)
    assert notice is not None
    labels = [] if notice.keyboard is None else [
        b.text for row in notice.keyboard.inline_keyboard for b in row
    ]  # fmt: skip
    return notice.text, labels


def test_the_hour_before_reminder_offers_cancel_only_before_the_cut_off() -> None:
    starts = tehran_now() + dict(REMINDERS)["reminder.hour_before"]
    _, labels = _reminder("reminder.hour_before", starts, BookingRules(cancel_cutoff_minutes=60))
    assert labels == [texts.ON_MY_WAY]  # a cancel here could only be refused
    _, labels = _reminder("reminder.hour_before", starts, BookingRules(cancel_cutoff_minutes=30))
    assert labels == [texts.ON_MY_WAY, texts.MY_CANCEL]


def test_the_day_before_reminder_says_tomorrow_once_and_offers_cancel() -> None:
    starts = tehran_now() + dict(REMINDERS)["reminder.day_before"]
    text, labels = _reminder("reminder.day_before", starts, BookingRules())
    assert text.startswith("⏰ یادآوری: فردا ساعت ")
    assert text.count("فردا") == 1
    assert labels == [texts.MY_CANCEL]


@pytest.mark.parametrize(
    ("ahead", "promised"),
    [
        (
            dt.timedelta(days=3),
            texts.BOOK_REMINDERS[("reminder.day_before", "reminder.hour_before")],
        ),
        (dt.timedelta(hours=5), texts.BOOK_REMINDERS[("reminder.hour_before",)]),
    ],
)
def test_the_confirmation_promises_only_the_reminders_that_will_be_sent(
    ahead: dt.timedelta, promised: str
) -> None:
    text = done_text(_view(tehran_now() + ahead), SERVICE)
    assert text.endswith(promised)
    if ahead < dt.timedelta(days=1):
        assert "یک روز" not in text


def test_a_booking_within_the_hour_is_promised_no_reminder() -> None:
    text = done_text(_view(tehran_now() + dt.timedelta(minutes=50)), SERVICE)
    assert "یادآوری" not in text
