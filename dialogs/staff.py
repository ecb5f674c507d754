"""The counter's side in Telegram: linking the office's group, each booking's card (its
current time and status, who did what, and only the buttons that still apply), and the
day's agenda."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from dialogs import texts
from dialogs.callbacks import MAX_DOCUMENTS, CallbackData, StaffAction, StaffCancel, StaffDocs
from dialogs.context import BotContext, chat_ref, current_messenger, messenger_name
from dialogs.documents import documents_text
from dialogs.flow import Chats, Router
from dialogs.formatting import fa_day, fa_digits, fa_time
from dialogs.keyboards import button
from dialogs.messenger import Messenger, Sent
from dialogs.replies import answer_button, answer_stale, pressed_message, send
from nlp.extract import find_date
from nlp.tracking import format_tracking_code
from services.booking import (
    ON_MY_WAY,
    RESCHEDULED,
    TRANSITIONS,
    BookingRefused,
    BookingView,
    Refusal,
    TimelineEntry,
    booking_by_id,
    change_status,
)
from services.catalogue import ServiceDetails, service_details
from services.clock import TEHRAN, tehran_now
from services.identity import UserRef
from services.staff import (
    CardPlace,
    LinkRefused,
    agenda,
    is_registered_staff,
    link_chat,
    office_of_chat,
    remember_card,
)

log = logging.getLogger(__name__)

# Staff buttons and the status each one sets (cancel asks for a reason first, "missing
# documents" for the documents).
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
# Events after which the booking's card is drawn again (or first drawn).
CARD_EVENTS = frozenset(
    {"booking.created", "booking.rescheduled", "booking.cancelled", "request.status_changed"}
)

router = Router("staff")


def status_name(status: str) -> str:
    """A status as staff read it (third person, not the citizen's «حاضر شدید»)."""
    return texts.STAFF_STATUS_NAMES.get(status, status)


def staff_keyboard(view: BookingView) -> InlineKeyboardMarkup | None:
    """The moves the request can still make, two to a row."""
    allowed = TRANSITIONS.get(view.status, frozenset())
    buttons = [
        button(label, StaffAction(action, view.id))
        for action, status, label in ACTIONS
        if status in allowed
    ]
    return _rows_of(buttons, 2)


def _rows_of(buttons: list[InlineKeyboardButton], width: int) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])


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


def _who(entry: TimelineEntry) -> str:
    if entry.actor_kind == "staff":
        name = entry.actor_name
        return texts.STAFF_BY_CLERK.format(name=name) if name else texts.STAFF_BY_STAFF
    if entry.actor_kind == "citizen":
        return texts.STAFF_BY_CITIZEN
    if entry.actor_kind == "operator":
        return texts.STAFF_BY_OPERATOR
    return texts.STAFF_BY_SYSTEM


def _when(moment: dt.datetime, today: dt.date) -> str:
    local = moment.astimezone(TEHRAN)
    if local.date() == today:
        return texts.STAFF_HISTORY_TODAY.format(time=fa_time(local))
    return texts.STAFF_HISTORY_DAY.format(day=fa_day(local.date(), today), time=fa_time(local))


def history_line(entry: TimelineEntry, today: dt.date) -> str:
    """What happened to the booking, who did it and when, in the third person."""
    special = {RESCHEDULED: texts.STAFF_HISTORY_MOVED, ON_MY_WAY: texts.STAFF_HISTORY_ON_MY_WAY}
    what = special.get(entry.note_fa) or texts.STAFF_HISTORY.get(entry.status, entry.status)
    note = "" if entry.note_fa in special else entry.note_fa[:160]
    template = texts.STAFF_HISTORY_NOTE if note else texts.STAFF_HISTORY_LINE
    return template.format(what=what, note=note, who=_who(entry), when=_when(entry.at, today))


def staff_card(
    view: BookingView, service: ServiceDetails | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The booking's card as it is now (``view`` with its timeline), with its buttons."""
    history = view.timeline[1:]  # the first entry is the booking itself
    if view.status == "cancelled":
        head = texts.STAFF_CARD_CANCELLED
    else:
        head = texts.STAFF_CARD_HEAD if history else texts.STAFF_CARD_NEW
    today = tehran_now().date()
    lines = [
        head.format(service=view.service_name),
        texts.STAFF_CARD_BODY.format(status=status_name(view.status), **_fields(view)),
        *(history_line(entry, today) for entry in history),
    ]
    if view.active and service is not None:
        documents = documents_text(service).replace(texts.DOCS_LIST, texts.STAFF_DOCUMENTS)
        lines += ["", documents]
    return "\n".join(lines), staff_keyboard(view)


def render_for_staff(
    event_type: str, view: BookingView, service: ServiceDetails
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The group's message for an outbox event, with its buttons; None: nothing to say."""
    if event_type in CARD_EVENTS:
        return staff_card(view, service)
    if event_type == "booking.on_my_way":
        return texts.STAFF_ON_MY_WAY.format(**_fields(view)), None
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


async def disable_card(messengers: Mapping[str, Messenger], card: CardPlace) -> None:
    """An old card loses its buttons (a newer one shows the booking); a message the
    messenger no longer lets us edit, or one on a messenger not served now, keeps them,
    and a press on it is still checked."""
    messenger = messengers.get(card.messenger)
    if messenger is None:
        log.info("old staff card %s is on %s, not served here", card.message_id, card.messenger)
        return
    try:
        await messenger.set_buttons(card.chat_id, card.message_id, None)
    except TelegramError as exc:
        log.info("old staff card %s not disabled: %s", card.message_id, exc)


@router.command("link", chats=Chats.ANY)
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
            chat_ref(chat),
            user.id,
            user.full_name[:200],
            tehran_now(),
        )
    except LinkRefused:
        await send(update, texts.STAFF_LINK_REFUSED)
        return
    await send(update, texts.STAFF_LINKED.format(office=linked.office_name))


@router.command("agenda", chats=Chats.ANY)
async def agenda_command(update: Update, context: BotContext) -> None:
    """/agenda [day]: the office's bookings of today, or of the day named, by time."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    office = await office_of_chat(context.deps.sessions, chat_ref(chat))
    if office is None:
        await send(update, texts.STAFF_NOT_LINKED)
        return
    if not await _is_staff(context, office.office_id, chat.id, user.id):
        # Names and masked codes of the day's citizens are for those who act on them.
        await send(update, texts.STAFF_ONLY)
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
    if await is_registered_staff(
        context.deps.sessions, office_id, UserRef(messenger_name(), user_id)
    ):
        return True
    return await context.messenger.is_admin(chat_id, user_id)


async def _staff_booking(
    update: Update, context: BotContext, booking_id: int
) -> BookingView | None:
    """The booking a button is about, when it is this chat's office's and the one pressing
    is its staff; otherwise the button is answered with why not."""
    query = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    assert query is not None and chat is not None and user is not None
    view = await booking_by_id(context.deps.sessions, booking_id, with_timeline=True)
    office = await office_of_chat(context.deps.sessions, chat_ref(chat))
    if view is None or office is None or office.office_id != view.office_id:
        await answer_button(query, texts.STAFF_NOT_LINKED)
        return None
    if not await _is_staff(context, office.office_id, chat.id, user.id):
        await answer_button(query, texts.STAFF_ONLY)
        return None
    return view


def _refusal_toast(refusal: Refusal, view: BookingView) -> str | None:
    """What the clerk is told when the move is refused (None: not a refusal of theirs)."""
    day = fa_day(view.starts_at.date(), tehran_now().date())
    if refusal is Refusal.BAD_TRANSITION:
        # A second press, or a colleague was quicker: say so, change nothing.
        return texts.STAFF_ALREADY.format(status=status_name(view.status))
    if refusal is Refusal.BEFORE_ITS_DAY:
        return texts.STAFF_BEFORE_ITS_DAY.format(day=day, time=fa_time(view.starts_at))
    if refusal is Refusal.AFTER_ITS_DAY:
        return texts.STAFF_AFTER_ITS_DAY.format(day=day)
    if refusal is Refusal.SLOT_NOT_OVER:
        return texts.STAFF_SLOT_NOT_OVER.format(end=fa_time(view.ends_at))
    return None


async def _remember(context: BotContext, booking_id: int, message: Sent) -> None:
    """The message is the booking's card now; the card it replaces loses its buttons."""
    place = CardPlace(messenger_name(), message.chat_id, message.message_id)
    old = await remember_card(context.deps.sessions, booking_id, place, tehran_now())
    if old is not None:
        await disable_card(context.messengers, old)


async def _card_of(
    context: BotContext, view: BookingView
) -> tuple[str, InlineKeyboardMarkup | None]:
    return staff_card(view, await service_details(context.deps.sessions, view.service_key))


async def _redraw_card(update: Update, context: BotContext, booking_id: int) -> None:
    """The message pressed shows the booking as it is now (a message Telegram no longer
    lets us edit: a new card)."""
    view = await booking_by_id(context.deps.sessions, booking_id, with_timeline=True)
    assert view is not None
    text, keyboard = await _card_of(context, view)
    shown = await context.messenger.edit(*pressed_message(update), text, keyboard)
    await _remember(context, booking_id, shown)


async def _show_buttons(update: Update, markup: InlineKeyboardMarkup, title: str) -> None:
    """Other buttons under the card, in place (a new message where it cannot be edited)."""
    if not await current_messenger.get().set_buttons(*pressed_message(update), markup):
        await send(update, title, markup)


async def _act(
    update: Update, context: BotContext, view: BookingView, status: str, note: str
) -> None:
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    try:
        await change_status(
            context.deps.sessions,
            view.id,
            status,
            tehran_now(),
            actor_kind="staff",
            actor_ref=str(user.id),
            actor_name=user.full_name[:60],
            note_fa=note,
        )
    except BookingRefused as refused:
        toast = _refusal_toast(refused.refusal, view)
        if toast is None:
            raise
        await answer_button(query, toast)
        return
    await answer_button(query)
    await _redraw_card(update, context, view.id)


def _reasons_keyboard(booking_id: int) -> InlineKeyboardMarkup:
    rows = [
        [button(reason, StaffCancel(booking_id, index))]
        for index, reason in enumerate(texts.STAFF_CANCEL_REASONS)
    ]
    rows.append([button(texts.STAFF_BACK, StaffAction("back", booking_id))])
    return InlineKeyboardMarkup(rows)


def _documents_keyboard(booking_id: int, names: list[str], chosen: int) -> InlineKeyboardMarkup:
    """The service's documents to tick (a bit each in ``chosen``), then send."""
    rows = [
        [
            button(
                (
                    texts.STAFF_DOC_CHOSEN if chosen >> index & 1 else texts.STAFF_DOC_NOT_CHOSEN
                ).format(name=name),
                StaffDocs("toggle", booking_id, chosen, index),
            )
        ]
        for index, name in enumerate(names)
    ]
    rows.append([button(texts.STAFF_DOCS_SUBMIT, StaffDocs("send", booking_id, chosen, 0))])
    rows.append([button(texts.STAFF_BACK, StaffAction("back", booking_id))])
    return InlineKeyboardMarkup(rows)


async def _document_names(context: BotContext, view: BookingView) -> list[str]:
    service = await service_details(context.deps.sessions, view.service_key)
    names = [] if service is None else [d.name_fa for d in service.documents]
    return names[:MAX_DOCUMENTS]


@router.button(StaffAction)
async def action_chosen(update: Update, context: BotContext) -> None:
    """A staff button under a booking: the request moves on, the citizen is told."""
    query = update.callback_query
    assert query is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, StaffAction)
    view = await _staff_booking(update, context, pick.booking_id)
    if view is None:
        return
    if pick.action == "show":
        await answer_button(query)
        text, keyboard = await _card_of(context, view)
        shown = await send(update, text, keyboard)
        if shown is not None:
            await _remember(context, view.id, shown)
        return
    if pick.action == "back":
        await answer_button(query)
        await _redraw_card(update, context, view.id)
        return
    status = STATUS_OF[pick.action]
    if status not in TRANSITIONS.get(view.status, frozenset()):
        await answer_button(query, texts.STAFF_ALREADY.format(status=status_name(view.status)))
        await _redraw_card(update, context, view.id)
        return
    if pick.action == "cancel":
        await answer_button(query, texts.STAFF_CANCEL_WHY)
        await _show_buttons(update, _reasons_keyboard(view.id), texts.STAFF_CANCEL_WHY)
        return
    if pick.action == "docs":
        names = await _document_names(context, view)
        if names:
            await answer_button(query, texts.STAFF_DOCS_WHICH)
            await _show_buttons(
                update, _documents_keyboard(view.id, names, 0), texts.STAFF_DOCS_WHICH
            )
            return
        await _act(update, context, view, status, texts.STAFF_NEEDS_DOCS_NOTE)
        return
    await _act(update, context, view, status, "")


@router.button(StaffDocs)
async def documents_chosen(update: Update, context: BotContext) -> None:
    """A document ticked (or unticked) as missing, or the ticked ones sent: the request
    needs them, and the citizen is told which."""
    query = update.callback_query
    assert query is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, StaffDocs)
    view = await _staff_booking(update, context, pick.booking_id)
    if view is None:
        return
    names = await _document_names(context, view)
    if pick.step == "toggle":
        if pick.index >= len(names):
            await answer_stale(update)  # the service's list changed since
            return
        await answer_button(query)
        chosen = pick.chosen ^ (1 << pick.index)
        await _show_buttons(
            update, _documents_keyboard(view.id, names, chosen), texts.STAFF_DOCS_WHICH
        )
        return
    missing = [name for index, name in enumerate(names) if pick.chosen >> index & 1]
    if not missing:
        await answer_button(query, texts.STAFF_DOCS_NONE_CHOSEN)
        return
    note = texts.STAFF_MISSING_DOCS_NOTE.format(documents="، ".join(missing))
    await _act(update, context, view, "needs_documents", note)


@router.button(StaffCancel)
async def cancel_chosen(update: Update, context: BotContext) -> None:
    """A reason for cancelling: the booking is cancelled with it, the citizen told why."""
    pick = CallbackData.parse(update.callback_query.data if update.callback_query else None)
    assert isinstance(pick, StaffCancel)
    view = await _staff_booking(update, context, pick.booking_id)
    if view is None:
        return
    reasons = texts.STAFF_CANCEL_REASONS
    reason = reasons[pick.reason] if pick.reason < len(reasons) else reasons[-1]
    await _act(update, context, view, "cancelled", reason)
