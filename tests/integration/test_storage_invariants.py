"""The database itself refuses an overbooked slot and a second active booking."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.importing import import_catalogue
from services.storage.models import Booking, Office, Slot
from tests.helpers.data import DATA

START = dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)


async def _office_with_slot(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    await import_catalogue(sessions, DATA / "mini_catalogue.json")
    async with sessions() as session, session.begin():
        office = Office(
            code="X-1",
            name="دفتر",
            network_key="police10",
            province="تهران",
            city="تهران",
            lat=35.7,
            lon=51.4,
            weekly_hours={"sat": [["08:00", "14:00"]]},
            desks=1,
        )
        session.add(office)
        await session.flush()
        slot = Slot(
            office_id=office.id,
            starts_at=START,
            ends_at=START + dt.timedelta(minutes=15),
            capacity=1,
        )
        session.add(slot)
        await session.flush()
        return office.id, slot.id


def _booking(office_id: int, slot_id: int, code: str, status: str = "booked") -> Booking:
    return Booking(
        tracking_code=code,
        office_id=office_id,
        service_key="passport_issue",
        slot_id=slot_id,
        user_id=1,
        chat_id=1,
        national_code_hash="h" * 64,
        national_code_enc="enc",
        national_code_masked="001*****79",
        mobile_enc="enc",
        mobile_masked="0912***4567",
        status=status,
    )


async def test_a_slot_cannot_be_booked_past_its_capacity(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, slot_id = await _office_with_slot(sessions)
    async with sessions() as session, session.begin():
        await session.execute(update(Slot).where(Slot.id == slot_id).values(booked=Slot.booked + 1))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(
                update(Slot).where(Slot.id == slot_id).values(booked=Slot.booked + 1)
            )
    async with sessions() as session:
        slot = await session.get(Slot, slot_id)
        assert slot is not None and slot.booked == 1
        assert slot.starts_at == START  # comes back timezone-aware on both backends


async def test_one_active_booking_per_national_code_and_service(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    office_id, slot_id = await _office_with_slot(sessions)
    async with sessions() as session, session.begin():
        session.add(_booking(office_id, slot_id, "AAAA1"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(_booking(office_id, slot_id, "AAAA2"))
    # Once the first is cancelled the citizen may book again.
    async with sessions() as session, session.begin():
        await session.execute(update(Booking).values(status="cancelled"))
        session.add(_booking(office_id, slot_id, "AAAA3"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(_booking(office_id, slot_id, "AAAA4", status="lost"))
