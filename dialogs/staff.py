"""The counter's side in Telegram: linking the office's group, its bookings with buttons that
move them on, and the day's agenda."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from dialogs import texts
from dialogs.callbacks import CallbackData, StaffAction, StaffCancel
from dialogs.context import BotContext
from dialogs.documents import documents_text
from dialogs.formatting import fa_day, fa_digits, fa_time
from dialogs.group_admins import is_group_admin
from dialogs.keyboards import button
from dialogs.replies import answer_button, send
from nlp.extract import find_date
from nlp.tracking import format_tracking_code
from services.booking import (
    TRANSITIONS,
    BookingRefused,
    BookingView,
    Refusal,
    booking_by_id,
    change_status,
)
from services.catalogue import ServiceDetails
from services.clock import tehran_now
from services.staff import (
    LinkRefused,
    agenda,
    is_registered_staff,
    link_chat,
    office_of_chat,
)

# Staff buttons and the status each one sets (cancel asks for a reason first).
ACTIONS = (
    ("confirm", "confirmed", texts.STAFF_CONFIRM),
    ("arrived", "checked_in", texts.STAFF_ARRIVED),
    ("done", "done", texts.STAFF_DONE),
    ("no_show", "no_show", texts.STAFF_NO_SHOW),
    ("docs", "needs_documents", texts.STAFF_NEEDS_DOCS),
    ("ready", "ready_for_pickup", texts.STAFF_READY),
    ("cancel", "cancelled", texts.STAFF_CANCEL),
)
STATUS_OF = {action: status for action, status, _ in ACTIONS}


def status_name(status: str) -> str:
    return texts.STATUS_NAMES.get(status, status)


def staff_keyboard(view: BookingView) -> InlineKeyboardMarkup | None:
    """The moves the request can still make, two to a row."""
    allowed = TRANSITIONS.get(view.status, frozenset())
    buttons = [
        button(label, StaffAction(action, view.id))
        for action, status, label in ACTIONS
        if status in allowed
    ]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _fields(view: BookingView) -> dict[str, str]:
    return {
        "code": format_tracking_code(view.tracking_code),
        "service": view.service_name,
        "day": fa_day(view.starts_at.date(), tehran_now().date()),
        "time": fa_time(view.starts_at),
        "name": view.citizen_name or "—",
        "national_code": fa_digits(view.national_code_masked),
        "mobile": fa_digits(view.mobile_masked),
    }


def render_for_staff(
    event_type: str, view: BookingView, service: ServiceDetails
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The group's message for an outbox event, with its buttons; None: nothing to say."""
    fields = _fields(view)
    if event_type == "booking.created":
        documents = documents_text(service).replace(texts.DOCS_LIST, texts.STAFF_DOCUMENTS)
        return texts.STAFF_NEW.format(documents=documents, **fields), staff_keyboard(view)
    if event_type == "booking.rescheduled":
        return texts.STAFF_RESCHEDULED.format(**fields), staff_keyboard(view)
    if event_type == "booking.cancelled":
        return texts.STAFF_CANCELLED.format(**fields), None
    if event_type == "booking.on_my_way":
        return texts.STAFF_ON_MY_WAY.format(**fields), None
    if event_type == "request.status_changed":
        status = status_name(view.status)
        return texts.STAFF_STATUS_BY_SYSTEM.format(status=status, **fields), staff_keyboard(view)
    return None


_DIGEST_LINES = {
    "booking.created": texts.STAFF_DIGEST_NEW,
    "booking.rescheduled": texts.STAFF_DIGEST_RESCHEDULED,
    "booking.cancelled": texts.STAFF_DIGEST_CANCELLED,
    "booking.on_my_way": texts.STAFF_DIGEST_ON_MY_WAY,
    "request.status_changed": texts.STAFF_DIGEST_STATUS,
}


def render_digest(items: list[tuple[str, BookingView]]) -> tuple[str, InlineKeyboardMarkup]:
    """Several events for one group in one message, when its send budget is spent; a
    button per booking brings back its card with its action buttons."""
    lines = [texts.STAFF_DIGEST.format(count=fa_digits(len(items))), ""]
    for event_type, view in items:
        template = _DIGEST_LINES.get(event_type)
        if template:
            lines.append(template.format(status=status_name(view.status), **_fields(view)))
    lines += ["", texts.STAFF_DIGEST_FOOTER]
    shown = list(dict.fromkeys(view.id for _, view in items))[:90]
    codes = {view.id: format_tracking_code(view.tracking_code) for _, view in items}
    buttons = [button(codes[i], StaffAction("show", i)) for i in shown]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def link_command(update: Update, context: BotContext) -> None:
    """/link CODE: this group (or one clerk's private chat) becomes the office's."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if not context.args:
        await send(update, texts.STAFF_LINK_USAGE)
        return
    try:
        linked = await link_chat(
            context.deps.sessions,
            context.args[0],
            chat.id,
            user.id,
            user.full_name[:200],
            tehran_now(),
        )
    except LinkRefused:
        await send(update, texts.STAFF_LINK_REFUSED)
        return
    await send(update, texts.STAFF_LINKED.format(office=linked.office_name))


async def agenda_command(update: Update, context: BotContext) -> None:
    """/agenda [day]: the office's bookings of today, or of the day named, by time."""
    chat = update.effective_chat
    if chat is None:
        return
    office = await office_of_chat(context.deps.sessions, chat.id)
    if office is None:
        await send(update, texts.STAFF_NOT_LINKED)
        return
    today = tehran_now().date()
    words = " ".join(context.args or [])
    named = find_date(words, today) if words else None
    if words and named is None:
        await send(update, texts.AGENDA_BAD_DATE)
        return
    day = named.date if named else today
    bookings = await agenda(context.deps.sessions, office.office_id, day)
    label = fa_day(day, today)
    if not bookings:
        await send(update, texts.AGENDA_EMPTY.format(office=office.office_name, day=label))
        return
    lines = [texts.AGENDA_HEADER.format(office=office.office_name, day=label), ""]
    for view in bookings:
        lines.append(texts.AGENDA_LINE.format(status=status_name(view.status), **_fields(view)))
    await send(update, "\n".join(lines))


async def _is_staff(context: BotContext, office_id: int, chat_id: int, user_id: int) -> bool:
    """Registered staff of the office, or an admin of its linked group."""
    if await is_registered_staff(context.deps.sessions, office_id, user_id):
        return True
    return await is_group_admin(context.bot, chat_id, user_id)


async def _act(
    update: Update, context: BotContext, booking_id: int, status: str, note: str
) -> None:
    query = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    assert query is not None and chat is not None and user is not None
    view = await booking_by_id(context.deps.sessions, booking_id)
    office = await office_of_chat(context.deps.sessions, chat.id)
    if view is None or office is None or office.office_id != view.office_id:
        await answer_button(query, texts.STAFF_NOT_LINKED)
        return
    if not await _is_staff(context, office.office_id, chat.id, user.id):
        await answer_button(query, texts.STAFF_ONLY)
        return
    now = tehran_now()
    try:
        moved = await change_status(
            context.deps.sessions,
            booking_id,
            status,
            now,
            actor_kind="staff",
            actor_ref=str(user.id),
            note_fa=note,
        )
    except BookingRefused as refused:
        if refused.refusal is not Refusal.BAD_TRANSITION:
            raise
        # A second press, or a colleague was quicker: say so, change nothing.
        await answer_button(query, texts.STAFF_ALREADY.format(status=status_name(view.status)))
        return
    await answer_button(query)
    done_by = texts.STAFF_DONE_BY.format(
        status=status_name(status), who=user.full_name[:60], when=fa_time(now)
    )
    message = query.message
    old = message.text or "" if isinstance(message, Message) else ""
    try:
        await query.edit_message_text(f"{old}\n{done_by}", reply_markup=staff_keyboard(moved))
    except BadRequest:
        await send(update, done_by, staff_keyboard(moved))


async def action_chosen(update: Update, context: BotContext) -> None:
    """A staff button under a booking: the request moves on, the citizen is told."""
    query = update.callback_query
    assert query is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, StaffAction)
    if pick.action == "show":
        await _show_card(update, context, pick.booking_id)
        return
    if pick.action == "cancel":
        reasons = [
            [button(reason, StaffCancel(pick.booking_id, index))]
            for index, reason in enumerate(texts.STAFF_CANCEL_REASONS)
        ]
        await answer_button(query, texts.STAFF_CANCEL_WHY)
        await send(update, texts.STAFF_CANCEL_WHY, InlineKeyboardMarkup(reasons))
        return
    note = texts.STAFF_NEEDS_DOCS_NOTE if pick.action == "docs" else ""
    await _act(update, context, pick.booking_id, STATUS_OF[pick.action], note)


async def _show_card(update: Update, context: BotContext, booking_id: int) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    view = await booking_by_id(context.deps.sessions, booking_id)
    office = await office_of_chat(context.deps.sessions, chat.id)
    if view is None or office is None or office.office_id != view.office_id:
        await answer_button(query, texts.STAFF_NOT_LINKED)
        return
    await answer_button(query)
    card = texts.STAFF_CARD.format(status=status_name(view.status), **_fields(view))
    await send(update, card, staff_keyboard(view))


async def cancel_chosen(update: Update, context: BotContext) -> None:
    """A reason for cancelling: the booking is cancelled with it, the citizen told why."""
    pick = CallbackData.parse(update.callback_query.data if update.callback_query else None)
    assert isinstance(pick, StaffCancel)
    reasons = texts.STAFF_CANCEL_REASONS
    reason = reasons[pick.reason] if pick.reason < len(reasons) else reasons[-1]
    await _act(update, context, pick.booking_id, "cancelled", reason)
