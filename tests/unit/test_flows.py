"""Flows and their routers: typed drafts that survive a deploy or are dropped, and routes
that cannot be ambiguous (the order of routers decides nothing)."""

from __future__ import annotations

import enum

import pytest
from telegram import Update

from bot.app import routers
from dialogs.booking import BOOK, BookDraft, BookStep
from dialogs.callbacks import BookTime
from dialogs.context import BotContext
from dialogs.dispatch import AmbiguousRoutes, Dispatcher
from dialogs.flow import Draft, Flow, Router
from services.conversation import Conversation
from services.identity import TELEGRAM


class Step(enum.Enum):
    ONE = "one"


class Small(Draft):
    count: int = 0


async def _noop(update: Update, context: BotContext) -> None:
    return None


def test_a_draft_stored_before_versions_existed_still_loads() -> None:
    conversation = Conversation(
        messenger=TELEGRAM, chat_id=1, user_id=1, flow="book", step="mobile"
    )
    conversation.data = {"office": 7, "service": "passport_issue", "starts": "202612051000"}
    draft = BOOK.draft(conversation)
    assert draft == BookDraft(office=7, service="passport_issue", starts="202612051000")
    assert BOOK.step(conversation) is BookStep.MOBILE


def test_a_draft_of_another_version_or_shape_is_not_read() -> None:
    conversation = Conversation(
        messenger=TELEGRAM, chat_id=1, user_id=1, flow="book", step="mobile"
    )
    conversation.data = {"v": 99, "office": 7, "service": "passport_issue"}
    assert BOOK.draft(conversation) is None and not BOOK.readable(conversation)
    conversation.data = {"office": "not a number", "service": "passport_issue"}
    assert BOOK.draft(conversation) is None
    conversation.data = {"office": 7, "service": "passport_issue"}
    conversation.step = "a step a deploy removed"
    assert not BOOK.readable(conversation)


def test_go_writes_the_whole_draft_with_its_version() -> None:
    flow: Flow[Step, Small] = Flow("small", Step, Small)
    conversation = Conversation(messenger=TELEGRAM, chat_id=1, user_id=1, data={"left": "over"})
    flow.go(conversation, Step.ONE, Small(count=3))
    assert (conversation.flow, conversation.step) == ("small", "one")
    assert conversation.data == {"count": 3, "v": 1}
    assert flow.draft(conversation) == Small(count=3)


def test_the_shipped_routers_build_in_any_order() -> None:
    shipped = routers()
    Dispatcher(shipped)
    Dispatcher(list(reversed(shipped)))


def _with_fallbacks(*extra: Router) -> list[Router]:
    base = Router("base")
    base.stale_button()(_noop)
    base.unknown()(_noop)
    return [base, *extra]


def test_two_handlers_for_one_step_and_input_are_refused() -> None:
    flow: Flow[Step, Small] = Flow("small", Step, Small)
    first, second = Router("first", flow), Router("second")
    first.text(Step.ONE)(_noop)
    second.flow = flow
    second.text(Step.ONE)(_noop)
    with pytest.raises(AmbiguousRoutes):
        Dispatcher(_with_fallbacks(first, second))


def test_two_handlers_for_one_command_or_button_are_refused() -> None:
    one, two = Router("one"), Router("two")
    one.command("start")(_noop)
    two.command("start")(_noop)
    with pytest.raises(AmbiguousRoutes):
        Dispatcher(_with_fallbacks(one, two))
    three, four = Router("three"), Router("four")
    three.button(BookTime)(_noop)
    four.button(BookTime, when=lambda pick: pick.booking_id == 0)(_noop)
    with pytest.raises(AmbiguousRoutes):
        Dispatcher(_with_fallbacks(three, four))


def test_a_step_of_another_flow_cannot_be_registered() -> None:
    flow: Flow[Step, Small] = Flow("small", Step, Small)
    with pytest.raises(TypeError):
        Router("small", flow).text(BookStep.MOBILE)
    with pytest.raises(TypeError):
        Router("no flow").text(Step.ONE)
