"""Reading the service catalogue: what the bot knows about each service."""

from __future__ import annotations

import json
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from services.sample_data import shipped_file
from services.storage.models import Service, ServiceCategory


@dataclass(frozen=True)
class ServiceName:
    """How a service is called: its Persian name and every alias citizens use."""

    key: str
    name_fa: str
    aliases: tuple[str, ...]


async def service_names(sessions: async_sessionmaker[AsyncSession]) -> list[ServiceName]:
    """Every active service's names, for understanding free text."""
    async with sessions() as session:
        rows = await session.scalars(select(Service).where(Service.active).order_by(Service.key))
        return [ServiceName(s.key, s.name_fa, tuple(s.aliases)) for s in rows]


def shipped_service_names() -> list[ServiceName]:
    """The names in the catalogue shipped with the package (for offline evaluation)."""
    document = json.loads(shipped_file("catalogue.json").read_text(encoding="utf-8"))
    return [
        ServiceName(s["key"], s["name_fa"], tuple(s.get("aliases", ())))
        for s in document["services"]
    ]


@dataclass(frozen=True)
class Document:
    name_fa: str
    note_fa: str


@dataclass(frozen=True)
class Fee:
    amount_rial: int
    year: int  # Jalali year the amount applies to
    note_fa: str


@dataclass(frozen=True)
class OnlineAlternative:
    url: str
    name_fa: str
    note_fa: str


@dataclass(frozen=True)
class ServiceDetails:
    """Everything a citizen should know before leaving home for a service."""

    key: str
    name_fa: str
    category_key: str
    networks_fa: tuple[str, ...]  # short names of the networks that may offer it
    documents: tuple[Document, ...]
    fee: Fee | None
    typical_duration_fa: str
    online: OnlineAlternative | None
    visit_required: bool
    essential: bool
    notes_fa: str


@dataclass(frozen=True)
class Category:
    key: str
    name_fa: str


def _details(service: Service) -> ServiceDetails:
    return ServiceDetails(
        key=service.key,
        name_fa=service.name_fa,
        category_key=service.category_key,
        networks_fa=tuple(n.short_fa for n in service.networks),
        documents=tuple(Document(d["name_fa"], d.get("note_fa", "")) for d in service.documents),
        fee=(
            Fee(service.fee_rial, service.fee_year, service.fee_note_fa)
            if service.fee_rial is not None and service.fee_year is not None
            else None
        ),
        typical_duration_fa=service.typical_duration_fa,
        online=(
            OnlineAlternative(service.online_url, service.online_name_fa, service.online_note_fa)
            if service.online_url
            else None
        ),
        visit_required=service.visit_required,
        essential=service.essential,
        notes_fa=service.notes_fa,
    )


# A service's page is read on most updates and changes only when an operator imports a
# catalogue (usually from another process): kept per database for a minute.
DETAILS_TTL = 60.0
_details_cache: weakref.WeakKeyDictionary[
    async_sessionmaker[AsyncSession], dict[str, tuple[float, ServiceDetails | None]]
] = weakref.WeakKeyDictionary()


def forget_service_details() -> None:
    """After this process changed the catalogue."""
    _details_cache.clear()


async def service_details(
    sessions: async_sessionmaker[AsyncSession], key: str
) -> ServiceDetails | None:
    """A service's page, or None when no active service has this key."""
    cached = _details_cache.setdefault(sessions, {})
    now = time.monotonic()
    hit = cached.get(key)
    if hit is not None and now - hit[0] < DETAILS_TTL:
        return hit[1]
    async with sessions() as session:
        service = await session.get(Service, key, options=[selectinload(Service.networks)])
        details = None if service is None or not service.active else _details(service)
    cached[key] = (now, details)
    return details


async def categories(sessions: async_sessionmaker[AsyncSession]) -> list[Category]:
    """Categories that hold at least one active service, in the catalogue's order."""
    async with sessions() as session:
        rows = await session.scalars(
            select(ServiceCategory)
            .where(ServiceCategory.key.in_(select(Service.category_key).where(Service.active)))
            .order_by(ServiceCategory.position, ServiceCategory.key)
        )
        return [Category(c.key, c.name_fa) for c in rows]


async def services_in_category(
    sessions: async_sessionmaker[AsyncSession], category_key: str
) -> list[ServiceName]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Service)
            .where(Service.active, Service.category_key == category_key)
            .order_by(Service.name_fa)
        )
        return [ServiceName(s.key, s.name_fa, tuple(s.aliases)) for s in rows]
