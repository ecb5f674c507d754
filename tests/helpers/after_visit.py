"""After the visit: supervisors' chats, filing a complaint, reading its steps."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select

from dialogs import texts
from emulator import EmulatorClient, Person, Reply
from services.clock import tehran_now
from services.locator import OfficeEntry
from services.storage.models import Complaint, ComplaintEvent
from services.supervision import new_supervisor_code
from tests.helpers.world import World

TEHRAN_SUPERVISORS = -1002001
KARAJ_SUPERVISORS = -1002002
_COMPLAINT_CODE = re.compile(r"کد پیگیری شکایت: (C[0-9A-Z]{3}-[0-9A-Z]{4})")


@asynccontextmanager
async def impatient(world: World) -> AsyncIterator[EmulatorClient]:
    """A client that waits only briefly for an answer: for presses the bot answers with a
    notice on the button alone, not a message."""
    async with EmulatorClient(world.emulator.root_url, reply_timeout=1.0) as client:
        yield client


def office_in(world: World, province: str, county: str) -> OfficeEntry:
    return next(
        o
        for o in sorted(world.deps.directory.index.offices.values(), key=lambda o: o.id)
        if (o.province, o.county) == (province, county)
    )


async def link_supervisors(world: World, chat_id: int, county: str, user_id: int) -> Person:
    code, _ = await new_supervisor_code(world.deps.sessions, "county", county, tehran_now())
    await world.client.add_group(chat_id, f"ناظران {county}")
    supervisor = world.client.person(user_id, "ناظر").in_chat(chat_id)
    linked = await supervisor.says(f"/supervise {code}")
    assert linked.text.startswith("✅ این گفت‌وگو ناظر دفاتر شهرستان")
    return supervisor


async def file_complaint(
    citizen: Person, office: OfficeEntry, words: str, near: tuple[float, float] | None = None
) -> tuple[str, Reply]:
    """From the menu button to the complaint code, with the office found by its name typed
    or, given a point, by location."""
    await citizen.says("/start")
    start = await citizen.presses(texts.MENU_COMPLAINT)
    assert texts.COMPLAINT_ASK_OFFICE in start.text  # no bookings: asked which office
    if near is None:
        found = await citizen.says(office.name)
        assert found.last.text == texts.COMPLAINT_WHICH_OFFICE
        assert found.last.labels[0] == office.name[:60]  # the exact name first
    else:
        found = await citizen.shares_location(*near)
        assert found.last.text == texts.COMPLAINT_WHICH_OFFICE_NEAR
    kinds = await citizen.presses(office.name[:60], message_id=found.last.message_id)
    assert kinds.last.text == texts.COMPLAINT_ASK_KIND.format(office=office.name)
    asked = await citizen.presses(texts.COMPLAINT_KINDS["overcharged"])
    assert asked.text.startswith(texts.COMPLAINT_KINDS["overcharged"])
    photo = await citizen.says(words)
    assert photo.text == texts.COMPLAINT_ASK_PHOTO
    summary = await citizen.sends_photo("receipt-1")
    assert summary.messages[0].text == texts.COMPLAINT_PHOTO_RECEIVED
    assert f"🏢 دفتر: {office.name}" in summary.last.text
    assert f"🧾 عکس رسید: {texts.COMPLAINT_PHOTO_YES}" in summary.last.text
    filed = await citizen.presses(texts.COMPLAINT_CONFIRM)
    match = _COMPLAINT_CODE.search(filed.text)
    assert match is not None, filed.text
    return match.group(1), summary


async def complaint_id_of(world: World, code: str) -> int:
    async with world.deps.sessions() as session:
        found = await session.scalar(
            select(Complaint.id).where(Complaint.code == code.replace("-", ""))
        )
    assert found is not None
    return int(found)


async def complaint_steps(world: World, code: str) -> list[str]:
    complaint_id = await complaint_id_of(world, code)
    async with world.deps.sessions() as session:
        return list(
            await session.scalars(
                select(ComplaintEvent.kind)
                .where(ComplaintEvent.complaint_id == complaint_id)
                .order_by(ComplaintEvent.id)
            )
        )
