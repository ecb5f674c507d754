"""Persian presentation helpers: digits, numbers and names as a citizen reads them."""

from __future__ import annotations

import datetime as dt

import jdatetime

from dialogs import texts
from nlp.extract import JALALI_MONTHS

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def fa_digits(value: object) -> str:
    """Any value as text with Persian digits (۱۲۳ instead of 123)."""
    return str(value).translate(_TO_PERSIAN)


def fa_number(value: int) -> str:
    """A whole number with Persian digits and the Persian thousands separator (۱٬۲۵۰٬۰۰۰)."""
    return fa_digits(f"{value:,}").replace(",", "٬")


def first_name_suffix(name: str | None) -> str:
    """`` نام`` for a greeting, or nothing when Telegram gave no usable name."""
    name = (name or "").strip()
    return f" {name}" if name and len(name) <= 64 else ""


WEEKDAY_NAMES = ("شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه")


def fa_time(moment: dt.datetime | dt.time) -> str:
    """``۸:۳۰`` (local wall-clock time as given)."""
    return fa_digits(f"{moment.hour}:{moment.minute:02d}")


def fa_date(day: dt.date) -> str:
    """``شنبه ۸ آذر ۱۴۰۵``: the Jalali date with its weekday."""
    jalali = jdatetime.date.fromgregorian(date=day)
    weekday, month = WEEKDAY_NAMES[jalali.weekday()], JALALI_MONTHS[jalali.month - 1]
    return f"{weekday} {fa_digits(jalali.day)} {month} {fa_digits(jalali.year)}"


def fa_day(day: dt.date, today: dt.date) -> str:
    """``امروز``, ``فردا``, or the weekday and Jalali date (without the year)."""
    if day == today:
        return "امروز"
    if day == today + dt.timedelta(days=1):
        return "فردا"
    return fa_date(day).rsplit(" ", 1)[0]


def fa_km(kilometres: float) -> str:
    """``۲٫۳`` under 10 km, ``۱۲`` above (the Persian decimal separator)."""
    if kilometres < 10:
        return fa_digits(f"{kilometres:.1f}").replace(".", "٫")
    return fa_number(round(kilometres))


def fa_ago(moment: dt.datetime, now: dt.datetime) -> str:
    """How long ago: minutes, hours, and past a day the days with the Jalali date (of
    ``moment``'s own wall clock)."""
    passed = max(now - moment, dt.timedelta(0))
    if passed < dt.timedelta(minutes=1):
        return texts.AGO_NOW
    if passed < dt.timedelta(hours=1):
        return texts.AGO_MINUTES.format(minutes=fa_number(passed // dt.timedelta(minutes=1)))
    if passed < dt.timedelta(days=1):
        return texts.AGO_HOURS.format(hours=fa_number(passed // dt.timedelta(hours=1)))
    return texts.AGO_DAYS.format(days=fa_number(passed.days), date=fa_date(moment.date()))
