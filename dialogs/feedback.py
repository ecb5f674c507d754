"""After a visit: the one ask for a rating (stars, then the wait, then an optional comment).

The ask comes from the outbox once per booking; each answer is kept once (a second press
is thanked, not counted again), and every step can be skipped.
"""

from __future__ import annotations

import enum

from telegram import InlineKeyboardMarkup, Update

from dialogs import texts
from dialogs.callbacks import CallbackData, ComplaintStep, Rate
from dialogs.context import BotContext, messenger_name
from dialogs.flow import Flow, Router
from dialogs.formatting import fa_day, fa_digits, fa_number
from dialogs.keyboards import button, main_menu
from dialogs.replies import answer_button, redraw, send
from dialogs.steps import Waiting, still_waiting
from services.booking import BookingView
from services.clock import tehran_now
from services.feedback import (
    COMMENT_MAX,
    Outcome,
    Rater,
    RatingRefused,
    add_comment,
    check_rateable,
    rate,
    rate_wait,
    rating_of,
)
from services.storage.models import WAIT_BANDS

COMMENT_MINUTES = 30  # after this, text is not taken for the comment any more
# At or below this many stars the citizen is offered the complaint dialog.
LOW_STARS = 2


class RateStep(enum.Enum):
    COMMENT = "comment"  # the optional comment, typed


class RateDraft(Waiting):
    booking: int


RATE: Flow[RateStep, RateDraft] = Flow("rate", RateStep, RateDraft)
router = Router("rate", RATE)


def ask_text(view: BookingView) -> str:
    return texts.RATE_ASK.format(
        office=view.office_name,
        service=view.service_name,
        day=fa_day(view.starts_at.date(), tehran_now().date()),
    )


def ask_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    stars = [
        button(texts.RATE_STAR.format(stars=fa_digits(n)), Rate("stars", booking_id, n))
        for n in range(1, 6)
    ]
    return InlineKeyboardMarkup([stars, [button(texts.RATE_SKIP, Rate("stars", booking_id, 0))]])


def _wait_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    bands = [
        [button(label, Rate("wait", booking_id, index))]
        for index, label in enumerate(texts.WAIT_BAND_LABELS, start=1)
    ]
    return InlineKeyboardMarkup([*bands, [button(texts.RATE_SKIP, Rate("wait", booking_id, 0))]])


def _comment_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(texts.RATE_SKIP, Rate("comment", booking_id, 0))]])


async def _show(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """The ask's message becomes the next question (one message for the whole rating)."""
    await redraw(update, text, keyboard)


@router.button(Rate)
async def chosen(update: Update, context: BotContext) -> None:
    """A button under the ask: stars, a wait band, or skip."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    assert query is not None and user is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, Rate)
    if chat is None:  # a button without its message: no chat to check the owner by
        await answer_button(query, texts.STALE_BUTTON)
        return
    sessions = context.deps.sessions
    rater, now = Rater(messenger_name(), user.id, chat.id), tehran_now()
    try:
        if pick.step == "stars" and pick.value:
            outcome = await rate(sessions, pick.booking_id, rater, pick.value, now)
        elif pick.step == "wait" and pick.value:
            band = WAIT_BANDS[pick.value - 1]
            outcome = await rate_wait(sessions, pick.booking_id, rater, band, now)
        else:  # a skip keeps nothing, but is answered only for the chat's own visit
            await check_rateable(sessions, pick.booking_id, rater, now)
            outcome = Outcome.RECORDED
    except RatingRefused:  # forged, another's, or not over: says nothing about the booking
        await answer_button(query, texts.STALE_BUTTON)
        return
    if outcome is Outcome.ALREADY:
        await answer_button(query, texts.RATE_ALREADY)
        return
    await answer_button(query)
    if pick.step == "stars" and not pick.value:
        await _show(update, texts.RATE_SKIPPED)
    elif pick.step == "stars":
        saved = texts.RATE_STARS_SAVED.format(stars=fa_digits(pick.value))
        await _show(update, f"{saved}\n{texts.RATE_ASK_WAIT}", _wait_keyboard(pick.booking_id))
    elif pick.step == "wait":
        context.conversation.reset()
        RATE.go(context.conversation, RateStep.COMMENT, RateDraft(booking=pick.booking_id))
        limit = fa_number(COMMENT_MAX)
        await _show(
            update, texts.RATE_ASK_COMMENT.format(limit=limit), _comment_keyboard(pick.booking_id)
        )
    else:  # no comment
        if RATE.at(context.conversation):
            context.conversation.reset()
        await _show(update, texts.RATE_THANKS)
        await _offer_complaint(update, context, pick.booking_id)


@router.text(RateStep.COMMENT, any_length=True)  # with its own limit, said in its words
async def comment_typed(update: Update, context: BotContext, text: str) -> bool:
    """The optional comment, typed after the wait question (a while later: not any more)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    draft = RATE.draft(context.conversation)
    if not still_waiting(context.conversation, draft, COMMENT_MINUTES):
        return False
    assert draft is not None
    booking_id = draft.booking
    if len(text) > COMMENT_MAX:
        await send(
            update,
            texts.RATE_COMMENT_TOO_LONG.format(
                length=fa_number(len(text)), limit=fa_number(COMMENT_MAX)
            ),
        )
        return True
    context.conversation.reset()
    try:
        outcome = await add_comment(
            context.deps.sessions,
            booking_id,
            Rater(messenger_name(), user.id, chat.id),
            text,
            tehran_now(),
        )
    except RatingRefused:
        await send(update, texts.RATE_NOT_YOURS, main_menu())
        return True
    await send(update, texts.RATE_ALREADY if outcome is Outcome.ALREADY else texts.RATE_THANKS)
    await _offer_complaint(update, context, booking_id)
    return True


async def _offer_complaint(update: Update, context: BotContext, booking_id: int) -> None:
    """A low rating may be a complaint the citizen would not file unasked."""
    rating = await rating_of(context.deps.sessions, booking_id)
    if rating is not None and rating.stars <= LOW_STARS:
        keyboard = InlineKeyboardMarkup(
            [[button(texts.RATE_COMPLAIN, ComplaintStep("start", booking_id))]]
        )
        await send(update, texts.RATE_LOW, keyboard)
