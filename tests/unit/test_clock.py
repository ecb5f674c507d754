"""Operators write Jalali dates the way they are printed in a circular, often in Persian digits."""

from __future__ import annotations

import datetime as dt

import pytest

from services.clock import TEHRAN, jalali_moment, jalali_text, next_midnight


def tehran(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TEHRAN)


def test_a_date_is_the_start_of_that_day_in_tehran() -> None:
    assert jalali_moment("1405/09/07") == tehran(2026, 11, 28)
    assert jalali_moment("1405/09/07").utcoffset() == dt.timedelta(hours=3, minutes=30)


@pytest.mark.parametrize(
    "text", ["۱۴۰۵/۰۹/۰۷ ۰۸:۳۰", "١٤٠٥/٠٩/٠٧ ٠٨:٣٠", "1405-9-7 8:30", "  1405/09/07   08:30 "]
)
def test_persian_and_arabic_digits_dashes_and_spaces_are_all_read(text: str) -> None:
    assert jalali_moment(text) == tehran(2026, 11, 28, 8, 30)


def test_as_an_end_a_date_alone_includes_that_whole_day_but_a_time_is_exact() -> None:
    assert jalali_moment("1405/09/07", end_of_day=True) == tehran(2026, 11, 29)
    assert jalali_moment("1405/09/07 12:00", end_of_day=True) == tehran(2026, 11, 28, 12)


def test_the_last_day_of_a_leap_esfand_exists_and_the_year_after_it_does_not() -> None:
    assert jalali_moment("1403/12/30") == tehran(2025, 3, 20)
    with pytest.raises(ValueError, match="not a day of the Jalali calendar"):
        jalali_moment("1404/12/30")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1405/13/01", "not a day of the Jalali calendar"),
        ("1405/07/31", "not a day of the Jalali calendar"),  # Mehr has 30 days
        ("1405/09/07 24:00", "no such time of day"),
        ("1405/09/07 08:60", "no such time of day"),
        ("1405/09", "not a Jalali date like 1405/09/10"),
        ("فردا", "not a Jalali date like 1405/09/10"),
        ("1405/09/07 08:00:00", "not a Jalali date like 1405/09/10"),
        ("1405/09/07 8", "not a Jalali date like 1405/09/10"),
        ("", "not a Jalali date like 1405/09/10"),
    ],
)
def test_an_unreadable_date_says_what_is_wrong_and_quotes_it(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as refused:
        jalali_moment(text)
    assert repr(text) in str(refused.value)


def test_next_midnight_is_the_end_of_the_tehran_day_even_from_utc() -> None:
    # 22:00 UTC on the 27th is already 01:30 on the 28th in Tehran.
    late = dt.datetime(2026, 11, 27, 22, 0, tzinfo=dt.UTC)
    assert next_midnight(late) == tehran(2026, 11, 29)
    assert next_midnight(tehran(2026, 11, 28)) == tehran(2026, 11, 29)


def test_a_moment_is_written_as_the_operator_types_it_and_reads_back() -> None:
    moment = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)  # 12:00 in Tehran (UTC+3:30)
    assert jalali_text(moment) == "1405/09/10 12:00"
    assert jalali_moment(jalali_text(moment)) == moment
