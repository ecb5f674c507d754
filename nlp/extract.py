"""Structured data from raw citizen text, before any normalization touches it.

National codes (with their checksum), Iranian mobile numbers (any common form, one canonical
result), tracking codes, and Jalali dates and times as people write them.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field

import jdatetime
import phonenumbers

from nlp.digits import fold_digits
from nlp.tracking import find_tracking_codes

_SEPARATORS = re.compile(r"[\s\-‌()._]+")
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s\-‌()._]{0,2}\d)*")  # digits with what people type inside

# --- national code -------------------------------------------------------------------------


class NationalCodeProblem(enum.Enum):
    """Why a typed national code was refused, so the citizen can be told precisely."""

    NOT_TEN_DIGITS = "not_ten_digits"
    CHECKSUM = "checksum"
    PLACEHOLDER = "placeholder"  # 1111111111 and the like pass the checksum but are not real


def national_code_problem(digits: str) -> NationalCodeProblem | None:
    """None when ``digits`` (ASCII, 10 of them) is a valid national code."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return NationalCodeProblem.NOT_TEN_DIGITS
    if len(set(digits)) == 1 or digits[3:9] == "000000":
        return NationalCodeProblem.PLACEHOLDER
    return None if digits[9] == check_digit(digits[:9]) else NationalCodeProblem.CHECKSUM


def check_digit(body: str) -> str:
    """The tenth digit of a national code: weights 10…2 over the first nine, mod 11."""
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
    return str(remainder if remainder < 2 else 11 - remainder)


def parse_national_code(text: str) -> tuple[str | None, NationalCodeProblem | None]:
    """A reply to "your national code?": the code, or why it is not one."""
    digits = _SEPARATORS.sub("", fold_digits(text.strip()))
    problem = national_code_problem(digits)
    return (None, problem) if problem else (digits, None)


def find_national_codes(text: str) -> list[str]:
    """Valid national codes anywhere in free text."""
    found = []
    for run in _DIGIT_RUN.findall(fold_digits(text)):
        digits = _SEPARATORS.sub("", run)
        if national_code_problem(digits) is None and digits not in found:
            found.append(digits)
    return found


# --- mobile --------------------------------------------------------------------------------

_MOBILE = re.compile(r"^(?:\+98|0098|98|0)?(9\d{9})$")


def parse_mobile(text: str) -> str | None:
    """An Iranian mobile number in any common form → ``09xxxxxxxxx``; None otherwise."""
    digits = _SEPARATORS.sub("", fold_digits(text.strip()))
    match = _MOBILE.match(digits)
    if match is None:
        return None
    number = phonenumbers.parse("+98" + match.group(1))
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        return None
    return "0" + match.group(1)


def find_mobiles(text: str) -> list[str]:
    found = []
    for run in _DIGIT_RUN.findall(fold_digits(text)):
        mobile = parse_mobile(run)
        if mobile is not None and mobile not in found:
            found.append(mobile)
    return found


def holds_personal_number(text: str) -> bool:
    """Whether free text carries a national code or a mobile number, which must not stay
    in a chat's history unread."""
    return bool(find_national_codes(text) or find_mobiles(text))


# --- dates and times -----------------------------------------------------------------------

JALALI_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
# jdatetime: Saturday is 0.
_WEEKDAYS = {
    "شنبه": 0,
    "یکشنبه": 1,
    "دوشنبه": 2,
    "سه شنبه": 3,
    "سشنبه": 3,
    "چهارشنبه": 4,
    "چارشنبه": 4,
    "پنجشنبه": 5,
    "پنج شنبه": 5,
    "جمعه": 6,
}
_RELATIVE_DAYS = {"امروز": 0, "فردا": 1, "پس فردا": 2, "پسفردا": 2, "emrooz": 0, "farda": 1}
NUMBER_WORDS = {
    "یک": 1,
    "یه": 1,
    "دو": 2,
    "سه": 3,
    "چهار": 4,
    "چار": 4,
    "پنج": 5,
    "شش": 6,
    "شیش": 6,
    "هفت": 7,
    "هشت": 8,
    "نه": 9,
    "ده": 10,
    "یازده": 11,
    "دوازده": 12,
}


def _date_text(text: str) -> str:
    """Digits in ASCII, Arabic letters folded, half-spaces as spaces, for date patterns."""
    text = fold_digits(text).replace("ي", "ی").replace("ك", "ک").replace("‌", " ")
    return " ".join(text.split())


def _alternation(words: object) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))  # type: ignore[call-overload]


_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{2,4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?!\d)")
_MONTH_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*(?:ام|م)?\s*({_alternation((*JALALI_MONTHS, 'امرداد'))})"
    r"(?:\s*(?:ماه)?\s*(\d{4}))?"
)
_WEEKDAY = re.compile(rf"(?<![\w])({_alternation(_WEEKDAYS)})(?![\w])")
_RELATIVE = re.compile(rf"(?<![\w])({_alternation(_RELATIVE_DAYS)})(?![\w])", re.IGNORECASE)
_HOUR_WORD = _alternation(NUMBER_WORDS)
_CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-3])\s*:\s*([0-5]\d)(?!\d)")
_SPOKEN_TIME = re.compile(
    rf"(?:ساعت\s*)?(?<![\w/])(\d{{1,2}}|{_HOUR_WORD})(?![\w/])"
    r"(?:\s*و\s*(نیم|ربع|(\d{1,2})\s*دقیقه))?"
    r"\s*(صبح|ظهر|بعد از ظهر|بعدازظهر|عصر|شب)?"
)


@dataclass(frozen=True)
class DateMention:
    """A day a citizen named, as a Gregorian date (convert to Jalali for display)."""

    date: dt.date
    text: str  # the words it came from


def _jalali(year: int, month: int, day: int) -> dt.date | None:
    try:
        return jdatetime.date(year, month, day).togregorian()  # type: ignore[no-any-return]
    except ValueError:
        return None


def find_date(text: str, today: dt.date) -> DateMention | None:
    """The first day named in the text: ``۱۴۰۵/۹/۵``, ``۵ آذر``, ``فردا``, ``شنبه``…

    A day and month without a year mean the next such day from ``today``; a weekday means
    the next such weekday after today.
    """
    text = _date_text(text)
    jtoday = jdatetime.date.fromgregorian(date=today)
    if match := _NUMERIC_DATE.search(text):
        year, month, day = (int(g) for g in match.groups())
        if year < 100:
            year += 1400
        if 1900 <= year <= 2100:
            try:
                found: dt.date | None = dt.date(year, month, day)
            except ValueError:
                found = None
        else:
            found = _jalali(year, month, day)
        if found is not None:
            return DateMention(found, match.group())
    if match := _MONTH_DATE.search(text):
        day = int(match.group(1))
        name = "مرداد" if match.group(2) == "امرداد" else match.group(2)
        month = JALALI_MONTHS.index(name) + 1
        if match.group(3):
            dated = _jalali(int(match.group(3)), month, day)
        else:
            dated = _jalali(jtoday.year, month, day)
            if dated is not None and dated < today:
                dated = _jalali(jtoday.year + 1, month, day)
        if dated is not None:
            return DateMention(dated, match.group())
    if match := _RELATIVE.search(text):
        offset = _RELATIVE_DAYS[match.group(1).lower()]
        return DateMention(today + dt.timedelta(days=offset), match.group())
    if match := _WEEKDAY.search(text):
        wanted = _WEEKDAYS[match.group(1)]
        ahead = (wanted - jtoday.weekday()) % 7 or 7
        return DateMention(today + dt.timedelta(days=ahead), match.group())
    return None


_AFTERNOON = {"ظهر", "بعد از ظهر", "بعدازظهر", "عصر", "شب"}


def find_time(text: str) -> dt.time | None:
    """The first time of day named: ``10:30``, ``ساعت ۱۰ و نیم``, ``۴ بعدازظهر``.

    A bare hour from 1 to 6 means the afternoon: counters do not open before 7.
    """
    text = _date_text(text)
    if match := _CLOCK.search(text):
        return dt.time(int(match.group(1)), int(match.group(2)))
    for match in _SPOKEN_TIME.finditer(text):
        said_hour = "ساعت" in match.group() or match.group(2) or match.group(4)
        if not said_hour:
            continue  # a lone number is not a time
        raw = match.group(1)
        hour = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
        minute = {"نیم": 30, "ربع": 15}.get(match.group(2) or "", 0)
        if match.group(3):
            minute = int(match.group(3))
        part = match.group(4)
        if (part in _AFTERNOON and hour < 12) or (part is None and 1 <= hour <= 6):
            hour += 12
        if part == "ظهر" and hour == 24:
            hour = 12
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return dt.time(hour, minute)
    return None


# --- everything at once --------------------------------------------------------------------


@dataclass(frozen=True)
class Extracted:
    """What a message holds besides words."""

    national_codes: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    tracking_codes: list[str] = field(default_factory=list)
    date: DateMention | None = None
    time: dt.time | None = None


def extract(text: str, today: dt.date) -> Extracted:
    return Extracted(
        national_codes=find_national_codes(text),
        mobiles=find_mobiles(text),
        tracking_codes=find_tracking_codes(text),
        date=find_date(text, today),
        time=find_time(text),
    )
