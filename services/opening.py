"""Whether an office is open at a moment, and when it next opens or closes.

Weekly hours are the office's own (local Asia/Tehran wall-clock times, several shifts a
day allowed); official holidays come from the ``holidays`` package (IR); ad-hoc closures an
operator announces (heat, pollution, energy saving) apply to an office, a city, a province
or the whole country.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import holidays

from services.clock import TEHRAN

WEEKDAYS = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")
# How far ahead to look for the next opening (a long closure is rare; a month is plenty).
LOOKAHEAD_DAYS = 31

Shift = tuple[int, int]  # minutes after local midnight: [start, end)


def weekday_key(day: dt.date) -> str:
    """``sat`` … ``fri`` (Python's Monday is 0; Iran's week starts on Saturday)."""
    return WEEKDAYS[(day.weekday() + 2) % 7]


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def compile_hours(weekly: Mapping[str, Sequence[Sequence[str]]]) -> tuple[tuple[Shift, ...], ...]:
    """``{"sat": [["08:00", "14:00"]], …}`` → shifts in minutes, indexed like WEEKDAYS."""
    return tuple(
        tuple(sorted((_minutes(start), _minutes(end)) for start, end in weekly.get(day, ())))
        for day in WEEKDAYS
    )


@lru_cache(maxsize=16)
def _holidays(year: int) -> dict[dt.date, str]:
    found = holidays.country_holidays("IR", years=year, language="fa_IR")
    return {day: str(name) for day, name in found.items()}


def holiday_name(day: dt.date) -> str | None:
    """The official holiday on this (Gregorian) day, in Persian, or None."""
    return _holidays(day.year).get(day)


@dataclass(frozen=True)
class ClosureWindow:
    """An announced closure; ``office_id``/``city``/``province`` None means wider."""

    scope: str  # office | city | province | nation
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason_fa: str = ""
    office_id: int | None = None
    province: str | None = None
    city: str | None = None

    def covers(self, office_id: int, province: str, city: str, at: dt.datetime) -> bool:
        if not self.starts_at <= at < self.ends_at:
            return False
        if self.scope == "office":
            return self.office_id == office_id
        if self.scope == "city":
            return self.province == province and self.city == city
        if self.scope == "province":
            return self.province == province
        return True


@dataclass(frozen=True)
class OpeningState:
    """What a citizen needs to know before leaving home."""

    open_now: bool
    closes_at: dt.datetime | None  # when open now: the end of this shift
    opens_at: dt.datetime | None  # when closed now: the next opening (None: not within a month)
    holiday: str | None  # today's official holiday, if that is why it is closed
    closure: str | None  # the reason of an announced closure in force now


@dataclass(frozen=True)
class OfficeHours:
    """One office's hours, ready for fast questions."""

    office_id: int
    province: str
    city: str
    shifts: tuple[tuple[Shift, ...], ...]

    def _closure(self, at: dt.datetime, closures: Iterable[ClosureWindow]) -> ClosureWindow | None:
        return next(
            (c for c in closures if c.covers(self.office_id, self.province, self.city, at)), None
        )

    def is_open(self, at: dt.datetime, closures: Iterable[ClosureWindow] = ()) -> bool:
        local = at.astimezone(TEHRAN)
        minute = local.hour * 60 + local.minute
        day = local.date()
        if not any(s <= minute < e for s, e in self.shifts[(day.weekday() + 2) % 7]):
            return False
        return holiday_name(day) is None and self._closure(at, closures) is None

    def state(self, at: dt.datetime, closures: Sequence[ClosureWindow] = ()) -> OpeningState:
        local = at.astimezone(TEHRAN)
        today = local.date()
        closure = self._closure(at, closures)
        holiday = holiday_name(today)
        if self.is_open(at, closures):
            minute = local.hour * 60 + local.minute
            end = next(e for s, e in self.shifts[(today.weekday() + 2) % 7] if s <= minute < e)
            closes = dt.datetime.combine(today, dt.time(end // 60, end % 60), TEHRAN)
            return OpeningState(True, closes, None, None, None)
        return OpeningState(
            False,
            None,
            self.next_opening(at, closures),
            holiday,
            closure.reason_fa if closure else None,
        )

    def next_opening(
        self, at: dt.datetime, closures: Sequence[ClosureWindow] = ()
    ) -> dt.datetime | None:
        """The first moment after ``at`` when a shift starts (or is under way) and neither a
        holiday nor a closure keeps the office shut."""
        local = at.astimezone(TEHRAN)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + dt.timedelta(days=offset)
            if holiday_name(day) is not None:
                continue
            for start, end in self.shifts[(day.weekday() + 2) % 7]:
                begin = dt.datetime.combine(day, dt.time(start // 60, start % 60), TEHRAN)
                finish = dt.datetime.combine(
                    day, dt.time(min(end, 1439) // 60, min(end, 1439) % 60), TEHRAN
                )
                if finish <= local:
                    continue
                candidate = max(begin, local)
                # A closure may cover the start of a shift: try the moment it lifts.
                while candidate < finish:
                    closure = self._closure(candidate, closures)
                    if closure is None:
                        return candidate
                    candidate = closure.ends_at.astimezone(TEHRAN)
        return None
