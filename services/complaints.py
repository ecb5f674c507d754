"""Complaints about offices: filed by a citizen, delivered to every supervisor chat whose
scope covers the office, acted on there (acknowledge, reply, resolve, reject), each step
told to the citizen. Each change is one transaction with the outbox events it causes.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clock import TEHRAN
from services.geo import haversine_km
from services.identity import ChatRef, UserRef
from services.locator import OfficeEntry
from services.privacy import mask_name, scrub
from services.storage.models import (
    COMPLAINT_KINDS,
    Booking,
    Complaint,
    ComplaintEvent,
    Office,
    OutboxEvent,
    Service,
    SupervisorLink,
)
from services.supervision import chat_covers_office, chats_covering, office_condition

DESCRIPTION_MAX = 1000
DESCRIPTION_MIN_LETTERS = 3
REPLY_MAX = 1000
# Statuses a supervisor can still move a complaint to, from each status.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "resolved", "rejected"}),
    "acknowledged": frozenset({"resolved", "rejected"}),
    "resolved": frozenset(),
    "rejected": frozenset(),
}
OPEN_STATUSES = ("open", "acknowledged")
OPEN_PAGE = 10  # complaints on one page of a supervisor's /open


class Problem(enum.Enum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


class Refusal(enum.Enum):
    NOT_FOUND = "not_found"
    OUT_OF_SCOPE = "out_of_scope"  # the chat supervises no scope that covers the office
    BAD_TRANSITION = "bad_transition"  # already done, or closed
    NO_OFFICE = "no_office"


class ComplaintRefused(Exception):
    def __init__(self, refusal: Refusal, status: str | None = None) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        self.status = status  # the complaint's status now, for BAD_TRANSITION


def text_problem(text: str, limit: int = DESCRIPTION_MAX) -> Problem | None:
    """Empty (fewer than three letters or digits) or too long."""
    if len(text) > limit:
        return Problem.TOO_LONG
    if sum(c.isalnum() for c in text) < DESCRIPTION_MIN_LETTERS:
        return Problem.EMPTY
    return None


@dataclass(frozen=True)
class ComplaintDraft:
    office_id: int
    booking_id: int | None
    citizen: UserRef
    chat_id: int
    citizen_name: str | None
    kind: str
    description: str
    receipt_file_id: str | None
    idempotency_key: str


@dataclass(frozen=True)
class ComplaintStep:
    kind: str  # filed | acknowledged | replied | resolved | rejected
    at: dt.datetime
    note: str


@dataclass(frozen=True)
class ComplaintView:
    """A complaint as the citizen sees it, and (identity masked) as supervisors do."""

    id: int
    code: str
    status: str
    kind: str
    description: str
    receipt_file_id: str | None
    office_id: int
    office_code: str
    office_name: str
    created_at: dt.datetime  # Asia/Tehran
    messenger: str
    chat_id: int
    user_id: int
    citizen_masked: str  # the name masked, for supervisors
    booking_code: str | None = None
    service_name: str | None = None
    mobile_masked: str | None = None
    timeline: tuple[ComplaintStep, ...] = field(default=())

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


def _owner(row: Booking | Complaint) -> UserRef:
    return UserRef(row.messenger, row.user_id)


async def _view(session: AsyncSession, complaint: Complaint, timeline: bool) -> ComplaintView:
    office = await session.get(Office, complaint.office_id)
    assert office is not None
    booking = await session.get(Booking, complaint.booking_id) if complaint.booking_id else None
    service = await session.get(Service, booking.service_key) if booking else None
    steps: tuple[ComplaintStep, ...] = ()
    if timeline:
        events = await session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id)
        )
        steps = tuple(
            ComplaintStep(e.kind, e.created_at.astimezone(TEHRAN), e.note) for e in events
        )
    return ComplaintView(
        id=complaint.id,
        code=complaint.code,
        status=complaint.status,
        kind=complaint.kind,
        description=complaint.description,
        receipt_file_id=complaint.receipt_file_id,
        office_id=office.id,
        office_code=office.code,
        office_name=office.name,
        created_at=complaint.created_at.astimezone(TEHRAN),
        messenger=complaint.messenger,
        chat_id=complaint.chat_id,
        user_id=complaint.user_id,
        citizen_masked=mask_name(complaint.citizen_name or ""),
        booking_code=booking.tracking_code if booking else None,
        service_name=service.name_fa if service else None,
        mobile_masked=booking.mobile_masked if booking else None,
        timeline=steps,
    )


async def complaint_by_id(
    sessions: async_sessionmaker[AsyncSession], complaint_id: int, *, with_timeline: bool = False
) -> ComplaintView | None:
    async with sessions() as session:
        complaint = await session.get(Complaint, complaint_id)
        return None if complaint is None else await _view(session, complaint, with_timeline)


async def complaint_by_idempotency_key(
    sessions: async_sessionmaker[AsyncSession], key: str
) -> ComplaintView | None:
    async with sessions() as session:
        complaint = await session.scalar(select(Complaint).where(Complaint.idempotency_key == key))
        return None if complaint is None else await _view(session, complaint, False)


async def find_complaint(
    sessions: async_sessionmaker[AsyncSession], code: str, citizen: UserRef
) -> ComplaintView | None:
    """The citizen's own complaint with its timeline; another's code is not found (a
    complaint may tell a supervisor's reply, which is for the complainant only)."""
    code = code.upper().replace("-", "")
    async with sessions() as session:
        complaint = await session.scalar(select(Complaint).where(Complaint.code == code))
        if complaint is None or _owner(complaint) != citizen:
            return None
        return await _view(session, complaint, True)


def _event(
    event_type: str, channel: str, complaint: Complaint, now: dt.datetime, **payload: object
) -> OutboxEvent:
    return OutboxEvent(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        channel=channel,
        office_id=complaint.office_id,
        payload={"complaint_id": complaint.id, **payload},
        next_attempt_at=now,
    )


async def file_complaint(
    sessions: async_sessionmaker[AsyncSession],
    draft: ComplaintDraft,
    now: dt.datetime,
    new_code: Callable[[], str],
) -> tuple[ComplaintView, bool]:
    """Stores the complaint and its news for every supervisor chat covering the office, in
    one transaction; or returns the complaint this idempotency key already made (False)."""
    if draft.kind not in COMPLAINT_KINDS:
        raise ValueError(f"unknown complaint kind {draft.kind!r}")
    for _ in range(5):  # a code collision is retried with a new code
        try:
            async with sessions() as session, session.begin():
                existing = await session.scalar(
                    select(Complaint).where(Complaint.idempotency_key == draft.idempotency_key)
                )
                if existing is not None:
                    return await _view(session, existing, False), False
                office = await session.get(Office, draft.office_id)
                if office is None:
                    raise ComplaintRefused(Refusal.NO_OFFICE)
                booking_id = draft.booking_id
                if booking_id is not None:
                    booking = await session.get(Booking, booking_id)
                    if booking is None or _owner(booking) != draft.citizen:
                        booking_id = None  # not the citizen's: the office alone is named
                complaint = Complaint(
                    code=new_code(),
                    office_id=office.id,
                    booking_id=booking_id,
                    messenger=draft.citizen.messenger,
                    user_id=draft.citizen.user_id,
                    chat_id=draft.chat_id,
                    citizen_name=draft.citizen_name,
                    kind=draft.kind,
                    # A national code or mobile typed into the text is masked here, before
                    # anyone else can read it.
                    description=scrub(draft.description.strip())[:DESCRIPTION_MAX],
                    receipt_file_id=draft.receipt_file_id,
                    status="open",
                    idempotency_key=draft.idempotency_key,
                    created_at=now,
                )
                session.add(complaint)
                await session.flush()
                session.add(ComplaintEvent(complaint_id=complaint.id, kind="filed", created_at=now))
                for chat in await chats_covering(session, office):
                    session.add(
                        _event(
                            "complaint.filed",
                            "supervisor",
                            complaint,
                            now,
                            messenger=chat.messenger,
                            chat_id=chat.chat_id,
                        )
                    )
                await session.flush()
                return await _view(session, complaint, False), True
        except IntegrityError as exc:
            message = str(exc.orig).lower()
            if "idempotency" in message:
                continue  # a twin press committed first: the next round finds it
            if "code" in message:
                continue
            raise
    raise RuntimeError("could not store the complaint")


async def act(
    sessions: async_sessionmaker[AsyncSession],
    complaint_id: int,
    kind: str,
    now: dt.datetime,
    *,
    chat: ChatRef,
    actor_ref: str,
    note: str = "",
) -> ComplaintView:
    """A supervisor in ``chat`` acknowledges, replies to, resolves or rejects a
    complaint; refused unless one of the chat's scopes covers the office. The citizen is
    told through the outbox."""
    async with sessions() as session, session.begin():
        complaint = await session.get(Complaint, complaint_id, with_for_update=True)
        if complaint is None:
            raise ComplaintRefused(Refusal.NOT_FOUND)
        office = await session.get(Office, complaint.office_id)
        assert office is not None
        if not await chat_covers_office(session, chat, office):
            raise ComplaintRefused(Refusal.OUT_OF_SCOPE)
        if kind == "replied":
            if complaint.status not in OPEN_STATUSES:
                raise ComplaintRefused(Refusal.BAD_TRANSITION, complaint.status)
            complaint.status = "acknowledged"  # a reply says someone is on it
            note = scrub(note.strip())[:REPLY_MAX]
        elif kind in TRANSITIONS.get(complaint.status, frozenset()):
            complaint.status = kind
        else:
            raise ComplaintRefused(Refusal.BAD_TRANSITION, complaint.status)
        step = ComplaintEvent(
            complaint_id=complaint.id, kind=kind, actor_ref=actor_ref, note=note, created_at=now
        )
        session.add(step)
        await session.flush()
        session.add(_event("complaint.updated", "citizen", complaint, now, step_id=step.id))
        await session.flush()
        return await _view(session, complaint, True)


async def complaint_step(
    sessions: async_sessionmaker[AsyncSession], step_id: int
) -> ComplaintStep | None:
    async with sessions() as session:
        step = await session.get(ComplaintEvent, step_id)
        return (
            None
            if step is None
            else ComplaintStep(step.kind, step.created_at.astimezone(TEHRAN), step.note)
        )


async def visible_in_chat(
    sessions: async_sessionmaker[AsyncSession], complaint_id: int, chat: ChatRef
) -> ComplaintView | None:
    """The complaint, if the chat supervises its office (else None: not for its eyes)."""
    async with sessions() as session:
        complaint = await session.get(Complaint, complaint_id)
        if complaint is None:
            return None
        office = await session.get(Office, complaint.office_id)
        assert office is not None
        if not await chat_covers_office(session, chat, office):
            return None
        return await _view(session, complaint, True)


# --- what is still open, for a supervisor chat ------------------------------------------------


@dataclass(frozen=True)
class OpenComplaint:
    """One line of a supervisor chat's list of complaints still waiting for action."""

    id: int
    code: str
    kind: str
    status: str
    office_name: str
    office_code: str
    created_at: dt.datetime  # Asia/Tehran


@dataclass(frozen=True)
class OpenPage:
    complaints: tuple[OpenComplaint, ...]
    total: int  # open complaints in the chat's scopes, on every page
    before: int  # of those, how many come before this page

    @property
    def more(self) -> bool:
        return self.before + len(self.complaints) < self.total


async def open_in_chat(
    sessions: async_sessionmaker[AsyncSession],
    chat: ChatRef,
    *,
    after: int | None = None,
    limit: int = OPEN_PAGE,
) -> OpenPage | None:
    """The complaints in the chat's scopes that are neither resolved nor rejected, oldest
    first: ``limit`` of them, after complaint ``after`` when given. None when ``after`` is
    not a complaint this chat supervises (a stale or forged page button).

    A page starts after a complaint, not at an offset, so complaints closed since the last
    page neither hide the next ones nor show one twice."""
    async with sessions() as session:
        links = list(
            await session.scalars(
                select(SupervisorLink).where(
                    SupervisorLink.messenger == chat.messenger,
                    SupervisorLink.chat_id == chat.chat_id,
                )
            )
        )
        # The chat's scopes as SQL over offices: nothing outside them is read.
        scoped = (
            office_condition(links),
            Complaint.status.in_(OPEN_STATUSES),
        )
        later: list[ColumnElement[bool]] = []
        if after is not None:
            cursor = (
                await session.execute(
                    select(Complaint.created_at, Complaint.id)
                    .join(Office, Office.id == Complaint.office_id)
                    .where(Complaint.id == after, scoped[0])
                )
            ).first()
            if cursor is None:
                return None
            created_at, cursor_id = cursor
            later.append(
                or_(
                    Complaint.created_at > created_at,
                    and_(Complaint.created_at == created_at, Complaint.id > cursor_id),
                )
            )
        rows = (
            await session.execute(
                select(Complaint, Office.name, Office.code)
                .join(Office, Office.id == Complaint.office_id)
                .where(*scoped, *later)
                .order_by(Complaint.created_at, Complaint.id)
                .limit(limit)
            )
        ).all()
        counted = (
            select(func.count())
            .select_from(Complaint)
            .join(Office, Office.id == Complaint.office_id)
            .where(*scoped)
        )
        total = int(await session.scalar(counted) or 0)
        remaining = int(await session.scalar(counted.where(*later)) or 0) if later else total
    return OpenPage(
        complaints=tuple(
            OpenComplaint(
                id=complaint.id,
                code=complaint.code,
                kind=complaint.kind,
                status=complaint.status,
                office_name=office_name,
                office_code=office_code,
                created_at=complaint.created_at.astimezone(TEHRAN),
            )
            for complaint, office_name, office_code in rows
        ),
        total=total,
        before=total - remaining,
    )


# --- which office: from the citizen's bookings, by name, or near a point --------------------


@dataclass(frozen=True)
class RecentVisit:
    booking_id: int
    office_id: int
    office_name: str
    service_name: str
    starts_at: dt.datetime  # Asia/Tehran


async def recent_visits(
    sessions: async_sessionmaker[AsyncSession], citizen: UserRef, limit: int = 5
) -> list[RecentVisit]:
    """The citizen's latest bookings (any status: a cancelled one may be the complaint)."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Booking, Office.name, Service.name_fa)
                .join(Office, Office.id == Booking.office_id)
                .join(Service, Service.key == Booking.service_key)
                .where(Booking.messenger == citizen.messenger, Booking.user_id == citizen.user_id)
                .order_by(Booking.starts_at.desc(), Booking.id.desc())
                .limit(limit)
            )
        ).all()
    return [
        RecentVisit(
            booking.id,
            booking.office_id,
            office_name,
            service_name,
            (booking.starts_at or booking.created_at).astimezone(TEHRAN),
        )
        for booking, office_name, service_name in rows
    ]


async def visit_of(
    sessions: async_sessionmaker[AsyncSession], booking_id: int, citizen: UserRef
) -> RecentVisit | None:
    """One of the citizen's bookings (another's is not found)."""
    async with sessions() as session:
        booking = await session.get(Booking, booking_id)
        if booking is None or _owner(booking) != citizen:
            return None
        office = await session.get(Office, booking.office_id)
        service = await session.get(Service, booking.service_key)
        assert office is not None and service is not None
        return RecentVisit(
            booking.id,
            office.id,
            office.name,
            service.name_fa,
            (booking.starts_at or booking.created_at).astimezone(TEHRAN),
        )


def offices_near(
    offices: Iterable[OfficeEntry], lat: float, lon: float, limit: int = 5
) -> list[OfficeEntry]:
    """The nearest offices of any network and service (a complaint is about a place)."""
    ranked = sorted(offices, key=lambda o: haversine_km(lat, lon, o.lat, o.lon))
    return ranked[:limit]
