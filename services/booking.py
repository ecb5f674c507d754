"""Bookings: made, cancelled and moved in one transaction each, never lost or doubled.

Capacity is taken with one conditional UPDATE over the cells a booking needs (``booked <
capacity``), backed by the table's CHECK constraint; a second press of "confirm" finds the
booking its idempotency key already made; one active booking per national code and service
is a partial unique index. On PostgreSQL a per-user advisory lock makes the per-user limit
exact across workers; on SQLite write transactions start IMMEDIATE and so run one at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clock import TEHRAN
from services.identity import UserRef
from services.opening import ClosureWindow
from services.privacy import Vault, mask_mobile, mask_national_code
from services.scheduling import (
    BookingRules,
    cells,
    free_times,
    office_hours,
    slot_length,
    starts_on,
)
from services.storage.db import insert_for
from services.storage.models import (
    HOLDING_STATUSES,
    Booking,
    BookingEvent,
    Office,
    OfficeService,
    OperatorSwitch,
    OutboxEvent,
    Service,
    Slot,
)

log = logging.getLogger(__name__)

ESSENTIAL_ONLY = "essential_only"
# Reminders before the appointment: (event type, how long before).
REMINDERS = (
    ("reminder.day_before", dt.timedelta(days=1)),
    ("reminder.hour_before", dt.timedelta(hours=1)),
)
# Who may move a request to which status; anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    "booked": frozenset({"confirmed", "checked_in", "needs_documents", "cancelled", "no_show"}),
    "confirmed": frozenset({"checked_in", "needs_documents", "cancelled", "no_show"}),
    "checked_in": frozenset({"done", "needs_documents", "ready_for_pickup", "cancelled"}),
    "needs_documents": frozenset({"checked_in", "done", "cancelled", "booked"}),
    "done": frozenset({"ready_for_pickup"}),
    "ready_for_pickup": frozenset({"done"}),
    "cancelled": frozenset(),
    "no_show": frozenset(),
}
# Statuses after which the desks the booking held are given back.
RELEASING = frozenset({"cancelled", "no_show"})


class Refusal(enum.Enum):
    SLOT_TAKEN = "slot_taken"
    NOT_OFFERED = "not_offered"
    NOT_BOOKABLE = "not_bookable"  # outside hours, the window or the lead time; a holiday
    DUPLICATE_ACTIVE = "duplicate_active"
    USER_LIMIT = "user_limit"
    ESSENTIAL_ONLY = "essential_only"
    RESCHEDULE_LIMIT = "reschedule_limit"
    TOO_LATE_TO_CANCEL = "too_late_to_cancel"
    NOT_FOUND = "not_found"
    NOT_ACTIVE = "not_active"
    BAD_TRANSITION = "bad_transition"
    BEFORE_ITS_DAY = "before_its_day"  # "arrived" or "done" before the booking's day
    AFTER_ITS_DAY = "after_its_day"  # "arrived" for a booking whose day is over
    SLOT_NOT_OVER = "slot_not_over"  # "no-show" while the slot still runs


class BookingRefused(Exception):
    def __init__(self, refusal: Refusal, tracking_code: str | None = None) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        # The booking concerned. For DUPLICATE_ACTIVE only when the asking user holds it:
        # another person's booking is never named to whoever types its national code.
        self.tracking_code = tracking_code


@dataclass(frozen=True)
class BookingRequest:
    office_id: int
    service_key: str
    starts_at: dt.datetime
    citizen: UserRef  # who books, on the messenger they book on
    chat_id: int
    national_code: str
    mobile: str
    citizen_name: str | None
    idempotency_key: str


@dataclass(frozen=True)
class TimelineEntry:
    status: str
    at: dt.datetime
    note_fa: str
    actor_kind: str
    actor_name: str = ""


@dataclass(frozen=True)
class BookingView:
    """A booking as the citizen (or, masked, the office) sees it."""

    id: int
    tracking_code: str
    status: str
    office_id: int
    office_name: str
    office_address: str
    office_phone: str
    lat: float
    lon: float
    service_key: str
    service_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    national_code_masked: str
    mobile_masked: str
    reschedule_count: int
    messenger: str
    chat_id: int
    user_id: int
    citizen_name: str | None = None
    timeline: tuple[TimelineEntry, ...] = field(default=())

    @property
    def active(self) -> bool:
        return self.status in HOLDING_STATUSES


# --- switches ------------------------------------------------------------------------------


async def essential_only(session: AsyncSession) -> bool:
    switch = await session.get(OperatorSwitch, ESSENTIAL_ONLY)
    return switch is not None and switch.value == "on"


async def paused_by_crisis(sessions: async_sessionmaker[AsyncSession], essential: bool) -> bool:
    """Whether crisis days keep a service (essential or not) from being booked now."""
    if essential:
        return False
    async with sessions() as session:
        return await essential_only(session)


async def set_essential_only(sessions: async_sessionmaker[AsyncSession], on: bool) -> None:
    async with sessions() as session, session.begin():
        await session.merge(OperatorSwitch(key=ESSENTIAL_ONLY, value="on" if on else "off"))


# --- reading -------------------------------------------------------------------------------


async def booking_view(
    session: AsyncSession, booking: Booking, with_timeline: bool = False
) -> BookingView:
    office = await session.get(Office, booking.office_id)
    service = await session.get(Service, booking.service_key)
    assert office is not None and service is not None
    assert booking.starts_at is not None and booking.ends_at is not None
    timeline: tuple[TimelineEntry, ...] = ()
    if with_timeline:
        events = await session.scalars(
            select(BookingEvent)
            .where(BookingEvent.booking_id == booking.id)
            .order_by(BookingEvent.id)
        )
        timeline = tuple(
            TimelineEntry(e.status, e.created_at, e.note_fa, e.actor_kind, e.actor_name)
            for e in events
        )
    return BookingView(
        id=booking.id,
        tracking_code=booking.tracking_code,
        status=booking.status,
        office_id=office.id,
        office_name=office.name,
        office_address=office.address,
        office_phone=office.phone,
        lat=office.lat,
        lon=office.lon,
        service_key=service.key,
        service_name=service.name_fa,
        starts_at=booking.starts_at.astimezone(TEHRAN),
        ends_at=booking.ends_at.astimezone(TEHRAN),
        national_code_masked=booking.national_code_masked,
        mobile_masked=booking.mobile_masked,
        reschedule_count=booking.reschedule_count,
        messenger=booking.messenger,
        chat_id=booking.chat_id,
        user_id=booking.user_id,
        citizen_name=booking.citizen_name,
        timeline=timeline,
    )


async def find_booking(
    sessions: async_sessionmaker[AsyncSession], tracking_code: str
) -> BookingView | None:
    """The booking and its timeline, by tracking code."""
    async with sessions() as session:
        booking = await session.scalar(
            select(Booking).where(Booking.tracking_code == tracking_code.upper())
        )
        return None if booking is None else await booking_view(session, booking, with_timeline=True)


async def booking_by_idempotency_key(
    sessions: async_sessionmaker[AsyncSession], key: str
) -> BookingView | None:
    async with sessions() as session:
        booking = await session.scalar(select(Booking).where(Booking.idempotency_key == key))
        return None if booking is None else await booking_view(session, booking)


async def booking_by_id(
    sessions: async_sessionmaker[AsyncSession], booking_id: int, *, with_timeline: bool = False
) -> BookingView | None:
    async with sessions() as session:
        booking = await session.get(Booking, booking_id)
        return None if booking is None else await booking_view(session, booking, with_timeline)


async def active_bookings(
    sessions: async_sessionmaker[AsyncSession], citizen: UserRef
) -> list[BookingView]:
    """The user's bookings that still hold a time, soonest first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Booking)
            .where(
                *_of(citizen),
                Booking.status.in_(HOLDING_STATUSES),
            )
            .order_by(Booking.starts_at)
        )
        return [await booking_view(session, b) for b in rows]


# --- writing -------------------------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def _one_writer_at_a_time(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """SQLite runs one write transaction at a time anyway; queueing them here, in order,
    spares them SQLite's busy-wait (sleep and retry), whose unfairness made the slowest
    bookings wait seconds. PostgreSQL needs no such queue."""
    bind = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        yield
        return
    loop = asyncio.get_running_loop()
    lock = _writers.setdefault(loop, asyncio.Lock())
    async with lock:
        yield


def _of(citizen: UserRef) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The bookings of one user of one messenger."""
    return Booking.messenger == citizen.messenger, Booking.user_id == citizen.user_id


async def _lock_user(session: AsyncSession, citizen: UserRef) -> None:
    """Serialises one user's booking changes across workers (PostgreSQL; SQLite already
    runs write transactions one at a time). Users of two messengers may share a key: they
    only wait for each other then."""
    if _dialect(session) == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": 7301, "key": citizen.user_id % 2**31},
        )


async def _ensure_cells(
    session: AsyncSession, office: Office, wanted: Sequence[dt.datetime]
) -> None:
    rows = [
        {
            "office_id": office.id,
            "starts_at": cell,
            "ends_at": cell + dt.timedelta(minutes=5),
            "capacity": office.desks,
            "booked": 0,
        }
        for cell in wanted
    ]
    insert = insert_for(_dialect(session))
    await session.execute(
        insert(Slot).values(rows).on_conflict_do_nothing(index_elements=["office_id", "starts_at"])
    )


async def _take(
    session: AsyncSession, office: Office, starts_at: dt.datetime, minutes: int
) -> None:
    """Takes a desk in every cell of the appointment, or none (SLOT_TAKEN)."""
    wanted = cells(starts_at, minutes)
    await _ensure_cells(session, office, wanted)
    result = await session.execute(
        update(Slot)
        .where(
            Slot.office_id == office.id,
            Slot.starts_at.in_(wanted),
            Slot.booked < Slot.capacity,
        )
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(wanted):  # type: ignore[attr-defined]
        raise BookingRefused(Refusal.SLOT_TAKEN)


async def _release(session: AsyncSession, booking: Booking) -> None:
    assert booking.starts_at is not None and booking.ends_at is not None
    await session.execute(
        update(Slot)
        .where(
            Slot.office_id == booking.office_id,
            Slot.starts_at >= booking.starts_at,
            Slot.starts_at < booking.ends_at,
            Slot.booked > 0,
        )
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def outbox_event(
    event_type: str, channel: str, booking: Booking, due: dt.datetime, **payload: object
) -> OutboxEvent:
    return OutboxEvent(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        channel=channel,
        booking_id=booking.id,
        office_id=booking.office_id,
        payload={"booking_id": booking.id, **payload},
        next_attempt_at=due,
    )


def reminders_ahead(starts_at: dt.datetime, now: dt.datetime) -> tuple[str, ...]:
    """The reminders a booking at ``starts_at`` still gets: those not already due. Both
    the outbox and the confirmation's promise follow this, so nothing is promised that is
    not sent."""
    return tuple(kind for kind, before in REMINDERS if starts_at - before > now)


def _reminders(booking: Booking, now: dt.datetime) -> list[OutboxEvent]:
    assert booking.starts_at is not None
    starts = booking.starts_at.astimezone(dt.UTC)
    before = dict(REMINDERS)
    return [
        outbox_event(kind, "citizen", booking, starts - before[kind], starts_at=starts.isoformat())
        for kind in reminders_ahead(starts, now)
    ]


def _office_events(
    office: Office, booking: Booking, event_type: str, now: dt.datetime
) -> list[OutboxEvent]:
    """What the counter is told: its staff group and its own system, where it has them."""
    events = []
    if office.staff_chat_id is not None:
        events.append(outbox_event(event_type, "staff_chat", booking, now))
    if office.webhook_url and office.webhook_disabled_at is None:
        events.append(outbox_event(event_type, "webhook", booking, now))
    return events


async def _bookable(
    session: AsyncSession,
    office: Office,
    service: Service,
    starts_at: dt.datetime,
    now: dt.datetime,
    rules: BookingRules,
    closures: Sequence[ClosureWindow],
) -> int:
    """The appointment's length in minutes, if the start is one the office offers."""
    offered = await session.get(OfficeService, (office.id, service.key))
    if offered is None or not office.active or not service.active:
        raise BookingRefused(Refusal.NOT_OFFERED)
    day = starts_at.astimezone(TEHRAN).date()
    found = await free_times(session, office, service.slot_minutes, [day], now, rules, closures)
    if not any(t.starts_at == starts_at for t in found.get(day, [])):
        # Either not a start at all (NOT_BOOKABLE) or a start with no desk left.
        minutes = slot_length(service.slot_minutes)
        starts = [b for b, _ in starts_on(office_hours(office), day, minutes, closures)]
        if starts_at in starts and starts_at >= rules.earliest(now) and day <= rules.last_day(now):
            raise BookingRefused(Refusal.SLOT_TAKEN)
        raise BookingRefused(Refusal.NOT_BOOKABLE)
    return slot_length(service.slot_minutes)


async def _refuse_duplicate(
    session: AsyncSession, code_hash: str, service_key: str, citizen: UserRef
) -> None:
    """One active booking per national code and service (DUPLICATE_ACTIVE); its tracking
    code is told only to the user who holds it."""
    holder = (
        await session.execute(
            select(Booking.tracking_code, Booking.messenger, Booking.user_id).where(
                Booking.national_code_hash == code_hash,
                Booking.service_key == service_key,
                Booking.status.in_(HOLDING_STATUSES),
            )
        )
    ).first()
    if holder is not None:
        own = UserRef(holder.messenger, holder.user_id) == citizen
        raise BookingRefused(Refusal.DUPLICATE_ACTIVE, holder.tracking_code if own else None)


async def _refuse_over_limit(session: AsyncSession, rules: BookingRules, citizen: UserRef) -> None:
    """At most ``max_active_per_user`` active bookings per user (USER_LIMIT): a person on
    two messengers is two users to us, as nothing ties the two together but the national
    code, which the duplicate check already covers per service."""
    active = await session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            *_of(citizen),
            Booking.status.in_(HOLDING_STATUSES),
        )
    )
    if (active or 0) >= rules.max_active_per_user:
        raise BookingRefused(Refusal.USER_LIMIT)


# --- checks before confirm -----------------------------------------------------------------
# The dialog asks for one thing at a time; each limit is checked as soon as what it needs is
# known, so nobody types a national code and a mobile for a booking that cannot be made.
# ``book`` checks them all again in its transaction (a race may change any of them).


async def check_user_limit(
    sessions: async_sessionmaker[AsyncSession], rules: BookingRules, citizen: UserRef
) -> None:
    """Raises USER_LIMIT when the user already holds the most active bookings allowed."""
    async with sessions() as session:
        await _refuse_over_limit(session, rules, citizen)


async def check_national_code(
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    national_code: str,
    service_key: str,
    citizen: UserRef,
) -> None:
    """Raises DUPLICATE_ACTIVE when the code already holds an active booking of the service
    (with its tracking code only for the user who holds it)."""
    async with sessions() as session:
        await _refuse_duplicate(session, vault.lookup_hash(national_code), service_key, citizen)


async def check_slot(
    sessions: async_sessionmaker[AsyncSession],
    rules: BookingRules,
    office_id: int,
    service_key: str,
    starts_at: dt.datetime,
    now: dt.datetime,
    closures: Sequence[ClosureWindow] = (),
) -> None:
    """Raises NOT_OFFERED, ESSENTIAL_ONLY, NOT_BOOKABLE (not a start the office offers: past,
    off the grid, outside hours or the window) or SLOT_TAKEN (no desk left) for a chosen time."""
    async with sessions() as session:
        office = await session.get(Office, office_id)
        service = await session.get(Service, service_key)
        if office is None or service is None:
            raise BookingRefused(Refusal.NOT_OFFERED)
        if not service.essential and await essential_only(session):
            raise BookingRefused(Refusal.ESSENTIAL_ONLY)
        await _bookable(session, office, service, starts_at, now, rules, closures)


async def book(
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    rules: BookingRules,
    request: BookingRequest,
    now: dt.datetime,
    new_code: Callable[[], str],
    closures: Sequence[ClosureWindow] = (),
) -> tuple[BookingView, bool]:
    """Makes the booking, or returns the one this idempotency key already made (False)."""
    code_hash = vault.lookup_hash(request.national_code)
    for _ in range(5):  # a tracking code collision is retried with a new code
        try:
            async with _one_writer_at_a_time(sessions), sessions() as session, session.begin():
                # The user's lock first: a twin request waiting on it must then see the
                # booking its twin made under this key, not mistake it for a duplicate.
                await _lock_user(session, request.citizen)
                existing = await session.scalar(
                    select(Booking).where(Booking.idempotency_key == request.idempotency_key)
                )
                if existing is not None:
                    return await booking_view(session, existing), False
                office = await session.get(Office, request.office_id)
                service = await session.get(Service, request.service_key)
                if office is None or service is None:
                    raise BookingRefused(Refusal.NOT_OFFERED)
                if not service.essential and await essential_only(session):
                    raise BookingRefused(Refusal.ESSENTIAL_ONLY)
                await _refuse_duplicate(session, code_hash, service.key, request.citizen)
                await _refuse_over_limit(session, rules, request.citizen)
                minutes = await _bookable(
                    session, office, service, request.starts_at, now, rules, closures
                )
                await _take(session, office, request.starts_at, minutes)
                booking = Booking(
                    tracking_code=new_code(),
                    office_id=office.id,
                    service_key=service.key,
                    messenger=request.citizen.messenger,
                    user_id=request.citizen.user_id,
                    chat_id=request.chat_id,
                    national_code_hash=code_hash,
                    national_code_enc=vault.encrypt(request.national_code),
                    national_code_masked=mask_national_code(request.national_code),
                    mobile_enc=vault.encrypt(request.mobile),
                    mobile_masked=mask_mobile(request.mobile),
                    citizen_name=request.citizen_name,
                    status="booked",
                    starts_at=request.starts_at.astimezone(dt.UTC),
                    ends_at=request.starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=minutes),
                    idempotency_key=request.idempotency_key,
                    created_at=now,  # when it was booked, as the figures count it
                )
                session.add(booking)
                await session.flush()
                session.add(
                    BookingEvent(booking_id=booking.id, status="booked", actor_kind="citizen")
                )
                session.add_all(_reminders(booking, now))
                session.add_all(_office_events(office, booking, "booking.created", now))
                await session.flush()
                log.info(
                    "booking %s made: office %s, %s at %s",
                    booking.tracking_code,
                    office.id,
                    service.key,
                    request.starts_at.isoformat(),
                )
                return await booking_view(session, booking), True
        except IntegrityError as exc:
            message = str(exc.orig).lower()
            if "idempotency" in message:
                async with sessions() as session:
                    existing = await session.scalar(
                        select(Booking).where(Booking.idempotency_key == request.idempotency_key)
                    )
                    if existing is not None:
                        return await booking_view(session, existing), False
            if "national_code" in message or "uq_bookings_active" in message:
                raise BookingRefused(Refusal.DUPLICATE_ACTIVE) from None
            if "tracking_code" in message:
                continue
            if "booked_within_capacity" in message or "check" in message:
                raise BookingRefused(Refusal.SLOT_TAKEN) from None
            raise
    raise RuntimeError("could not find a free tracking code")


async def _owned(session: AsyncSession, booking_id: int, citizen: UserRef) -> Booking:
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if booking is None or UserRef(booking.messenger, booking.user_id) != citizen:
        raise BookingRefused(Refusal.NOT_FOUND)
    if booking.status not in HOLDING_STATUSES:
        raise BookingRefused(Refusal.NOT_ACTIVE, booking.tracking_code)
    return booking


def _office_closed_then(
    office: Office, booking: Booking, closures: Sequence[ClosureWindow]
) -> bool:
    """Whether an announced closure falls on the booking (it is then the office's doing:
    cut-off and limits do not apply to moving or cancelling it)."""
    assert booking.starts_at is not None
    return any(
        c.covers(office.id, office.province, office.city, booking.starts_at) for c in closures
    )


async def cancel(
    sessions: async_sessionmaker[AsyncSession],
    rules: BookingRules,
    booking_id: int,
    citizen: UserRef,
    now: dt.datetime,
    closures: Sequence[ClosureWindow] = (),
) -> BookingView:
    """The citizen cancels: the desks go back at once; not after the cut-off."""
    async with _one_writer_at_a_time(sessions), sessions() as session, session.begin():
        await _lock_user(session, citizen)
        booking = await _owned(session, booking_id, citizen)
        assert booking.starts_at is not None
        office = await session.get(Office, booking.office_id)
        assert office is not None
        too_late = not rules.may_still_cancel(booking.starts_at, now)
        if too_late and not _office_closed_then(office, booking, closures):
            raise BookingRefused(Refusal.TOO_LATE_TO_CANCEL, booking.tracking_code)
        await _release(session, booking)
        booking.status = "cancelled"
        session.add(BookingEvent(booking_id=booking.id, status="cancelled", actor_kind="citizen"))
        session.add_all(_office_events(office, booking, "booking.cancelled", now))
        await session.flush()
        return await booking_view(session, booking)


async def reschedule(
    sessions: async_sessionmaker[AsyncSession],
    rules: BookingRules,
    booking_id: int,
    citizen: UserRef,
    new_start: dt.datetime,
    now: dt.datetime,
    closures: Sequence[ClosureWindow] = (),
) -> BookingView:
    """Moves a booking to another free time at the same office: the new desks taken and the
    old ones freed in one transaction, or nothing changes."""
    async with _one_writer_at_a_time(sessions), sessions() as session, session.begin():
        await _lock_user(session, citizen)
        booking = await _owned(session, booking_id, citizen)
        office = await session.get(Office, booking.office_id)
        service = await session.get(Service, booking.service_key)
        assert office is not None and service is not None and booking.starts_at is not None
        forced = _office_closed_then(office, booking, closures)
        if booking.reschedule_count >= rules.max_reschedules and not forced:
            raise BookingRefused(Refusal.RESCHEDULE_LIMIT, booking.tracking_code)
        too_late = not rules.may_still_cancel(booking.starts_at, now)
        if too_late and not forced:
            raise BookingRefused(Refusal.TOO_LATE_TO_CANCEL, booking.tracking_code)
        await _release(session, booking)
        minutes = await _bookable(session, office, service, new_start, now, rules, closures)
        await _take(session, office, new_start, minutes)
        booking.starts_at = new_start.astimezone(dt.UTC)
        booking.ends_at = booking.starts_at + dt.timedelta(minutes=minutes)
        booking.reschedule_count += 0 if forced else 1
        session.add(
            BookingEvent(
                booking_id=booking.id,
                status=booking.status,
                actor_kind="citizen",
                note_fa=RESCHEDULED,
            )
        )
        session.add_all(_reminders(booking, now))
        session.add_all(_office_events(office, booking, "booking.rescheduled", now))
        await session.flush()
        return await booking_view(session, booking)


ON_MY_WAY = "on_my_way"
RESCHEDULED = "rescheduled"


async def note_on_my_way(
    sessions: async_sessionmaker[AsyncSession], booking_id: int, now: dt.datetime
) -> None:
    """The citizen pressed "on my way" under a reminder: noted, and the office told."""
    async with sessions() as session, session.begin():
        booking = await session.get(Booking, booking_id)
        if booking is None or booking.status not in HOLDING_STATUSES:
            return
        office = await session.get(Office, booking.office_id)
        assert office is not None
        session.add(
            BookingEvent(
                booking_id=booking.id,
                status=booking.status,
                actor_kind="citizen",
                note_fa=ON_MY_WAY,
            )
        )
        session.add_all(_office_events(office, booking, "booking.on_my_way", now))


# Statuses that say the citizen came: not before the booking's (Tehran) day.
VISITED = frozenset({"checked_in", "done"})
# Where "arrived" means this booking's own visit (not a return with missing documents).
EXPECTED = frozenset({"booked", "confirmed"})


def timing_refusal(booking: Booking, status: str, now: dt.datetime) -> Refusal | None:
    """Why the status cannot be set yet (or any more), if so: a visit is marked where it
    happens, so a citizen is never told "done" (and asked to rate) before going."""
    assert booking.starts_at is not None and booking.ends_at is not None
    day = booking.starts_at.astimezone(TEHRAN).date()
    today = now.astimezone(TEHRAN).date()
    if status in VISITED and today < day:
        return Refusal.BEFORE_ITS_DAY
    if status == "checked_in" and booking.status in EXPECTED and today > day:
        return Refusal.AFTER_ITS_DAY
    if status == "no_show" and now < booking.ends_at:
        return Refusal.SLOT_NOT_OVER
    return None


async def change_status(
    sessions: async_sessionmaker[AsyncSession],
    booking_id: int,
    status: str,
    now: dt.datetime,
    *,
    actor_kind: str,
    actor_ref: str = "",
    actor_name: str = "",
    note_fa: str = "",
) -> BookingView:
    """The office (staff, its system, an operator) moves a request on; the citizen is told.
    Staff acted in their own chat, which shows it at once; anyone else's change reaches the
    booking's card there through the outbox."""
    async with sessions() as session, session.begin():
        booking = await session.get(Booking, booking_id, with_for_update=True)
        if booking is None:
            raise BookingRefused(Refusal.NOT_FOUND)
        if status not in TRANSITIONS.get(booking.status, frozenset()):
            raise BookingRefused(Refusal.BAD_TRANSITION, booking.tracking_code)
        refusal = timing_refusal(booking, status, now)
        if refusal is not None:
            raise BookingRefused(refusal, booking.tracking_code)
        if status in RELEASING and booking.status in HOLDING_STATUSES:
            await _release(session, booking)
        booking.status = status
        session.add(
            BookingEvent(
                booking_id=booking.id,
                status=status,
                actor_kind=actor_kind,
                actor_ref=actor_ref,
                actor_name=actor_name[:100],
                note_fa=note_fa,
            )
        )
        session.add(outbox_event("request.status_changed", "citizen", booking, now, status=status))
        office = await session.get(Office, booking.office_id)
        assert office is not None
        if office.webhook_url and office.webhook_disabled_at is None:
            session.add(
                outbox_event("request.status_changed", "webhook", booking, now, status=status)
            )
        if actor_kind != "staff" and office.staff_chat_id is not None:
            # Staff see in their group what the office's system (or an operator) did.
            session.add(
                outbox_event("request.status_changed", "staff_chat", booking, now, status=status)
            )
        await session.flush()
        return await booking_view(session, booking)
