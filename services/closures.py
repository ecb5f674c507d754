"""Ad-hoc closures an operator announces (heat, pollution, energy saving), and what they do
to bookings already made: nothing is moved silently; each citizen affected is told, with
buttons to move or cancel (neither counted against their limits).

One closure from the command line and a province's whole file go through the same steps:
check the places against the offices stored (a typo must not close nothing), skip what is
already stored, store the rest and tell the citizens booked inside, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.booking import outbox_event
from services.opening import ClosureWindow
from services.storage.models import HOLDING_STATUSES, Booking, Closure, Office

# Spreadsheets typed on an Arabic keyboard carry ي and ك; the offices table has ی and ک.
_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " "})


class ClosureError(ValueError):
    """The closure makes no sense (unknown office, ends before it starts …)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field  # as a closures file names it: office, province, city, to …


class ClosuresRefused(Exception):
    """Some closures of a batch are wrong; none of the batch was stored."""

    def __init__(self, problems: Sequence[tuple[int, ClosureError]]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)  # (position in the batch, what is wrong)


@dataclass(frozen=True)
class ClosurePlan:
    """A closure to announce. For an office closure, ``province`` and ``city`` (if given)
    are where the operator believes the office is, and are checked, not stored."""

    scope: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason_fa: str
    office_code: str | None = None
    province: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class ClosureAdded:
    id: int
    bookings_affected: int
    already_present: bool = False


@dataclass
class ClosuresAnnounced:
    added: list[int] = field(default_factory=list)  # ids of the closures stored now
    present: list[int] = field(default_factory=list)  # ids of those found already stored
    bookings_told: int = 0


_Key = tuple[str, int | None, str | None, str | None, dt.datetime, dt.datetime]


def _fold(name: str) -> str:
    return " ".join(name.translate(_PERSIAN_LETTERS).split())


@dataclass(frozen=True)
class _Place:
    """Where a plan closes, in the offices table's own spelling."""

    office_id: int | None = None
    province: str | None = None
    city: str | None = None


class _Offices:
    """The offices' codes and places, to check plans against and to spell places as stored."""

    def __init__(self, rows: Sequence[tuple[str, int, str, str]]) -> None:
        self.by_code = {code: (id_, province, city) for code, id_, province, city in rows}
        self.provinces = {_fold(province): province for _, _, province, _ in rows}
        self.cities: dict[tuple[str, str], str] = {}
        self.provinces_of_city: defaultdict[str, set[str]] = defaultdict(set)
        for _, _, province, city in rows:
            self.cities[_fold(province), _fold(city)] = city
            self.provinces_of_city[_fold(city)].add(province)

    @classmethod
    async def load(cls, session: AsyncSession) -> _Offices:
        rows = await session.execute(select(Office.code, Office.id, Office.province, Office.city))
        return cls([(code, id_, province, city) for code, id_, province, city in rows])

    def place(self, plan: ClosurePlan) -> tuple[_Place | None, list[ClosureError]]:
        """Where the plan closes, or why it cannot be stored (each field's problem)."""
        problems = _scope_problems(plan)
        if plan.ends_at <= plan.starts_at:
            problems.append(ClosureError("to", "the closure must end after it starts"))
        if problems:
            return None, problems
        if plan.scope == "office":
            return self._office(plan)
        if plan.scope == "nation":
            return _Place(), []
        assert plan.province is not None
        province = self.provinces.get(_fold(plan.province))
        if province is None:
            return None, [ClosureError("province", f"no office is in province {plan.province!r}")]
        if plan.scope == "province":
            return _Place(province=province), []
        assert plan.city is not None
        city = self.cities.get((_fold(province), _fold(plan.city)))
        if city is None:
            elsewhere = sorted(self.provinces_of_city.get(_fold(plan.city), ()))
            hint = f"; offices in {plan.city!r} are in province {' or '.join(map(repr, elsewhere))}"
            return None, [
                ClosureError(
                    "city",
                    f"no office is in city {plan.city!r} of province {province!r}"
                    + (hint if elsewhere else ""),
                )
            ]
        return _Place(province=province, city=city), []

    def _office(self, plan: ClosurePlan) -> tuple[_Place | None, list[ClosureError]]:
        found = self.by_code.get(plan.office_code or "")
        if found is None:
            return None, [ClosureError("office", f"no office with code {plan.office_code!r}")]
        office_id, province, city = found
        # A province or city beside the code must be the office's: a mistyped code that
        # belongs to another office must not close that one.
        problems = [
            ClosureError(name, f"office {plan.office_code} is in {name} {real!r}, not {given!r}")
            for name, given, real in (
                ("province", plan.province, province),
                ("city", plan.city, city),
            )
            if given is not None and _fold(given) != _fold(real)
        ]
        return (None, problems) if problems else (_Place(office_id=office_id), [])


_CLOSURE_OF = {
    "office": "an office closure",
    "city": "a city closure",
    "province": "a province closure",
    "nation": "a nation closure",
}
_WORDS_FOR = {"office": "office code", "province": "province", "city": "city"}
# What each scope must name; anything else named would mean a different closure.
_NAMES = {
    "office": ("office",),
    "city": ("province", "city"),
    "province": ("province",),
    "nation": (),
}


def _scope_problems(plan: ClosurePlan) -> list[ClosureError]:
    if plan.scope not in _NAMES:
        return [ClosureError("scope", f"unknown scope {plan.scope!r}; use {', '.join(_NAMES)}")]
    named = {"office": plan.office_code, "province": plan.province, "city": plan.city}
    needed = _NAMES[plan.scope]
    problems = [
        ClosureError(name, f"{_CLOSURE_OF[plan.scope]} needs the {_WORDS_FOR[name]}")
        for name in needed
        if named[name] is None
    ]
    if plan.scope == "office":
        return problems  # a province or city beside the code is checked against the office
    for name, value in named.items():
        if value is None or name in needed:
            continue
        if name == "office":
            message = f"only an office closure names an office, not a {plan.scope} closure"
        elif plan.scope == "nation":
            message = (
                f"a nation closure closes every office: leave {name} empty, or use scope {name}"
            )
        else:
            message = (
                "a province closure closes the whole province: leave city empty, or use scope city"
            )
        problems.append(ClosureError(name, message))
    return problems


def _key(scope: str, place: _Place, starts_at: dt.datetime, ends_at: dt.datetime) -> _Key:
    return (
        scope,
        place.office_id,
        place.province,
        place.city,
        starts_at.astimezone(dt.UTC),
        ends_at.astimezone(dt.UTC),
    )


def _placed(
    offices: _Offices, plans: Sequence[ClosurePlan]
) -> tuple[list[_Place], list[tuple[int, ClosureError]]]:
    """Where each plan closes, or every problem of every plan by its position."""
    places: list[_Place] = []
    problems: list[tuple[int, ClosureError]] = []
    for i, plan in enumerate(plans):
        place, wrong = offices.place(plan)
        problems.extend((i, problem) for problem in wrong)
        if place is not None:
            places.append(place)
    return places, problems


async def closure_problems(
    session: AsyncSession, plans: Sequence[ClosurePlan]
) -> list[tuple[int, ClosureError]]:
    """Every problem of every plan, by its position in ``plans``; nothing is written."""
    return _placed(await _Offices.load(session), plans)[1]


async def announce_closures(
    session: AsyncSession, plans: Sequence[ClosurePlan], now: dt.datetime
) -> ClosuresAnnounced:
    """Store the plans and tell every citizen booked inside one, in the caller's transaction.

    A plan already stored (same scope, place, start and end) is skipped, so announcing the
    same closures again stores nothing and tells no one twice. A booking inside several of
    the plans is told once. Raises ClosuresRefused, writing nothing, if any plan is wrong.
    """
    places, problems = _placed(await _Offices.load(session), plans)
    if problems:
        raise ClosuresRefused(problems)

    announced = ClosuresAnnounced()
    if not plans:
        return announced
    stored = await session.scalars(
        select(Closure).where(
            Closure.starts_at >= min(p.starts_at for p in plans),
            Closure.starts_at <= max(p.starts_at for p in plans),
        )
    )
    present = {
        _key(c.scope, _Place(c.office_id, c.province, c.city), c.starts_at, c.ends_at): c.id
        for c in stored
    }
    told: set[int] = set()
    for plan, place in zip(plans, places, strict=True):
        key = _key(plan.scope, place, plan.starts_at, plan.ends_at)
        if key in present:
            announced.present.append(present[key])
            continue
        closure = Closure(
            scope=plan.scope,
            office_id=place.office_id,
            province=place.province,
            city=place.city,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            reason_fa=plan.reason_fa,
        )
        session.add(closure)
        await session.flush()
        present[key] = closure.id
        announced.added.append(closure.id)
        told |= await _tell_booked_citizens(session, closure, now, told)
    announced.bookings_told = len(told)
    return announced


async def _tell_booked_citizens(
    session: AsyncSession, closure: Closure, now: dt.datetime, already_told: set[int]
) -> set[int]:
    """Queue a notice for each active booking inside the closure; the ids of those told."""
    window = ClosureWindow(
        closure.scope, closure.starts_at, closure.ends_at, closure.reason_fa,
        closure.office_id, closure.province, closure.city,
    )  # fmt: skip
    rows = await session.execute(
        select(Booking, Office.province, Office.city)
        .join(Office, Office.id == Booking.office_id)
        .where(
            Booking.status.in_(HOLDING_STATUSES),
            Booking.starts_at < closure.ends_at,
            Booking.ends_at > closure.starts_at,
        )
    )
    told = set()
    for booking, office_province, office_city in rows:
        assert booking.starts_at is not None
        if booking.id in already_told:
            continue
        if window.covers(booking.office_id, office_province, office_city, booking.starts_at):
            session.add(
                outbox_event(
                    "booking.office_closed", "citizen", booking, now, reason=closure.reason_fa
                )
            )
            told.add(booking.id)
    return told


async def add_closure(
    sessions: async_sessionmaker[AsyncSession],
    *,
    scope: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason_fa: str,
    now: dt.datetime,
    office_code: str | None = None,
    province: str | None = None,
    city: str | None = None,
) -> ClosureAdded:
    """Announce one closure; raises ClosureError (the first problem) if it makes no sense."""
    plan = ClosurePlan(scope, starts_at, ends_at, reason_fa, office_code, province, city)
    try:
        async with sessions() as session, session.begin():
            announced = await announce_closures(session, [plan], now)
    except ClosuresRefused as refused:
        raise refused.problems[0][1] from None
    if announced.present:
        return ClosureAdded(announced.present[0], 0, already_present=True)
    return ClosureAdded(announced.added[0], announced.bookings_told)


async def closures_ahead(
    sessions: async_sessionmaker[AsyncSession], now: dt.datetime
) -> list[tuple[Closure, str | None]]:
    """Closures not over yet, with the office code for office closures."""
    async with sessions() as session:
        rows = await session.execute(
            select(Closure, Office.code)
            .outerjoin(Office, Office.id == Closure.office_id)
            .where(Closure.ends_at > now)
            .order_by(Closure.starts_at)
        )
        return [(closure, code) for closure, code in rows]
