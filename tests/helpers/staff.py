"""An office's staff group, linked to the office a citizen in Tehran sees first."""

from __future__ import annotations

from services.clock import tehran_now
from services.staff import new_link_code
from services.storage.models import Office
from tests.helpers.booking import TEHRAN
from tests.helpers.world import World

GROUP = -1001234567
SERVICE = "birth_certificate_replacement"


async def link_first_office(world: World, group: int = GROUP) -> tuple[Office, str]:
    """Links the group to the office a citizen in Tehran will see first."""
    (nearest,) = world.deps.directory.index.nearest(SERVICE, *TEHRAN, 1)
    async with world.deps.sessions() as session:
        office = await session.get(Office, nearest.office.id)
        assert office is not None
    code, _ = await new_link_code(world.deps.sessions, office.code, tehran_now())
    await world.client.add_group(group, f"کارکنان {office.name}")
    return office, code
