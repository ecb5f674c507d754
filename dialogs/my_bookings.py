"""A citizen's active bookings: see them, cancel one, move one to another time."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardMarkup, Update

from dialogs import texts
from dialogs.booking import moment_of, show_days
from dialogs.callbacks import BookTime, MyBooking
from dialogs.context import BotContext, user_ref
from dialogs.flow import Router
from dialogs.formatting import fa_day, fa_digits, fa_time
from dialogs.keyboards import button, main_menu
from dialogs.replies import pressed, send
from nlp.tracking import format_tracking_code
from services.booking import (
    BookingRefused,
    BookingView,
    Refusal,
    active_bookings,
    booking_by_id,
    cancel,
    find_booking,
    note_on_my_way,
    reschedule,
)
from services.clock import tehran_now
from services.identity import UserRef

router = Router("my_bookings")


def status_name(status: str) -> str:
    return texts.STATUS_NAMES.get(status, status)


def booking_text(view: BookingView) -> str:
    return texts.MY_ITEM.format(
        service=view.service_name,
        office=view.office_name,
        day=fa_day(view.starts_at.date(), tehran_now().date()),
        time=fa_time(view.starts_at),
        code=format_tracking_code(view.tracking_code),
        status=status_name(view.status),
    )


def booking_keyboard(view: BookingView) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(texts.MY_CANCEL, MyBooking("cancel", view.id)),
                button(texts.MY_RESCHEDULE, MyBooking("reschedule", view.id)),
            ]
        ]
    )


async def show(update: Update, context: BotContext) -> None:
    """/mybookings: each active booking with its buttons, soonest first."""
    user = update.effective_user
    assert user is not None
    context.conversation.reset()
    found = await active_bookings(context.deps.sessions, user_ref(user))
    if not found:
        await send(update, texts.MY_NONE, main_menu())
        return
    for view in found:
        await send(update, booking_text(view), booking_keyboard(view))


async def _refused(update: Update, context: BotContext, refused: BookingRefused) -> None:
    rules = context.deps.rules
    if refused.refusal is Refusal.TOO_LATE_TO_CANCEL:
        view = (
            await find_booking(context.deps.sessions, refused.tracking_code)
            if refused.tracking_code
            else None
        )
        phone = fa_digits(view.office_phone) if view and view.office_phone else "—"
        text = texts.MY_TOO_LATE.format(minutes=fa_digits(rules.cancel_cutoff_minutes), phone=phone)
    elif refused.refusal is Refusal.RESCHEDULE_LIMIT:
        text = texts.MY_RESCHEDULE_LIMIT.format(limit=fa_digits(rules.max_reschedules))
    elif refused.refusal is Refusal.SLOT_TAKEN:
        text = texts.BOOK_SLOT_TAKEN
    elif refused.refusal is Refusal.NOT_BOOKABLE:
        text = texts.BOOK_NOT_BOOKABLE
    else:
        text = texts.MY_NOT_ACTIVE
    await send(update, text, main_menu())


@router.button(MyBooking)
async def chosen(update: Update, context: BotContext) -> None:
    """A button on a booking: cancel (asked once more), reschedule, on my way."""
    user = update.effective_user
    assert user is not None
    pick = await pressed(update, MyBooking)
    view = await booking_by_id(context.deps.sessions, pick.booking_id)
    if view is None or UserRef(view.messenger, view.user_id) != user_ref(user):
        await send(update, texts.MY_NOT_ACTIVE, main_menu())
        return
    if not view.active:
        await send(update, texts.MY_NOT_ACTIVE, main_menu())
        return
    deps = context.deps
    if pick.action == "cancel":
        await send(
            update,
            texts.MY_CANCEL_SURE.format(
                service=view.service_name,
                day=fa_day(view.starts_at.date(), tehran_now().date()),
                time=fa_time(view.starts_at),
            ),
            InlineKeyboardMarkup(
                [
                    [
                        button(texts.MY_CANCEL_YES, MyBooking("cancel_yes", view.id)),
                        button(texts.MY_CANCEL_NO, MyBooking("cancel_no", view.id)),
                    ]
                ]
            ),
        )
    elif pick.action == "cancel_no":
        await send(update, texts.MY_KEPT, main_menu())
    elif pick.action == "cancel_yes":
        now = tehran_now()
        directory = await deps.directory.fresh(now)
        try:
            done = await cancel(
                deps.sessions, deps.rules, view.id, user_ref(user), now, directory.closures
            )
        except BookingRefused as refused:
            await _refused(update, context, refused)
            return
        await send(
            update,
            texts.MY_CANCELLED.format(code=format_tracking_code(done.tracking_code)),
            main_menu(),
        )
    elif pick.action == "reschedule":
        if view.reschedule_count >= deps.rules.max_reschedules and not await _closed_then(
            context, view
        ):
            await _refused(update, context, BookingRefused(Refusal.RESCHEDULE_LIMIT))
            return
        await show_days(update, context, view.office_id, view.service_key, view.id)
    else:  # on my way
        await note_on_my_way(deps.sessions, view.id, tehran_now())
        await send(update, texts.ON_MY_WAY_NOTED)


async def _closed_then(context: BotContext, view: BookingView) -> bool:
    """Whether the office announced a closure over this booking (moving it is then free)."""
    directory = await context.deps.directory.fresh(tehran_now())
    office = directory.index.offices.get(view.office_id)
    return office is not None and any(
        c.covers(office.id, office.province, office.city, view.starts_at)
        for c in directory.closures
    )


@router.button(BookTime, when=lambda pick: pick.booking_id != 0)  # a new booking's has none
async def time_chosen(update: Update, context: BotContext) -> None:
    """A new time for an existing booking: moved in one transaction, or told why not."""
    user = update.effective_user
    assert user is not None
    pick = await pressed(update, BookTime)
    await move_to(update, context, pick.booking_id, moment_of(pick.moment), user_ref(user))


async def move_to(
    update: Update,
    context: BotContext,
    booking_id: int,
    starts_at: dt.datetime,
    citizen: UserRef,
) -> None:
    deps = context.deps
    now = tehran_now()
    directory = await deps.directory.fresh(now)
    try:
        view = await reschedule(
            deps.sessions,
            deps.rules,
            booking_id,
            citizen,
            starts_at,
            now,
            directory.closures,
        )
    except BookingRefused as refused:
        await _refused(update, context, refused)
        return
    await send(
        update,
        texts.MY_RESCHEDULED.format(
            code=format_tracking_code(view.tracking_code),
            day=fa_day(view.starts_at.date(), now.date()),
            time=fa_time(view.starts_at),
        ),
        main_menu(),
    )
