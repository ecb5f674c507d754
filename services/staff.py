"""Counter staff in Telegram: linking an office's group with a one-time code, who may act
for an office, and the day's agenda."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.booking import BookingView, booking_view
from services.clock import TEHRAN
from services.identity import ChatRef, UserRef
from services.storage.db import insert_for
from services.storage.models import Booking, Office, OfficeLinkCode, OfficeStaff, StaffCard

# Unambiguous letters and digits, as tracking codes use (no 0/O, 1/I/L, U).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
LINK_CODE_HOURS = 48
# No booking is on a day outside these years (before the bot, past any booking window),
# and the ends of the calendar do not fit a day's bounds (9999-12-31 + 1 day).
AGENDA_YEARS = range(2000, 3000)


@dataclass(frozen=True)
class CardPlace:
    """Where a booking's card is: a message in the office's chat."""

    messenger: str
    chat_id: int
    message_id: int


class LinkRefused(Exception):
    """The code is unknown, used or expired (one answer for all: no hint for guessers)."""


@dataclass(frozen=True)
class LinkedOffice:
    office_id: int
    office_name: str


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


async def new_link_code(
    sessions: async_sessionmaker[AsyncSession],
    office_code: str,
    now: dt.datetime,
    hours: int = LINK_CODE_HOURS,
) -> tuple[str, str]:
    """A fresh one-time code for the office (returned once, stored hashed) and its name."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    async with sessions() as session, session.begin():
        office = await session.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            raise LookupError(f"no office with code {office_code!r}")
        session.add(
            OfficeLinkCode(
                code_hash=_hash(code),
                office_id=office.id,
                expires_at=now + dt.timedelta(hours=hours),
            )
        )
        return f"{code[:5]}-{code[5:]}", office.name


async def link_chat(
    sessions: async_sessionmaker[AsyncSession],
    code: str,
    chat: ChatRef,
    user_id: int,
    user_name: str,
    now: dt.datetime,
) -> LinkedOffice:
    """Links the chat to the code's office (a group, or one clerk's private chat) and makes
    the sender staff; the code then works no more."""
    async with sessions() as session, session.begin():
        link = await session.get(OfficeLinkCode, _hash(code), with_for_update=True)
        if link is None or link.used_at is not None or link.expires_at <= now:
            raise LinkRefused
        office = await session.get(Office, link.office_id)
        assert office is not None
        link.used_at = now
        office.staff_messenger, office.staff_chat_id = chat.messenger, chat.chat_id
        await session.merge(
            OfficeStaff(
                office_id=office.id, messenger=chat.messenger, user_id=user_id, name=user_name
            )
        )
        return LinkedOffice(office.id, office.name)


async def unlink_office(sessions: async_sessionmaker[AsyncSession], office_code: str) -> bool:
    """Forgets the office's chat and its staff (an operator, when staff change)."""
    async with sessions() as session, session.begin():
        office = await session.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            return False
        office.staff_messenger, office.staff_chat_id = None, None
        await session.execute(delete(OfficeStaff).where(OfficeStaff.office_id == office.id))
        return True


async def office_of_chat(
    sessions: async_sessionmaker[AsyncSession], chat: ChatRef
) -> LinkedOffice | None:
    async with sessions() as session:
        office = await session.scalar(
            select(Office).where(
                Office.staff_messenger == chat.messenger, Office.staff_chat_id == chat.chat_id
            )
        )
        return None if office is None else LinkedOffice(office.id, office.name)


async def office_chat(sessions: async_sessionmaker[AsyncSession], office_id: int) -> ChatRef | None:
    """The chat the office's staff linked, if any, on whichever messenger it is."""
    async with sessions() as session:
        office = await session.get(Office, office_id)
        if office is None or office.staff_chat_id is None or office.staff_messenger is None:
            return None
        return ChatRef(office.staff_messenger, office.staff_chat_id)


async def is_registered_staff(
    sessions: async_sessionmaker[AsyncSession], office_id: int, user: UserRef
) -> bool:
    async with sessions() as session:
        key = (office_id, user.messenger, user.user_id)
        return await session.get(OfficeStaff, key) is not None


async def agenda(
    sessions: async_sessionmaker[AsyncSession], office_id: int, day: dt.date
) -> list[BookingView]:
    """The office's bookings of a (Tehran) day, by time, whatever their status."""
    if day.year not in AGENDA_YEARS:
        return []
    start = dt.datetime.combine(day, dt.time(0, 0), TEHRAN)
    async with sessions() as session:
        rows = await session.scalars(
            select(Booking)
            .where(
                Booking.office_id == office_id,
                Booking.starts_at >= start,
                Booking.starts_at < start + dt.timedelta(days=1),
            )
            .order_by(Booking.starts_at, Booking.id)
        )
        return [await booking_view(session, booking) for booking in rows]


async def card_of(sessions: async_sessionmaker[AsyncSession], booking_id: int) -> CardPlace | None:
    async with sessions() as session:
        card = await session.get(StaffCard, booking_id)
        return None if card is None else CardPlace(card.messenger, card.chat_id, card.message_id)


async def remember_card(
    sessions: async_sessionmaker[AsyncSession],
    booking_id: int,
    place: CardPlace,
    now: dt.datetime,
) -> CardPlace | None:
    """This message is the booking's card from now on; returns the card it replaces (whose
    buttons should go: one card a booking, so no old buttons are pressed by mistake)."""
    async with sessions() as session, session.begin():
        card = await session.get(StaffCard, booking_id, with_for_update=True)
        old = None if card is None else CardPlace(card.messenger, card.chat_id, card.message_id)
        # An upsert: the delivery and a clerk's press may both draw a new card at once.
        values = {
            "messenger": place.messenger,
            "chat_id": place.chat_id,
            "message_id": place.message_id,
            "updated_at": now,
        }
        insert = insert_for(session.get_bind().dialect.name)
        await session.execute(
            insert(StaffCard)
            .values(booking_id=booking_id, **values)
            .on_conflict_do_update(index_elements=["booking_id"], set_=values)
        )
        return None if old == place else old
