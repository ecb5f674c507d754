"""A small world for booking tests: one catalogue, offices with desks, valid national codes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from nlp.extract import check_digit
from nlp.tracking import new_tracking_code
from services.booking import BookingRequest
from services.clock import TEHRAN
from services.identity import TELEGRAM, UserRef
from services.importing import import_catalogue
from services.privacy import Vault
from services.scheduling import BookingRules
from services.storage.models import Office, OfficeService, Service
from tests.helpers.data import DATA

# Saturday 7 Azar 1405 (2026-11-28), no holiday; the office opens at 08:00.
NOW = dt.datetime(2026, 11, 28, 7, 0, tzinfo=TEHRAN)
TEN = dt.datetime(2026, 11, 28, 10, 0, tzinfo=TEHRAN)
WEEK = {d: [["08:00", "14:00"]] for d in ("sat", "sun", "mon", "tue", "wed")}
VAULT = Vault("a test secret key, not a real one")
RULES = BookingRules(
    window_days=14, lead_minutes=60, max_active_per_user=3, max_reschedules=2,
    cancel_cutoff_minutes=60,
)  # fmt: skip
SERVICES = ("passport_issue", "birth_certificate_duplicate")


def valid_national_code(n: int) -> str:
    """The n-th valid national code (a serial number with its check digit)."""
    body = f"{n + 12_345_678:09d}"
    return body + check_digit(body)


async def office_with_desks(
    sessions: async_sessionmaker[AsyncSession], desks: int, code: str = "T-1"
) -> int:
    """An office in Tehran offering both test services (the catalogue loaded if needed)."""
    async with sessions() as session:
        loaded = await session.get(Service, "passport_issue")
    if loaded is None:
        await import_catalogue(sessions, DATA / "mini_catalogue.json")
    async with sessions() as session, session.begin():
        office = Office(
            code=code,
            name=f"دفتر {code}",
            network_key="police10",
            province="تهران",
            city="تهران",
            lat=35.7,
            lon=51.4,
            weekly_hours=WEEK,
            desks=desks,
        )
        session.add(office)
        await session.flush()
        session.add_all(OfficeService(office_id=office.id, service_key=s) for s in SERVICES)
        return office.id


def request(
    office_id: int,
    user: int,
    national_code: str,
    starts_at: dt.datetime = TEN,
    service: str = "passport_issue",
    key: str | None = None,
    messenger: str = TELEGRAM,
) -> BookingRequest:
    return BookingRequest(
        office_id=office_id,
        service_key=service,
        starts_at=starts_at,
        citizen=UserRef(messenger, user),
        chat_id=user,
        national_code=national_code,
        mobile="09121234567",
        citizen_name=None,
        idempotency_key=key
        or f"{messenger}:{user}:{national_code}:{service[:8]}:{starts_at:%m%d%H%M}",
    )


new_code = new_tracking_code
