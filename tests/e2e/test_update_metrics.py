"""The running bot counts what it handles and what Telegram makes it wait for."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from dialogs import texts
from services.booking import BookingRequest, book
from services.clock import tehran_now
from services.identity import TELEGRAM, UserRef
from services.scheduling import availability
from services.staff import new_link_code
from services.storage.models import Office
from tests.helpers.booking import TEHRAN
from tests.helpers.booking_data import valid_national_code
from tests.helpers.world import World

GROUP = -1009870001  # a group of its own: the delivery's pace is kept per chat, per process
SERVICE = "birth_certificate_replacement"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def grows(name: str, beyond: float, within: float = 10.0, **labels: str) -> float:
    """The sample once it exceeds ``beyond`` (it is updated just after the reply is sent)."""
    for _ in range(int(within / 0.05)):
        value = sample(name, **labels)
        if value > beyond:
            return value
        await asyncio.sleep(0.05)
    return sample(name, **labels)


async def test_each_update_is_counted_and_timed(world: World) -> None:
    updates = sample("pishkhan_updates_total", type="message")
    timed = sample("pishkhan_update_seconds_count", type="message")
    taken = sample("pishkhan_update_seconds_sum", type="message")
    reply = await world.client.person(8601, "شهروند").says("/start")
    assert reply.text
    assert await grows("pishkhan_updates_total", updates, type="message") == updates + 1
    assert await grows("pishkhan_update_seconds_count", timed, type="message") == timed + 1
    assert sample("pishkhan_update_seconds_sum", type="message") > taken

    pressed = sample("pishkhan_updates_total", type="callback_query")
    await world.client.person(8601, "شهروند").presses(texts.MENU_FIND, expect_reply=False)
    assert await grows("pishkhan_updates_total", pressed, type="callback_query") == pressed + 1


async def test_a_delivery_telegram_refuses_with_429_is_postponed_and_counted(
    world: World,
) -> None:
    (nearest,) = world.deps.directory.index.nearest(SERVICE, *TEHRAN, 1)
    async with world.deps.sessions() as session:
        office = await session.get(Office, nearest.office.id)
        assert office is not None
    code, _ = await new_link_code(world.deps.sessions, office.code, tehran_now())
    await world.client.add_group(GROUP, "کارکنان")
    # Telegram wants ten seconds between two messages to a chat, and the bot has just
    # answered /link in the group: the news of the booking must wait.
    world.emulator.flood_limits(per_chat_per_second=0.1)
    await world.client.person(8602, "کارمند").in_chat(GROUP).says(f"/link {code}")
    postponed = sample("pishkhan_rate_limit_waits_total", kind="postpone")
    free = await availability(
        world.deps.sessions, office.id, SERVICE, tehran_now(), world.deps.rules
    )
    assert free is not None
    start = next(t.starts_at for day in sorted(free.times) for t in free.times[day])
    await book(
        world.deps.sessions,
        world.deps.vault,
        world.deps.rules,
        BookingRequest(
            office_id=office.id, service_key=SERVICE, starts_at=start,
            citizen=UserRef(TELEGRAM, 92_001), chat_id=92_001,
            national_code=valid_national_code(900),
            mobile="09121234567", citizen_name=None, idempotency_key="metrics:1",
        ),
        tehran_now(),
        world.deps.new_code,
    )  # fmt: skip
    assert await grows("pishkhan_rate_limit_waits_total", postponed, kind="postpone") > postponed
