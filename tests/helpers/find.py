"""A place and a service the finding tests search from, and how to read a results list."""

from __future__ import annotations

import re

from sqlalchemy import select

from emulator import Reply
from services.geo import haversine_km
from services.storage.models import Office, OfficeService
from tests.helpers.world import World

TEHRAN_VALIASR = (35.7000, 51.4100)
SERVICE = "birth_certificate_replacement"
SERVICE_FA = "تعویض شناسنامه"
_KM = re.compile(r"📏 ([۰-۹٫٬]+) کیلومتر")
_FA_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")


def listed(reply: Reply) -> tuple[list[str], list[float]]:
    """Office names and distances (km) in a results message, in order."""
    text = reply.last.text
    names = re.findall(r"^[۰-۹]+\. (.+) — ", text, flags=re.MULTILINE)
    kms = [float(k.translate(_FA_TO_ASCII).replace(",", "")) for k in _KM.findall(text)]
    return names, kms


async def offices_offering(world: World, service: str) -> dict[str, tuple[float, float]]:
    async with world.deps.sessions() as session:
        rows = await session.execute(
            select(Office.name, Office.lat, Office.lon)
            .join(OfficeService)
            .where(OfficeService.service_key == service, Office.active)
        )
        return {name: (lat, lon) for name, lat, lon in rows}


def expected_nearest(
    offices: dict[str, tuple[float, float]], lat: float, lon: float, count: int = 5
) -> list[tuple[str, float]]:
    ranked = sorted(
        ((name, haversine_km(lat, lon, *point)) for name, point in offices.items()),
        key=lambda pair: pair[1],
    )
    return ranked[:count]


def place_shown(reply: Reply) -> tuple[str, tuple[float, float]]:
    """The place a reply showed on a map: a venue's title and point; on a messenger without
    venues (Bale), the pin's point and the name on the first line of the message after it."""
    shown = [m for m in reply.messages if not m.deleted]
    for i, message in enumerate(shown):
        if message.location is None:
            continue
        if message.venue_title is not None:
            return message.venue_title, message.location
        assert i + 1 < len(shown), "a pin without the place's name after it"
        return shown[i + 1].text.split("\n")[0], message.location
    raise AssertionError("no place on a map in the reply")
