"""The nearest offices that really offer a service: an in-memory index over every office.

One k-d tree per service holds only the offices that offer it, on the unit sphere, so "the
five nearest offering S" is a tree search, not a scan; filters (open at a moment, network)
are applied walking outwards from the nearest, widening the search until enough pass or
the search radius is reached.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from services.geo import chord_to_km, km_to_chord, unit_vector
from services.opening import ClosureWindow, OfficeHours, compile_hours
from services.storage.models import Closure, DataImport, Network, Office

# How long the in-memory directory may go without checking the database for new imports.
REFRESH_SECONDS = 30.0
# A citizen's filters narrow the offices near them and look no further: an office open now
# 300 km away answers nobody's "open now". Unfiltered, the nearest are found however far.
SEARCH_RADIUS_KM = 50


@dataclass(frozen=True)
class OfficeEntry:
    """What a citizen is shown about an office, and what the locator filters on."""

    id: int
    name: str
    network_key: str
    network_fa: str
    province: str
    county: str
    city: str
    district: int | None
    address: str
    phone: str
    lat: float
    lon: float
    hours: OfficeHours
    services: frozenset[str]
    service_notes: dict[str, str] = field(default_factory=dict, compare=False)
    notes_fa: str = ""


@dataclass(frozen=True)
class Nearby:
    office: OfficeEntry
    distance_km: float


@dataclass(frozen=True)
class OfficeFilter:
    """What a citizen narrowed the results to: offices open at the moment, one network."""

    open_now: bool = False
    network: str | None = None  # a network key

    @property
    def active(self) -> bool:
        return self.open_now or self.network is not None


UNFILTERED = OfficeFilter()


@dataclass(frozen=True)
class NearbyPage:
    """One page of the offices offering a service near a point, and how they may be narrowed."""

    offices: list[Nearby]
    more: bool  # a further page exists
    # The networks of the offices offering the service within the search radius, whatever
    # the filter (so the choice stays put while the citizen narrows it): key → short name,
    # nearest network first.
    networks: dict[str, str]


class OfficeIndex:
    """Nearest-office search over a fixed set of offices."""

    def __init__(self, offices: Sequence[OfficeEntry]) -> None:
        self.offices = {office.id: office for office in offices}
        members: dict[str, list[OfficeEntry]] = defaultdict(list)
        for office in offices:
            for service in office.services:
                members[service].append(office)
        self._trees: dict[str, tuple[cKDTree, list[OfficeEntry]]] = {}
        for service, found in members.items():
            points = np.array([unit_vector(o.lat, o.lon) for o in found])
            self._trees[service] = (cKDTree(points), found)
        self.networks = {office.network_key: office.network_fa for office in offices}

    def count(self, service: str) -> int:
        entry = self._trees.get(service)
        return len(entry[1]) if entry else 0

    def nearest(
        self,
        service: str,
        lat: float,
        lon: float,
        k: int = 5,
        *,
        skip: int = 0,
        open_at: dt.datetime | None = None,
        closures: Sequence[ClosureWindow] = (),
        network: str | None = None,
        within_km: float | None = None,
    ) -> list[Nearby]:
        """The ``k`` nearest offices offering ``service`` (after the first ``skip``), nearest
        first, optionally only those open at ``open_at``, of one network or within a
        distance."""
        entry = self._trees.get(service)
        if entry is None or k <= 0:
            return []
        tree, members = entry
        wanted = skip + k
        point = unit_vector(lat, lon)
        asked = min(len(members), max(2 * wanted, 8))
        while True:
            distances, indexes = tree.query(point, k=asked)
            found: list[Nearby] = []
            for chord, index in zip(np.atleast_1d(distances), np.atleast_1d(indexes), strict=True):
                km = chord_to_km(float(chord))
                if within_km is not None and km > within_km:
                    return found[skip:]  # nearest first: the rest are further still
                office = members[int(index)]
                if network is not None and office.network_key != network:
                    continue
                if open_at is not None and not office.hours.is_open(open_at, closures):
                    continue
                found.append(Nearby(office, km))
                if len(found) == wanted:
                    return found[skip:]
            if asked == len(members):
                return found[skip:]
            asked = min(len(members), asked * 4)

    def networks_near(
        self, service: str, lat: float, lon: float, within_km: float
    ) -> dict[str, str]:
        """The networks of the offices offering ``service`` within ``within_km``: key →
        short name, the network of the nearest office first."""
        entry = self._trees.get(service)
        if entry is None:
            return {}
        tree, members = entry
        point = unit_vector(lat, lon)
        inside = tree.query_ball_point(point, km_to_chord(within_km))
        chords = np.linalg.norm(tree.data[inside] - np.array(point), axis=1)
        networks: dict[str, str] = {}
        for index in np.array(inside, dtype=int)[np.argsort(chords)]:
            office = members[int(index)]
            networks.setdefault(office.network_key, office.network_fa)
        return networks

    def search(
        self,
        service: str,
        lat: float,
        lon: float,
        *,
        page: int,
        size: int,
        narrowed: OfficeFilter,
        at: dt.datetime,
        closures: Sequence[ClosureWindow],
    ) -> NearbyPage:
        """Page ``page`` (from 0) of the offices offering ``service`` nearest to the point;
        a filter looks only within SEARCH_RADIUS_KM, open now meaning open at ``at``."""
        found = self.nearest(
            service,
            lat,
            lon,
            size + 1,
            skip=page * size,
            open_at=at if narrowed.open_now else None,
            closures=closures,
            network=narrowed.network,
            within_km=SEARCH_RADIUS_KM if narrowed.active else None,
        )
        return NearbyPage(
            found[:size],
            len(found) > size,
            self.networks_near(service, lat, lon, SEARCH_RADIUS_KM),
        )


# --- loading from the database -------------------------------------------------------------


async def load_offices(sessions: async_sessionmaker[AsyncSession]) -> list[OfficeEntry]:
    """Every active office with the services it offers."""
    async with sessions() as session:
        networks = {n.key: n.short_fa for n in await session.scalars(select(Network))}
        offices = await session.scalars(
            select(Office).where(Office.active).options(selectinload(Office.services))
        )
        return [
            OfficeEntry(
                id=o.id,
                name=o.name,
                network_key=o.network_key,
                network_fa=networks.get(o.network_key, o.network_key),
                province=o.province,
                county=o.county,
                city=o.city,
                district=o.district,
                address=o.address,
                phone=o.phone,
                lat=o.lat,
                lon=o.lon,
                hours=OfficeHours(o.id, o.province, o.city, compile_hours(o.weekly_hours)),
                services=frozenset(s.service_key for s in o.services),
                service_notes={s.service_key: s.note_fa for s in o.services if s.note_fa},
                notes_fa=o.notes_fa,
            )
            for o in offices
        ]


async def load_closures(
    sessions: async_sessionmaker[AsyncSession], now: dt.datetime
) -> list[ClosureWindow]:
    """Closures not yet over."""
    async with sessions() as session:
        rows = await session.scalars(select(Closure).where(Closure.ends_at > now))
        return [
            ClosureWindow(
                c.scope, c.starts_at, c.ends_at, c.reason_fa, c.office_id, c.province, c.city
            )
            for c in rows
        ]


class OfficeDirectory:
    """The index and the closures, reloaded when an import or a closure changed them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.index = OfficeIndex([])
        self.closures: list[ClosureWindow] = []
        self._signature: tuple[object, ...] | None = None
        self._checked = 0.0

    async def _current_signature(self) -> tuple[object, ...]:
        async with self._sessions() as session:
            imports = await session.scalar(select(func.max(DataImport.id)))
            closures = (await session.execute(select(func.count(), func.max(Closure.id)))).one()
        return (imports, *closures)

    def expire(self) -> None:
        """The next look checks the database (after an import in this process)."""
        self._checked = 0.0

    async def fresh(self, now: dt.datetime) -> OfficeDirectory:
        """Itself, after reloading what changed since the last look (at most every 30 s)."""
        if self._checked and time.monotonic() - self._checked < REFRESH_SECONDS:
            return self
        signature = await self._current_signature()
        if signature != self._signature:
            self.index = OfficeIndex(await load_offices(self._sessions))
            self._signature = signature
        self.closures = await load_closures(self._sessions, now)
        self._checked = time.monotonic()
        return self
