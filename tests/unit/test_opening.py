"""Open now, opens at, closes at: weekly hours, official holidays and announced closures."""

from __future__ import annotations

import datetime as dt

from services.clock import TEHRAN
from services.opening import ClosureWindow, OfficeHours, compile_hours, holiday_name

HOURS = compile_hours(
    {
        **{d: [["08:00", "13:00"], ["16:00", "19:00"]] for d in ("sat", "sun", "mon", "tue")},
        "wed": [["08:00", "13:00"]],
        "thu": [["08:00", "12:00"]],
        "fri": [],
    }
)
OFFICE = OfficeHours(7, "تهران", "تهران", HOURS)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TEHRAN)


def test_open_within_a_shift_and_closed_between_shifts() -> None:
    sunday = 29  # 2026-11-29 is یکشنبه
    assert OFFICE.is_open(at(sunday, 8))
    assert OFFICE.is_open(at(sunday, 12, 59))
    assert not OFFICE.is_open(at(sunday, 13))
    assert not OFFICE.is_open(at(sunday, 14, 30))
    state = OFFICE.state(at(sunday, 14, 30))
    assert state.opens_at == at(sunday, 16)
    state = OFFICE.state(at(sunday, 10))
    assert state.open_now and state.closes_at == at(sunday, 13)


def test_a_moment_in_utc_is_judged_in_tehran_time() -> None:
    utc = dt.datetime(2026, 11, 29, 4, 45, tzinfo=dt.UTC)  # 08:15 in Tehran
    assert OFFICE.is_open(utc)


def test_friday_is_closed_and_the_next_opening_is_saturday_morning() -> None:
    friday = at(27, 10)
    state = OFFICE.state(friday)
    assert not state.open_now
    assert state.opens_at == at(28, 8)


def test_an_official_holiday_closes_the_office_and_is_named() -> None:
    day = dt.date(2026, 12, 23)  # ولادت امام علی: a Wednesday
    assert holiday_name(day) is not None
    moment = dt.datetime.combine(day, dt.time(9), TEHRAN)
    state = OFFICE.state(moment)
    assert not state.open_now and state.holiday == holiday_name(day)
    assert state.opens_at == dt.datetime(2026, 12, 24, 8, tzinfo=TEHRAN)


def test_announced_closures_by_office_city_province_and_nation() -> None:
    sunday_morning = at(29, 9)
    window = (at(29, 0), at(30, 0))
    for closure in (
        ClosureWindow("office", *window, "قطعی برق", office_id=7),
        ClosureWindow("city", *window, "آلودگی هوا", province="تهران", city="تهران"),
        ClosureWindow("province", *window, "گرما", province="تهران"),
        ClosureWindow("nation", *window, "صرفه‌جویی انرژی"),
    ):
        state = OFFICE.state(sunday_morning, [closure])
        assert not state.open_now and state.closure == closure.reason_fa
        assert state.opens_at == at(30, 8)
    elsewhere = [
        ClosureWindow("office", *window, "x", office_id=8),
        ClosureWindow("city", *window, "x", province="اصفهان", city="اصفهان"),
        ClosureWindow("province", *window, "x", province="فارس"),
    ]
    assert OFFICE.is_open(sunday_morning, elsewhere)


def test_a_closure_ending_mid_shift_opens_the_office_when_it_lifts() -> None:
    closure = ClosureWindow("nation", at(29, 0), at(29, 10, 30), "تأخیر در شروع کار")
    assert OFFICE.state(at(29, 8), [closure]).opens_at == at(29, 10, 30)
