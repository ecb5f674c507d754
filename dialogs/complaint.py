"""A complaint about an office: which office → what happened → in the citizen's words →
a receipt photo if there is one → confirm. The citizen gets a code for /track.

The office comes from one of the citizen's bookings, a name typed, or a location shared;
each later step is a button or one message. A second press of confirm, or an old button,
never files a second complaint.
"""

from __future__ import annotations

import enum
import secrets

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from dialogs import texts
from dialogs.callbacks import CallbackData, ComplaintConfirm, ComplaintStep
from dialogs.context import BotContext, user_ref
from dialogs.flow import Flow, Router
from dialogs.formatting import fa_day, fa_number
from dialogs.keyboards import button, main_menu
from dialogs.replies import answer_button, pressed, send
from dialogs.steps import Waiting, still_waiting
from dialogs.understanding import understand
from nlp.names import best_names
from nlp.tracking import format_tracking_code, new_complaint_code
from services.clock import tehran_now
from services.complaints import (
    DESCRIPTION_MAX,
    ComplaintDraft,
    Problem,
    complaint_by_idempotency_key,
    file_complaint,
    offices_near,
    recent_visits,
    text_problem,
    visit_of,
)
from services.identity import press_key
from services.locator import OfficeEntry
from services.places import locate
from services.privacy import scrub
from services.storage.models import COMPLAINT_KINDS

# A dialog left for this long is over: the next words start something new.
DIALOG_MINUTES = 120


class ComplaintStage(enum.Enum):
    OFFICE = "office"  # which office: a recent visit, a typed name or place, a location
    KIND = "kind"
    DESCRIPTION = "description"
    PHOTO = "photo"  # a receipt, or none
    CONFIRM = "confirm"


class ComplaintDialog(Waiting):
    office: int = 0
    office_name: str = ""
    booking: int = 0
    kind: str = ""
    description: str = ""  # masked as typed (services.privacy.scrub)
    photo: str | None = None  # the receipt's file id
    nonce: str = ""


COMPLAINT: Flow[ComplaintStage, ComplaintDialog] = Flow(
    "complaint", ComplaintStage, ComplaintDialog
)
router = Router("complaint", COMPLAINT)


def _cancel_row() -> list[InlineKeyboardButton]:
    return [button(texts.COMPLAINT_CANCEL, ComplaintStep("cancel", 0))]


def _where_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(texts.SHARE_LOCATION, request_location=True)],
            [KeyboardButton(texts.FIND_CANCEL)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def start(update: Update, context: BotContext, booking_id: int = 0) -> None:
    """Opens the dialog: about one booking (from a low rating), else asks which office."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    conversation = context.conversation
    conversation.reset()
    COMPLAINT.go(conversation, ComplaintStage.OFFICE, ComplaintDialog())
    if booking_id:
        visit = await visit_of(context.deps.sessions, booking_id, user_ref(user))
        if visit is not None:
            await _office_chosen(
                update, context, visit.office_id, visit.office_name, visit.booking_id
            )
            return
    visits = await recent_visits(context.deps.sessions, user_ref(user))
    ask = texts.COMPLAINT_PICK_VISIT if visits else texts.COMPLAINT_ASK_OFFICE
    await send(update, texts.COMPLAINT_START + ask, _where_keyboard())
    if visits:
        today = tehran_now().date()
        rows = [
            [
                button(
                    texts.COMPLAINT_VISIT_BUTTON.format(
                        office=v.office_name,
                        service=v.service_name,
                        day=fa_day(v.starts_at.date(), today),
                    )[:100],
                    ComplaintStep("booking", v.booking_id),
                )
            ]
            for v in visits
        ]
        await send(
            update, texts.COMPLAINT_WHICH_OFFICE, InlineKeyboardMarkup([*rows, _cancel_row()])
        )


@router.command("complaint")
async def command(update: Update, context: BotContext) -> None:
    """/complaint"""
    await start(update, context)


async def _candidates(update: Update, text: str, offices: list[OfficeEntry]) -> None:
    rows = [[button(o.name[:60], ComplaintStep("office", o.id))] for o in offices]
    await send(update, text, InlineKeyboardMarkup([*rows, _cancel_row()]))


async def _office_chosen(
    update: Update, context: BotContext, office_id: int, office_name: str, booking_id: int = 0
) -> None:
    draft = _draft(context)
    draft.office, draft.office_name, draft.booking = office_id, office_name, booking_id
    COMPLAINT.go(context.conversation, ComplaintStage.KIND, draft)
    if update.effective_chat is not None:  # the location keyboard has done its work
        await send(update, f"🏢 {office_name}", ReplyKeyboardRemove())
    rows = [
        [button(texts.COMPLAINT_KINDS[kind], ComplaintStep("kind", index))]
        for index, kind in enumerate(COMPLAINT_KINDS)
    ]
    await send(
        update,
        texts.COMPLAINT_ASK_KIND.format(office=office_name),
        InlineKeyboardMarkup([*rows, _cancel_row()]),
    )


async def _drop(update: Update, context: BotContext) -> None:
    context.conversation.reset()
    if update.effective_chat is not None:
        await send(update, texts.COMPLAINT_DROPPED, ReplyKeyboardRemove())
    await send(update, texts.MENU_AGAIN, main_menu())


def _draft(context: BotContext) -> ComplaintDialog:
    """The dialog's draft (the dispatcher has checked a stored one reads)."""
    return COMPLAINT.draft(context.conversation) or ComplaintDialog()


# Any length: the description says its own limit in its words; an office name is short.
@router.text(ComplaintStage.OFFICE, ComplaintStage.DESCRIPTION, any_length=True)
async def text_step(update: Update, context: BotContext, text: str) -> bool:
    """Text while the dialog waits for it (the office, the description); False when the
    dialog was left long ago, so the text is understood as any other."""
    conversation = context.conversation
    if not still_waiting(conversation, COMPLAINT.draft(conversation), DIALOG_MINUTES):
        return False
    if COMPLAINT.at(conversation, ComplaintStage.OFFICE):
        await _office_typed(update, context, text)
    else:
        await _description_typed(update, context, text)
    return True


async def _office_typed(update: Update, context: BotContext, text: str) -> None:
    if text.strip() == texts.FIND_CANCEL:
        await _drop(update, context)
        return
    directory = await context.deps.directory.fresh(tehran_now())
    offices = list(directory.index.offices.values())
    found = [offices[i] for i in best_names(text, [o.name for o in offices])]
    if not found:
        place = understand(context, text).place
        point = locate(place.province, place.county, place.city, place.district) if place else None
        if point is not None:
            found = offices_near(offices, *point)
    if not found:
        await send(update, texts.COMPLAINT_OFFICE_NOT_FOUND.format(text=text[:60]))
        return
    await _candidates(update, texts.COMPLAINT_WHICH_OFFICE, found)


@router.location(ComplaintStage.OFFICE)
async def location_shared(update: Update, context: BotContext) -> None:
    """A location while asked which office: the offices around it."""
    message = update.effective_message
    assert message is not None and message.location is not None
    lat, lon = message.location.latitude, message.location.longitude
    directory = await context.deps.directory.fresh(tehran_now())
    found = offices_near(list(directory.index.offices.values()), lat, lon)
    await _candidates(update, texts.COMPLAINT_WHICH_OFFICE_NEAR, found)


async def _description_typed(update: Update, context: BotContext, text: str) -> None:
    problem = text_problem(text, DESCRIPTION_MAX)
    if problem is Problem.TOO_LONG:
        await send(
            update,
            texts.COMPLAINT_DESCRIPTION_TOO_LONG.format(
                length=fa_number(len(text)), limit=fa_number(DESCRIPTION_MAX)
            ),
        )
        return
    if problem is Problem.EMPTY:
        await send(update, texts.COMPLAINT_DESCRIPTION_EMPTY)
        return
    # Masked at once: the draft is stored with the chat's conversation.
    draft = _draft(context)
    draft.description = scrub(text.strip())
    COMPLAINT.go(context.conversation, ComplaintStage.PHOTO, draft)
    keyboard = InlineKeyboardMarkup(
        [[button(texts.COMPLAINT_NO_PHOTO, ComplaintStep("photo", 0))], _cancel_row()]
    )
    await send(update, texts.COMPLAINT_ASK_PHOTO, keyboard)


@router.photo(ComplaintStage.PHOTO)
async def photo_sent(update: Update, context: BotContext) -> None:
    """A photo while a receipt is asked for."""
    message = update.effective_message
    assert message is not None and message.photo
    largest = max(message.photo, key=lambda size: size.width * size.height)
    draft = _draft(context)
    draft.photo = largest.file_id
    COMPLAINT.go(context.conversation, ComplaintStage.PHOTO, draft)
    await send(update, texts.COMPLAINT_PHOTO_RECEIVED)
    await _summary(update, context)


async def _summary(update: Update, context: BotContext) -> None:
    draft = _draft(context)
    draft.nonce = secrets.token_hex(8)
    COMPLAINT.go(context.conversation, ComplaintStage.CONFIRM, draft)
    text = texts.COMPLAINT_SUMMARY.format(
        office=draft.office_name,
        kind=texts.COMPLAINT_KINDS[draft.kind],
        description=draft.description,
        photo=texts.COMPLAINT_PHOTO_YES if draft.photo else texts.COMPLAINT_PHOTO_NO,
    )
    keyboard = InlineKeyboardMarkup(
        [[button(texts.COMPLAINT_CONFIRM, ComplaintConfirm(draft.nonce))], _cancel_row()]
    )
    await send(update, text, keyboard)


@router.button(ComplaintStep)
async def step_chosen(update: Update, context: BotContext) -> None:
    """A button of the dialog; one from a dialog no longer in progress is answered."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, ComplaintStep)
    conversation = context.conversation
    if pick.step == "start":
        await answer_button(query)
        await start(update, context, pick.value)
        return
    if pick.step == "cancel":
        await answer_button(query)
        await _drop(update, context)
        return
    expected = {
        "booking": ComplaintStage.OFFICE,
        "office": ComplaintStage.OFFICE,
        "kind": ComplaintStage.KIND,
        "photo": ComplaintStage.PHOTO,
    }
    if not COMPLAINT.at(conversation, expected[pick.step]):
        await answer_button(query, texts.COMPLAINT_STALE)
        return
    await answer_button(query)
    if pick.step == "booking":
        visit = await visit_of(context.deps.sessions, pick.value, user_ref(user))
        if visit is None:
            await send(update, texts.COMPLAINT_OFFICE_GONE)
            return
        await _office_chosen(update, context, visit.office_id, visit.office_name, visit.booking_id)
    elif pick.step == "office":
        directory = await context.deps.directory.fresh(tehran_now())
        office = directory.index.offices.get(pick.value)
        if office is None:
            await send(update, texts.COMPLAINT_OFFICE_GONE)
            return
        await _office_chosen(update, context, office.id, office.name)
    elif pick.step == "kind":
        if pick.value >= len(COMPLAINT_KINDS):
            await answer_button(query, texts.COMPLAINT_STALE)
            return
        kind = COMPLAINT_KINDS[pick.value]
        draft = _draft(context)
        draft.kind = kind
        COMPLAINT.go(conversation, ComplaintStage.DESCRIPTION, draft)
        await send(
            update,
            texts.COMPLAINT_ASK_DESCRIPTION.format(
                kind=texts.COMPLAINT_KINDS[kind], limit=fa_number(DESCRIPTION_MAX)
            ),
        )
    else:  # no photo
        await _summary(update, context)


@router.button(ComplaintConfirm)
async def confirmed(update: Update, context: BotContext) -> None:
    """Files the complaint; a second press shows the code the first one got."""
    pick = await pressed(update, ComplaintConfirm)
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    key = f"complaint:{press_key(user_ref(user), pick.nonce)}"
    conversation = context.conversation
    draft = COMPLAINT.draft(conversation)
    at_confirm = COMPLAINT.at(conversation, ComplaintStage.CONFIRM)
    if draft is None or not at_confirm or draft.nonce != pick.nonce:
        earlier = await complaint_by_idempotency_key(context.deps.sessions, key)
        if earlier is None:
            await send(update, texts.COMPLAINT_STALE, main_menu())
        else:
            code = format_tracking_code(earlier.code)
            await send(update, texts.COMPLAINT_ALREADY_FILED.format(code=code), main_menu())
        return
    view, _ = await file_complaint(
        context.deps.sessions,
        ComplaintDraft(
            office_id=draft.office,
            booking_id=draft.booking or None,
            citizen=user_ref(user),
            chat_id=chat.id,
            citizen_name=user.full_name[:200] or None,
            kind=draft.kind,
            description=draft.description,
            receipt_file_id=draft.photo,
            idempotency_key=key,
        ),
        tehran_now(),
        new_complaint_code,
    )
    conversation.reset()
    await send(
        update,
        texts.COMPLAINT_FILED.format(code=format_tracking_code(view.code), office=view.office_name),
        main_menu(),
    )
