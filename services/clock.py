"""Time as citizens and counters live it: Asia/Tehran (UTC+03:30, no DST since 1402)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import jdatetime

TEHRAN = ZoneInfo("Asia/Tehran")

# Operators type dates with Persian or Arabic-Indic digits as often as Latin ones.
LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_JALALI_MOMENT = re.compile(
    r"(?P<year>[0-9]{4})[/-](?P<month>[0-9]{1,2})[/-](?P<day>[0-9]{1,2})"
    r"(?:\s+(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}))?"
)


def tehran_now() -> dt.datetime:
    return dt.datetime.now(TEHRAN)


def tehran_today() -> dt.date:
    return tehran_now().date()


def jalali_year(day: dt.date) -> int:
    """The Jalali (solar hijri) year a day falls in: fees and budgets are set per year."""
    return int(jdatetime.date.fromgregorian(date=day).year)


def next_midnight(moment: dt.datetime) -> dt.datetime:
    """The end of the Tehran day ``moment`` falls on (the next day's 00:00)."""
    day = moment.astimezone(TEHRAN).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0, 0), TEHRAN)


def jalali_moment(text: str, *, end_of_day: bool = False) -> dt.datetime:
    """``1405/09/10`` or ``1405/09/10 08:00`` (Persian digits welcome) as a Tehran moment.

    A date alone means the start of that day, or with ``end_of_day`` its end, so that
    "until 1405/09/12" includes the 12th. A ValueError says what was wrong, for the operator.
    """
    match = _JALALI_MOMENT.fullmatch(text.strip().translate(LATIN_DIGITS))
    if match is None:
        raise ValueError(f"{text!r} is not a Jalali date like 1405/09/10 or 1405/09/10 08:00")
    try:
        day = jdatetime.date(
            int(match["year"]), int(match["month"]), int(match["day"])
        ).togregorian()
    except ValueError:
        raise ValueError(f"{text!r} is not a day of the Jalali calendar") from None
    if match["hour"] is None:
        start = dt.datetime.combine(day, dt.time(0, 0), TEHRAN)
        return next_midnight(start) if end_of_day else start
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} has no such time of day (00:00 to 23:59)")
    return dt.datetime.combine(day, dt.time(hour, minute), TEHRAN)


def jalali_text(moment: dt.datetime) -> str:
    """A moment as an operator types it (``1405/09/10 08:00``, Tehran time): what
    ``jalali_moment`` reads back."""
    local = moment.astimezone(TEHRAN)
    return f"{jdatetime.date.fromgregorian(date=local.date()):%Y/%m/%d} {local:%H:%M}"
