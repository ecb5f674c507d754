"""What citizens type for codes, phones, dates and times is read the way a clerk would."""

from __future__ import annotations

import datetime as dt

import pytest

from nlp.extract import (
    NationalCodeProblem,
    find_date,
    find_mobiles,
    find_national_codes,
    find_time,
    parse_mobile,
    parse_national_code,
)
from nlp.tracking import (
    ALPHABET,
    find_tracking_codes,
    format_tracking_code,
    is_valid_tracking_code,
    looks_like_tracking_code,
    new_tracking_code,
)

# 1405/09/04, a Wednesday (چهارشنبه).
TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("0499370899", "0499370899"),
        ("0076229645", "0076229645"),
        ("1583250689", "1583250689"),
        ("۰۰۱۲۳۴۵۶۷۹", "0012345679"),
        ("٠٠١٢٣٤٥٦٧٩", "0012345679"),
        ("001-234567-9", "0012345679"),
        (" 001 234 5679 ", "0012345679"),
    ],
)
def test_valid_national_codes_in_any_digits_and_separators(typed: str, code: str) -> None:
    assert parse_national_code(typed) == (code, None)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("1111111111", NationalCodeProblem.PLACEHOLDER),
        ("0000000000", NationalCodeProblem.PLACEHOLDER),
        ("0012345678", NationalCodeProblem.CHECKSUM),
        ("12345", NationalCodeProblem.NOT_TEN_DIGITS),
        ("00123456790", NationalCodeProblem.NOT_TEN_DIGITS),
        ("کد ملیم", NationalCodeProblem.NOT_TEN_DIGITS),
    ],
)
def test_wrong_national_codes_say_why(typed: str, problem: NationalCodeProblem) -> None:
    assert parse_national_code(typed) == (None, problem)


def test_national_codes_are_found_inside_a_sentence() -> None:
    assert find_national_codes("سلام کد ملی من ۰۴۹۹۳۷۰۸۹۹ هست و ۱۱۱۱۱۱۱۱۱۱ نیست") == ["0499370899"]


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "+989121234567",
        "+98 912 123 4567",
        "0098-912-123-4567",
        "98 912 1234567",
        "9121234567",
        "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "(0912) 123-4567",
    ],
)
def test_mobiles_in_every_common_form_come_out_one_way(typed: str) -> None:
    assert parse_mobile(typed) == "09121234567"


@pytest.mark.parametrize("typed", ["02188776655", "0912123456", "091212345678", "09401234567"])
def test_landlines_wrong_lengths_and_unallocated_prefixes_are_not_mobiles(typed: str) -> None:
    assert parse_mobile(typed) is None


def test_mobiles_are_found_inside_a_sentence() -> None:
    assert find_mobiles("شمارم ۰۹۳۵-۱۲۳-۴۵۶۷ هست، تلفن خونه ۰۲۱۸۸۷۷۶۶۵۵") == ["09351234567"]


def test_tracking_codes_catch_every_single_typo_and_swap_but_luhns_blind_spot() -> None:
    for _ in range(50):
        code = new_tracking_code()
        assert is_valid_tracking_code(code)
        for i in range(len(code)):
            for symbol in ALPHABET:
                if symbol != code[i]:
                    assert not is_valid_tracking_code(code[:i] + symbol + code[i + 1 :])
        for i in range(len(code) - 1):
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            if swapped != code and {code[i], code[i + 1]} != {"2", "Z"}:
                assert not is_valid_tracking_code(swapped)


def test_tracking_codes_are_read_however_they_are_typed() -> None:
    code = new_tracking_code()
    shown = format_tracking_code(code)
    persian = shown.lower().translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for typed in (code, shown, shown.lower(), shown.replace("-", " "), persian):
        assert find_tracking_codes(f"کد رهگیری من {typed} هست") == [code]


def test_a_mistyped_tracking_code_is_noticed_not_taken() -> None:
    code = new_tracking_code()
    wrong = code[:3] + ("2" if code[3] != "2" else "3") + code[4:]
    assert find_tracking_codes(wrong) == []
    assert looks_like_tracking_code(f"کدم {wrong}") == wrong
    assert looks_like_tracking_code("PASSPORT renewal") is None  # a word is not a code


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("۱۴۰۵/۹/۵", dt.date(2026, 11, 26)),
        ("1405-09-05", dt.date(2026, 11, 26)),
        ("05/9/5", dt.date(2026, 11, 26)),
        ("۵ آذر", dt.date(2026, 11, 26)),
        ("۵ام آذر", dt.date(2026, 11, 26)),
        ("۲ آذر", dt.date(2027, 11, 23)),  # already past this year: next year's
        ("۵ آذر ۱۴۰۶", dt.date(2027, 11, 26)),
        ("1 فروردین", dt.date(2027, 3, 21)),
        ("امروز", TODAY),
        ("فردا صبح", dt.date(2026, 11, 26)),
        ("پس‌فردا", dt.date(2026, 11, 27)),
        ("پس فردا", dt.date(2026, 11, 27)),
        ("شنبه", dt.date(2026, 11, 28)),
        ("یکشنبه", dt.date(2026, 11, 29)),
        ("سه شنبه", dt.date(2026, 12, 1)),
        ("سه‌شنبه", dt.date(2026, 12, 1)),
        ("چهارشنبه", dt.date(2026, 12, 2)),  # today is one: the next
        ("2026-12-01", dt.date(2026, 12, 1)),
    ],
)
def test_days_as_people_write_them(typed: str, day: dt.date) -> None:
    found = find_date(f"نوبت برای {typed} میخوام", TODAY)
    assert found is not None and found.date == day


@pytest.mark.parametrize("typed", ["1405/13/01", "۳۱ اسفند ۱۴۰۵", "منطقه ۵", "۱۰ تا پاسپورت"])
def test_impossible_days_and_other_numbers_are_not_dates(typed: str) -> None:
    assert find_date(typed, TODAY) is None


@pytest.mark.parametrize(
    ("typed", "time"),
    [
        ("10:30", dt.time(10, 30)),
        ("۱۰:۳۰", dt.time(10, 30)),
        ("ساعت ۱۰", dt.time(10, 0)),
        ("ساعت ۱۰ و نیم", dt.time(10, 30)),
        ("ساعت ده و ربع", dt.time(10, 15)),
        ("ساعت ۹ و ۴۵ دقیقه", dt.time(9, 45)),
        ("۹ صبح", dt.time(9, 0)),
        ("ساعت ۴", dt.time(16, 0)),  # counters do not open at 4 a.m.
        ("۴ بعدازظهر", dt.time(16, 0)),
        ("۵ عصر", dt.time(17, 0)),
        ("ساعت ۱۲ ظهر", dt.time(12, 0)),
    ],
)
def test_times_as_people_write_them(typed: str, time: dt.time) -> None:
    assert find_time(f"فردا {typed} میام") == time


def test_a_lone_number_is_not_a_time() -> None:
    assert find_time("۳ تا کارت ملی") is None
