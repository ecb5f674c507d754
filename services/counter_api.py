"""What a counter's own system may do over HTTP, behind a per-office bearer token: read
its agenda and move its requests on (e.g. "ready for pickup" when a passport arrives)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.privacy import scrub
from services.storage.models import Booking, Office


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_api_token(sessions: async_sessionmaker[AsyncSession], office_code: str) -> str:
    """A fresh token for the office (shown once; only its hash is kept); the old one stops
    working."""
    token = "pk_" + secrets.token_urlsafe(32)
    async with sessions() as session, session.begin():
        office = await session.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            raise LookupError(f"no office with code {office_code!r}")
        office.api_token_hash = _hash(token)
    return token


async def office_of_token(sessions: async_sessionmaker[AsyncSession], token: str) -> int | None:
    if not token.startswith("pk_"):
        return None
    async with sessions() as session:
        return await session.scalar(
            select(Office.id).where(Office.api_token_hash == _hash(token), Office.active)
        )


async def booking_of_office(
    sessions: async_sessionmaker[AsyncSession], office_id: int, tracking_code: str
) -> int | None:
    """The booking's id, if the code is one of this office's (other offices' are not found)."""
    async with sessions() as session:
        return await session.scalar(
            select(Booking.id).where(
                Booking.tracking_code == tracking_code.upper().replace("-", ""),
                Booking.office_id == office_id,
            )
        )


def status_note(note: str) -> str:
    """A note the office's system sent with a status, as it is stored and shown to the
    citizen and the staff: long digit runs (a national code, a mobile) masked, as in
    complaints."""
    return scrub(note.strip())
