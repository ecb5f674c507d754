"""An operator's log of a whole booking holds no full national code or mobile number."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.logs import configure_logging
from dialogs import texts
from services.storage.models import Booking
from tests.helpers.booking import NATIONAL_CODE, book_to_summary
from tests.helpers.world import World

MOBILE = "9121234567"  # the national part, however the number was written


@pytest.fixture
def operator_logging(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The bot's own logging set-up, at its most talkative level, writing where capfd
    reads."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("DEBUG")
    yield
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def _persian(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


async def test_a_booking_leaves_no_personal_numbers_in_the_log(
    world: World, operator_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    citizen = world.client.person(7001, "پریسا")
    await book_to_summary(citizen)
    done = await citizen.presses(texts.BOOK_CONFIRM)
    assert done.messages[0].text.startswith("✅")
    logging.getLogger("pishkhan.test").warning("citizen typed %s", NATIONAL_CODE)
    output = capfd.readouterr().err
    assert "booking " in output and " made: office " in output  # the log was captured
    for secret in (NATIONAL_CODE, MOBILE, _persian(NATIONAL_CODE), _persian(MOBILE)):
        assert secret not in output
    # The booked time is a date, not a personal number: it stays readable.
    made = re.search(r" made: office \d+, \w+ at ([^\s']+)", output)
    assert made is not None
    async with world.deps.sessions() as session:
        booking = (await session.scalars(select(Booking))).one()
    assert dt.datetime.fromisoformat(made.group(1)) == booking.starts_at
