"""Button data no version of the bot sent (empty, numbers past 64 bits, a press with no
message under it) gets the stale-button answer, and nothing in the log but a line."""

from __future__ import annotations

import asyncio
import logging

import pytest

from dialogs import texts
from dialogs.callbacks import MyBooking
from tests.helpers.booking import book_to_summary
from tests.helpers.world import World

PAST_64_BITS = 2**63


def _failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize(
    "data",
    [
        "",  # PTB hands empty data to every handler, patterns unasked
        MyBooking("cancel", 1).pack().replace(":1", f":{PAST_64_BITS}"),
        f"bt:1:passport_issue:202612011000:{PAST_64_BITS}",
        f"rt:stars:{PAST_64_BITS * 4}:1",
        "mb:cancel:--5",
        "mb:cancel:-",
    ],
)
async def test_odd_button_data_gets_the_stale_answer_without_a_traceback(
    world: World, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    citizen = world.client.person(9501, "آرش")
    await book_to_summary(citizen)
    caplog.set_level(logging.INFO)
    reply = await citizen.presses(texts.BOOK_CONFIRM, data=data)
    answers = await world.client.callback_answers(citizen.chat_id)
    assert answers[-1]["text"] == texts.STALE_BUTTON
    assert reply.last.text == texts.MENU_AGAIN
    assert not _failures(caplog)


async def test_a_press_without_a_message_gets_the_stale_answer(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """An inline-mode message's button: the press names no chat and carries no message."""
    citizen = world.client.person(9502, "نسرین")
    await citizen.says("/start")
    caplog.set_level(logging.INFO)
    query_id = "9502000001"
    await world.client.inject_raw_update(
        {
            "callback_query": {
                "id": query_id,
                "from": {**citizen.user, "is_bot": False},
                "inline_message_id": "AAAA-inline",
                "chat_instance": "42",
                "data": "m:docs",
            }
        }
    )
    for _ in range(50):
        calls = await world.client.calls("answerCallbackQuery")
        if any(c["params"].get("callback_query_id") == query_id for c in calls):
            break
        await asyncio.sleep(0.1)
    (answer,) = [c for c in calls if c["params"].get("callback_query_id") == query_id]
    assert answer["params"].get("text") == texts.STALE_BUTTON
    assert not _failures(caplog)
