"""A province announces many closures at once: `pishkhan import closures FILE`, on a SQLite
file and on PostgreSQL. Every citizen booked inside a closure is told, once; a file with a
mistake closes nothing and tells no one."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import jdatetime
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from services.booking import book, cancel
from services.clock import TEHRAN, tehran_today
from services.identity import TELEGRAM, UserRef
from services.opening import holiday_name
from services.storage.models import Closure, Office, OutboxEvent
from tests.helpers.booking_data import RULES, VAULT, new_code, office_with_desks, request
from tests.helpers.booking_data import valid_national_code as national_code


def _working_saturday() -> dt.date:
    """A Saturday (and Sunday) a week or more ahead with no holiday, so that `closure list`,
    which shows closures not over yet, shows the test's whenever the suite runs."""
    day = tehran_today() + dt.timedelta(days=7)
    while day.weekday() != 5 or holiday_name(day) or holiday_name(day + dt.timedelta(days=1)):
        day += dt.timedelta(days=1)
    return day


SATURDAY = _working_saturday()
SUNDAY = SATURDAY + dt.timedelta(days=1)
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def jalali(day: dt.date, time: str = "") -> str:
    return f"{jdatetime.date.fromgregorian(date=day):%Y/%m/%d} {time}".strip()


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TEHRAN)


POWER_CUT = "قطعی برق"
SMOG = "آلودگی هوا"
ENERGY = "صرفه‌جویی در مصرف انرژی"
HEADER = "scope,office,province,city,from,to,reason"
# One office for a morning, one city for the day (written in Persian digits), one province
# from Saturday through Saturday: a date alone as the end includes that whole day.
OFFICE_ROW = f"office,TEH-1,,,{jalali(SATURDAY, '08:00')},{jalali(SATURDAY, '12:00')},{POWER_CUT}"
CITY_ROW = f"city,,اصفهان,اصفهان,{jalali(SATURDAY).translate(PERSIAN_DIGITS)},,{SMOG}"
PROVINCE_ROW = f"province,,البرز,,{jalali(SATURDAY)},{jalali(SATURDAY)},{ENERGY}"
GOOD_ROWS = [OFFICE_ROW, CITY_ROW, PROVINCE_ROW]


@dataclass(frozen=True)
class Bookings:
    """Who holds a booking where; the first three are inside a closure of GOOD_ROWS."""

    tehran_morning: int
    isfahan: int
    karaj: int
    tehran_afternoon: int  # TEH-1 after its closure ends at 12:00
    tehran_other_office: int  # TEH-2, same city, not closed
    kashan: int  # the province of Isfahan, but not its closed city
    karaj_sunday: int  # the day after the province's closure
    isfahan_cancelled: int  # cancelled before the closure: nobody to tell


async def _offices_and_bookings(sessions: async_sessionmaker[AsyncSession]) -> Bookings:
    places = {
        "TEH-1": ("تهران", "تهران"),
        "TEH-2": ("تهران", "تهران"),
        "ISF-1": ("اصفهان", "اصفهان"),
        "KSH-1": ("اصفهان", "کاشان"),
        "KRJ-1": ("البرز", "کرج"),
    }
    ids = {code: await office_with_desks(sessions, desks=3, code=code) for code in places}
    async with sessions() as session, session.begin():
        for code, (province, city) in places.items():
            office = await session.get(Office, ids[code])
            assert office is not None
            office.province, office.city = province, city
    booked_on = at(SATURDAY - dt.timedelta(days=2), 9)
    made: list[int] = []
    for n, (code, starts_at) in enumerate(
        [
            ("TEH-1", at(SATURDAY, 10)),
            ("ISF-1", at(SATURDAY, 10)),
            ("KRJ-1", at(SATURDAY, 13)),
            ("TEH-1", at(SATURDAY, 13)),
            ("TEH-2", at(SATURDAY, 10)),
            ("KSH-1", at(SATURDAY, 10)),
            ("KRJ-1", at(SUNDAY, 10)),
            ("ISF-1", at(SATURDAY, 11)),
        ],
        start=1,
    ):
        view, _ = await book(
            sessions, VAULT, RULES, request(ids[code], 700 + n, national_code(700 + n), starts_at),
            booked_on, new_code,
        )  # fmt: skip
        made.append(view.id)
    bookings = Bookings(*made)
    await cancel(sessions, RULES, bookings.isfahan_cancelled, UserRef(TELEGRAM, 708), booked_on)
    return bookings


@pytest.fixture
async def booked(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Bookings:
    """Five offices in three provinces with citizens booked; the CLI pointed at them."""
    bookings = await _offices_and_bookings(sessions)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", database_url)
    monkeypatch.setenv("PISHKHAN_SECRET_KEY", "a test secret key, not a real one")
    return bookings


async def pishkhan(*args: str) -> int:
    """The command as an operator runs it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(main, list(args))


async def closed_notices(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, str]]:
    """(booking, reason) of each notice queued for a citizen that their office is closed."""
    async with sessions() as session:
        events = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.event_type == "booking.office_closed")
            .order_by(OutboxEvent.booking_id)
        )
        return [
            (e.booking_id or 0, str(e.payload["reason"])) for e in events if e.channel == "citizen"
        ]


async def closures_stored(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Closure)) or 0)


def _write(tmp_path: Path, form: str, rows: list[str]) -> Path:
    """The rows as CSV (UTF-8 with the BOM Excel writes), or as JSON in either shape."""
    if form == "csv":
        path = tmp_path / "closures.csv"
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8-sig")
        return path
    columns = HEADER.split(",")
    records = [{k: v for k, v in zip(columns, row.split(","), strict=True) if v} for row in rows]
    document: object = records if form == "json-list" else {"closures": records}
    path = tmp_path / "closures.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize("form", ["csv", "json-object", "json-list"])
async def test_a_province_file_tells_exactly_the_citizens_booked_inside_its_closures_once(
    booked: Bookings,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    form: str,
) -> None:
    path = _write(tmp_path, form, GOOD_ROWS)
    assert await pishkhan("import", "closures", str(path)) == 0
    out = capsys.readouterr().out
    assert "3 closures added, 0 skipped as already present; 3 booking(s) told" in out
    told = [
        (booked.tehran_morning, POWER_CUT),
        (booked.isfahan, SMOG),
        (booked.karaj, ENERGY),
    ]
    assert await closed_notices(sessions) == sorted(told)

    # The same file again (an operator unsure it went through): nothing new, nobody told twice.
    assert await pishkhan("import", "closures", str(path)) == 0
    out = capsys.readouterr().out
    assert "0 closures added, 3 skipped as already present; 0 booking(s) told" in out
    assert await closed_notices(sessions) == sorted(told)
    assert await closures_stored(sessions) == 3

    assert await pishkhan("closure", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    day, next_day = jalali(SATURDAY), jalali(SUNDAY)  # Jalali, as operators type them
    assert len(listed) == 3
    assert any(
        f"\toffice\tTEH-1\t{day} 08:00 → {day} 12:00\t{POWER_CUT}" in line for line in listed
    )
    assert any(
        f"\tcity\tاصفهان/اصفهان\t{day} 00:00 → {next_day} 00:00\t{SMOG}" in line for line in listed
    )
    assert any(
        f"\tprovince\tالبرز\t{day} 00:00 → {next_day} 00:00\t{ENERGY}" in line for line in listed
    )


async def test_a_booking_inside_two_closures_of_one_file_is_told_once_and_new_rows_are_added(
    booked: Bookings,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await pishkhan("import", "closures", str(_write(tmp_path, "csv", GOOD_ROWS))) == 0
    capsys.readouterr()
    # The province widens its closure to Sunday, across the whole country for the morning.
    nation = f"nation,,,,{jalali(SUNDAY, '08:00')},{jalali(SUNDAY, '12:00')},{ENERGY}"
    karaj_sunday = f"city,,البرز,كرج,{jalali(SUNDAY)},,{ENERGY}"  # an Arabic kaf, as Excel has
    path = _write(tmp_path, "csv", [*GOOD_ROWS, nation, karaj_sunday])
    assert await pishkhan("import", "closures", str(path)) == 0
    out = capsys.readouterr().out
    assert "2 closures added, 3 skipped as already present; 1 booking(s) told" in out
    notices = await closed_notices(sessions)
    assert [reason for booking, reason in notices if booking == booked.karaj_sunday] == [ENERGY]
    assert len(notices) == 4
    async with sessions() as session:
        cities = await session.scalars(select(Closure.city).where(Closure.scope == "city"))
        assert sorted(cities) == ["اصفهان", "کرج"]  # stored as the offices spell it


@pytest.mark.parametrize(
    ("bad_row", "field", "says"),
    [
        pytest.param(
            f"town,,تهران,تهران,{jalali(SATURDAY)},,{SMOG}",
            "scope",
            "Input should be 'office', 'city', 'province' or 'nation'",
            id="unknown-scope",
        ),
        pytest.param(
            f"office,TEH-9,,,{jalali(SATURDAY)},,{POWER_CUT}",
            "office",
            "no office with code 'TEH-9'",
            id="unknown-office",
        ),
        pytest.param(
            f"office,TEH-1,اصفهان,,{jalali(SATURDAY)},,{POWER_CUT}",
            "province",
            "office TEH-1 is in province 'تهران', not 'اصفهان'",
            id="office-not-where-the-operator-thinks",
        ),
        pytest.param(
            f"province,,تهرن,,{jalali(SATURDAY)},,{SMOG}",
            "province",
            "no office is in province 'تهرن'",
            id="province-typo",
        ),
        pytest.param(
            f"city,,تهران,کاشان,{jalali(SATURDAY)},,{SMOG}",
            "city",
            "no office is in city 'کاشان' of province 'تهران'; offices in 'کاشان' are in "
            "province 'اصفهان'",
            id="city-of-another-province",
        ),
        pytest.param(
            f"office,,,,{jalali(SATURDAY)},,{POWER_CUT}",
            "office",
            "an office closure needs the office code",
            id="office-missing",
        ),
        pytest.param(
            f"city,,اصفهان,,{jalali(SATURDAY)},,{SMOG}",
            "city",
            "a city closure needs the city",
            id="city-missing",
        ),
        pytest.param(
            f"province,,البرز,کرج,{jalali(SATURDAY)},,{ENERGY}",
            "city",
            "a province closure closes the whole province: leave city empty, or use scope city",
            id="city-named-in-a-province-closure",
        ),
        pytest.param(
            f"nation,,تهران,,{jalali(SATURDAY)},,{ENERGY}",
            "province",
            "a nation closure closes every office: leave province empty, or use scope province",
            id="province-named-in-a-nation-closure",
        ),
        pytest.param(
            f"nation,,,,{jalali(SATURDAY, '12:00')},{jalali(SATURDAY, '08:00')},{ENERGY}",
            "to",
            "the closure must end after it starts",
            id="ends-before-it-starts",
        ),
        pytest.param(
            f"nation,,,,1405/13/01,,{ENERGY}",
            "from",
            "unreadable date: '1405/13/01' is not a day of the Jalali calendar",
            id="no-such-day",
        ),
        pytest.param(
            f"nation,,,,{jalali(SATURDAY)},فردا,{ENERGY}",
            "to",
            "unreadable date: 'فردا' is not a Jalali date like 1405/09/10",
            id="words-for-a-date",
        ),
        pytest.param(
            f"nation,,,,{jalali(SATURDAY)},,",
            "reason",
            "say why, in Persian: citizens read it",
            id="no-reason",
        ),
        pytest.param(
            f"nation,,,,{jalali(SATURDAY)},,{'گرما ' * 70}",
            "reason",
            "String should have at most 300 characters",
            id="reason-too-long",
        ),
        pytest.param(CITY_ROW, "-", "the same closure as line 3", id="twice-in-the-file"),
    ],
)
async def test_one_bad_row_is_reported_by_line_and_field_and_nothing_is_closed(
    booked: Bookings,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bad_row: str,
    field: str,
    says: str,
) -> None:
    path = _write(tmp_path, "csv", [*GOOD_ROWS, bad_row])
    assert await pishkhan("import", "closures", str(path)) == 1
    err = capsys.readouterr().err
    assert "1 problem(s), nothing imported" in err
    assert f"line 5, field {field}: {says}" in err
    assert await closures_stored(sessions) == 0
    assert await closed_notices(sessions) == []


async def test_every_problem_of_a_file_is_reported_in_one_go(
    booked: Bookings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        f"office,TEH-9,,,{jalali(SATURDAY)},,{POWER_CUT}",  # unknown office: needs the database
        f"nation,,,,1405/13/01,,{ENERGY}",  # an unreadable date: the file alone shows it
        *GOOD_ROWS,
    ]
    assert await pishkhan("import", "closures", str(_write(tmp_path, "csv", rows))) == 1
    err = capsys.readouterr().err
    assert "2 problem(s), nothing imported" in err
    assert err.index("line 2, field office") < err.index("line 3, field from")


async def test_closure_add_follows_the_same_rules_as_the_file(
    booked: Bookings,
    sessions: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # From a time with no end: until the end of that day.
    add = ["closure", "add", "--office", "TEH-2", "--from", jalali(SATURDAY, "09:00")]
    assert await pishkhan(*add, "--reason", POWER_CUT) == 0
    assert "1 booking(s) told" in capsys.readouterr().out
    assert await closed_notices(sessions) == [(booked.tehran_other_office, POWER_CUT)]
    assert await pishkhan(*add, "--reason", POWER_CUT) == 0
    assert "already present" in capsys.readouterr().out
    assert await closed_notices(sessions) == [(booked.tehran_other_office, POWER_CUT)]
    assert await pishkhan("closure", "list") == 0
    day = jalali(SATURDAY)
    assert f"TEH-2\t{day} 09:00 → {jalali(SUNDAY)} 00:00" in capsys.readouterr().out

    typo = ["closure", "add", "--city", "تهران/تهرن", "--from", jalali(SATURDAY)]
    assert await pishkhan(*typo, "--reason", SMOG) == 2
    assert "no office is in city 'تهرن' of province 'تهران'" in capsys.readouterr().err
    assert (
        await pishkhan("closure", "add", "--nation", "--from", jalali(SATURDAY), "--reason", "")
        == 2
    )
    assert "--reason: say why, in Persian" in capsys.readouterr().err
    assert await closures_stored(sessions) == 1
