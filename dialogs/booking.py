"""Booking a slot: office → day → time → national code → mobile → summary → confirm.

The office comes from the list of nearest offices (with their first free time); each later
step is a button or one reply. Back and cancel work at every step; a second press of
confirm, or yesterday's button, never makes a second booking.
"""

from __future__ import annotations

import datetime as dt
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
from dialogs.callbacks import (
    BookConfirm,
    BookDay,
    BookNav,
    BookTime,
    MenuChoice,
    ServicePick,
)
from dialogs.context import BotContext, current_messenger, user_ref
from dialogs.documents import documents_text, fee_text
from dialogs.flow import Draft, Flow, Router
from dialogs.formatting import fa_day, fa_digits, fa_time
from dialogs.keyboards import button, main_menu
from dialogs.replies import pressed, send
from nlp.extract import NationalCodeProblem, parse_mobile, parse_national_code
from nlp.tracking import format_tracking_code
from services.booking import (
    BookingRefused,
    BookingRequest,
    BookingView,
    Refusal,
    book,
    booking_by_idempotency_key,
    check_national_code,
    check_slot,
    check_user_limit,
    paused_by_crisis,
    reminders_ahead,
)
from services.catalogue import ServiceDetails, service_details
from services.clock import TEHRAN, tehran_now
from services.identity import press_key
from services.privacy import mask_mobile, mask_national_code
from services.scheduling import Availability, FreeTime, availability

TIMES_PER_ROW = 4


class BookStep(enum.Enum):
    DAY = "day"  # choosing the day, then the time (buttons)
    NATIONAL_CODE = "national_code"
    MOBILE = "mobile"
    CONFIRM = "confirm"


class BookDraft(Draft):
    office: int
    service: str
    starts: str = ""  # moment_key of the chosen time
    nc: str = ""  # the national code, encrypted (services.privacy.Vault)
    mobile: str = ""  # encrypted too
    nonce: str = ""  # the summary's: only its confirm button books


BOOK: Flow[BookStep, BookDraft] = Flow("book", BookStep, BookDraft)
router = Router("book", BOOK)


def moment_key(moment: dt.datetime) -> str:
    return moment.astimezone(TEHRAN).strftime("%Y%m%d%H%M")


def moment_of(key: str) -> dt.datetime:
    return dt.datetime.strptime(key, "%Y%m%d%H%M").replace(tzinfo=TEHRAN)


def cancel_row() -> list[InlineKeyboardButton]:
    return [button(texts.BOOK_CANCEL, BookNav("cancel"))]


def crisis_refusal_text(service: ServiceDetails) -> str:
    """Why the service is not booked now, and where to go instead: its online way, or the
    offices of its networks to ask."""
    text = texts.BOOK_ESSENTIAL_ONLY.format(service=service.name_fa)
    if service.online:
        name = service.online.name_fa or service.online.url
        text += "\n" + texts.BOOK_ESSENTIAL_ONLINE.format(name=name, url=service.online.url)
    elif service.networks_fa:
        networks = texts.BOOK_ESSENTIAL_ASK_OR.join(f"«{n}»" for n in service.networks_fa)
        text += "\n" + texts.BOOK_ESSENTIAL_ASK.format(networks=networks)
    return text


async def refuse_unless_bookable(
    update: Update, context: BotContext, service: ServiceDetails
) -> bool:
    """In a crisis only essential services are booked: say so, with where to go instead."""
    if not await paused_by_crisis(context.deps.sessions, service.essential):
        return False
    keyboard = InlineKeyboardMarkup(
        [
            [button(texts.DOCS_FIND, ServicePick("find", service.key))],
            [button(texts.DOCS_MENU, MenuChoice("home"))],
        ]
    )
    await send(update, crisis_refusal_text(service), keyboard)
    return True


async def refuse_over_limit(update: Update, context: BotContext) -> bool:
    """A user holding the most active bookings allowed is told before choosing anything."""
    user = update.effective_user
    assert user is not None
    try:
        await check_user_limit(context.deps.sessions, context.deps.rules, user_ref(user))
    except BookingRefused:
        await send(update, user_limit_text(context), main_menu())
        return True
    return False


def user_limit_text(context: BotContext) -> str:
    return texts.BOOK_USER_LIMIT.format(limit=fa_digits(context.deps.rules.max_active_per_user))


async def refuse_booking_start(
    update: Update, context: BotContext, service: ServiceDetails
) -> bool:
    """A new booking begins only when it could end in one: not in a crisis for this
    service, not over the user's limit."""
    return await refuse_unless_bookable(update, context, service) or await refuse_over_limit(
        update, context
    )


async def _availability(
    context: BotContext, office_id: int, service: str, days: list[dt.date] | None = None
) -> Availability | None:
    now = tehran_now()
    directory = await context.deps.directory.fresh(now)
    return await availability(
        context.deps.sessions,
        office_id,
        service,
        now,
        context.deps.rules,
        directory.closures,
        days,
    )


async def show_days(
    update: Update,
    context: BotContext,
    office_id: int,
    service_key: str,
    booking_id: int = 0,
    *,
    first_day: dt.date | None = None,
) -> None:
    """The days with free times at the office (for a new booking, or moving one); a day
    the citizen asked for comes first: its times at once, or a word that it is full."""
    service = await service_details(context.deps.sessions, service_key)
    if service is None:
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    if booking_id == 0 and await refuse_booking_start(update, context, service):
        return
    found = await _availability(context, office_id, service_key)
    if found is None:
        await send(update, texts.BOOK_NOT_OFFERED.format(service=service.name_fa), main_menu())
        return
    if not found.times:
        await send(
            update,
            texts.BOOK_NO_DAYS.format(
                office=found.office_name,
                service=found.service_name,
                days=fa_digits(context.deps.rules.window_days),
            ),
            main_menu(),
        )
        return
    if booking_id == 0:
        kept = _typed_for(context, office_id, service_key)
        draft = BookDraft(office=office_id, service=service_key, nc=kept.nc, mobile=kept.mobile)
        context.conversation.reset()
        BOOK.go(context.conversation, BookStep.DAY, draft)
    if first_day is not None and found.times.get(first_day):
        await show_times(update, context, office_id, service_key, first_day, booking_id)
        return
    today = tehran_now().date()
    day_buttons = [
        button(
            texts.BOOK_DAY_BUTTON.format(day=fa_day(day, today), count=fa_digits(len(times))),
            BookDay(office_id, service_key, day.strftime("%Y%m%d"), booking_id),
        )
        for day, times in sorted(found.times.items())
    ]
    rows = [day_buttons[i : i + 2] for i in range(0, len(day_buttons), 2)]
    rows.append(cancel_row())
    header = (texts.MY_RESCHEDULE_PICK_DAY if booking_id else texts.BOOK_PICK_DAY).format(
        service=found.service_name, office=found.office_name
    )
    if first_day is not None:
        full = texts.BOOK_ASKED_DAY_FULL.format(day=fa_day(first_day, today))
        header = f"{full}\n\n{header}"
    await send(update, header, InlineKeyboardMarkup(rows))


def times_keyboard(
    office_id: int, service: str, times: list[FreeTime], booking_id: int
) -> InlineKeyboardMarkup:
    buttons = [
        button(
            fa_time(t.starts_at), BookTime(office_id, service, moment_key(t.starts_at), booking_id)
        )
        for t in times
    ]
    rows = [buttons[i : i + TIMES_PER_ROW] for i in range(0, len(buttons), TIMES_PER_ROW)]
    rows.append(
        [
            button(
                texts.BOOK_BACK_TO_DAYS,
                BookDay(office_id, service, "00000000", booking_id),
            ),
            *cancel_row(),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _typed_for(context: BotContext, office_id: int, service_key: str) -> BookDraft:
    """The national code and mobile already typed for a booking at this office for this
    service (choosing another time does not ask for them again)."""
    draft = BOOK.draft(context.conversation)
    if draft is None or draft.office != office_id or draft.service != service_key:
        return BookDraft(office=office_id, service=service_key)
    return draft


@router.button(BookDay)
async def day_chosen(update: Update, context: BotContext) -> None:
    """A day: its free times (or, for the back button, the days again)."""
    pick = await pressed(update, BookDay)
    if pick.day == "00000000":
        await show_days(update, context, pick.office_id, pick.service, pick.booking_id)
        return
    try:
        day = dt.datetime.strptime(pick.day, "%Y%m%d").date()
    except ValueError:
        await send(update, texts.BOOK_STALE, main_menu())
        return
    await show_times(update, context, pick.office_id, pick.service, day, pick.booking_id)


async def show_times(
    update: Update,
    context: BotContext,
    office_id: int,
    service_key: str,
    day: dt.date,
    booking_id: int = 0,
    header: str = "",
) -> None:
    """A day's free times (none left: the days again). ``header`` replaces the usual one."""
    found = await _availability(context, office_id, service_key, [day])
    if found is None or not found.times.get(day):
        await send(update, texts.BOOK_NOT_BOOKABLE)
        await show_days(update, context, office_id, service_key, booking_id)
        return
    header = header or texts.BOOK_PICK_TIME.format(
        day=fa_day(day, tehran_now().date()), office=found.office_name
    )
    await send(update, header, times_keyboard(office_id, service_key, found.times[day], booking_id))


def _text_step_keyboard(*first: KeyboardButton) -> ReplyKeyboardMarkup:
    rows = [[b] for b in first]
    rows.append([KeyboardButton(texts.BOOK_BACK), KeyboardButton(texts.FIND_CANCEL)])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True)


@router.button(BookTime, when=lambda pick: pick.booking_id == 0)  # a move carries its id
async def time_chosen(update: Update, context: BotContext) -> None:
    """A time for a new booking, checked at once (an old or forged button, a time taken
    meanwhile, the user's limit): on to what is still to be typed, or to the summary."""
    pick = await pressed(update, BookTime)
    try:
        starts = moment_of(pick.moment)
    except ValueError:
        await send(update, texts.BOOK_STALE, main_menu())
        return
    if await refuse_over_limit(update, context):
        return
    now = tehran_now()
    directory = await context.deps.directory.fresh(now)
    try:
        await check_slot(
            context.deps.sessions,
            context.deps.rules,
            pick.office_id,
            pick.service,
            starts,
            now,
            directory.closures,
        )
    except BookingRefused as refused:
        await _time_refused(update, context, refused.refusal, pick.office_id, pick.service, starts)
        return
    kept = _typed_for(context, pick.office_id, pick.service)
    draft = kept.model_copy(update={"starts": pick.moment, "nonce": ""})
    conversation = context.conversation
    conversation.reset()
    if not draft.nc:
        BOOK.go(conversation, BookStep.NATIONAL_CODE, draft)
        await ask_national_code(update)
    elif not draft.mobile:
        BOOK.go(conversation, BookStep.MOBILE, draft)
        await ask_mobile(update)
    else:
        draft.nonce = secrets.token_hex(8)
        BOOK.go(conversation, BookStep.CONFIRM, draft)
        await show_summary(update, context)


async def _time_refused(
    update: Update,
    context: BotContext,
    refusal: Refusal,
    office_id: int,
    service_key: str,
    starts: dt.datetime,
) -> None:
    """A chosen time that cannot be booked: the day's other times, or the days again."""
    if refusal is Refusal.NOT_OFFERED or refusal is Refusal.ESSENTIAL_ONLY:
        context.conversation.reset()
        service = await service_details(context.deps.sessions, service_key)
        if service is None:
            await send(update, texts.SERVICE_GONE, main_menu())
        elif not await refuse_unless_bookable(update, context, service):
            await send(update, texts.BOOK_NOT_OFFERED.format(service=service.name_fa), main_menu())
        return
    draft = BOOK.draft(context.conversation)
    if draft is not None:
        BOOK.go(context.conversation, BookStep.DAY, draft)
    if refusal is Refusal.SLOT_TAKEN:
        day = starts.date()
        await show_times(update, context, office_id, service_key, day, header=texts.BOOK_SLOT_TAKEN)
        return
    await send(update, texts.BOOK_NOT_BOOKABLE)
    await show_days(update, context, office_id, service_key)


async def ask_national_code(update: Update) -> None:
    if update.effective_chat is not None:
        await send(update, texts.BOOK_ASK_NATIONAL_CODE, _text_step_keyboard())


async def ask_mobile(update: Update) -> None:
    if update.effective_chat is not None:
        await send(
            update,
            texts.BOOK_ASK_MOBILE,
            _text_step_keyboard(KeyboardButton(texts.SHARE_CONTACT, request_contact=True)),
        )


async def _leave_text_steps(update: Update, text: str) -> None:
    if update.effective_chat is not None:
        await send(update, text, ReplyKeyboardRemove())


@router.text(BookStep.NATIONAL_CODE, BookStep.MOBILE)
async def text_step(update: Update, context: BotContext, text: str) -> bool:
    """A reply while the booking waits for the national code or the mobile: always this
    step's (a national code is never read as a request)."""
    conversation = context.conversation
    draft = BOOK.draft(conversation)
    assert draft is not None
    if text.strip() == texts.FIND_CANCEL:
        conversation.reset()
        await _leave_text_steps(update, texts.CANCELLED)
        await send(update, texts.MENU_AGAIN, main_menu())
        return True
    if text.strip() == texts.BOOK_BACK:
        if BOOK.at(conversation, BookStep.MOBILE):
            BOOK.go(conversation, BookStep.NATIONAL_CODE, draft)
            await ask_national_code(update)
            return True
        # Back from the national code: the chosen day's times, to choose another.
        BOOK.go(conversation, BookStep.DAY, draft)
        await _leave_text_steps(update, texts.BOOK_BACK)
        starts = moment_of(draft.starts)
        await show_times(update, context, draft.office, draft.service, starts.date())
        return True
    if BOOK.at(conversation, BookStep.NATIONAL_CODE):
        await national_code_given(update, context, text, draft)
    else:
        await mobile_given(update, context, text, draft)
    return True


async def national_code_given(
    update: Update, context: BotContext, text: str, draft: BookDraft
) -> None:
    code, problem = parse_national_code(text)
    message = update.effective_message
    if message is not None:
        # The code is personal: it does not stay in the chat history, right or wrong.
        await context.messenger.delete(message.chat_id, message.message_id)
    if code is None:
        digits = sum(ch.isdigit() for ch in text)
        reply = {
            NationalCodeProblem.NOT_TEN_DIGITS: texts.BOOK_NATIONAL_CODE_LENGTH.format(
                count=fa_digits(digits)
            ),
            NationalCodeProblem.CHECKSUM: texts.BOOK_NATIONAL_CODE_CHECKSUM,
            NationalCodeProblem.PLACEHOLDER: texts.BOOK_NATIONAL_CODE_PLACEHOLDER,
        }[problem or NationalCodeProblem.NOT_TEN_DIGITS]
        await send(update, reply)
        return
    if await _refused_national_code(update, context, code, draft.service):
        return
    draft.nc = context.deps.vault.encrypt(code)
    BOOK.go(context.conversation, BookStep.MOBILE, draft)
    await send(
        update, texts.BOOK_NATIONAL_CODE_RECEIVED.format(masked=fa_digits(mask_national_code(code)))
    )
    await ask_mobile(update)


def duplicate_text(refused: BookingRefused, service_name: str) -> str:
    """One active booking per national code and service: the user's own booking is named;
    another person's is not (see services.booking)."""
    if refused.tracking_code is not None:
        code = format_tracking_code(refused.tracking_code)
        return texts.BOOK_DUPLICATE_OWN.format(service=service_name, code=code)
    return texts.BOOK_DUPLICATE_OTHER.format(service=service_name)


async def _refused_national_code(
    update: Update, context: BotContext, code: str, service_key: str
) -> bool:
    """Checked as soon as the code is read; the step still waits, for another code."""
    user = update.effective_user
    assert user is not None
    try:
        await check_national_code(
            context.deps.sessions, context.deps.vault, code, service_key, user_ref(user)
        )
    except BookingRefused as refused:
        service = await service_details(context.deps.sessions, service_key)
        text = duplicate_text(refused, service.name_fa if service else "")
        await send(update, text + "\n\n" + texts.BOOK_NATIONAL_CODE_ANOTHER)
        return True
    return False


@router.contact(BookStep.MOBILE)
async def contact_shared(update: Update, context: BotContext) -> None:
    """Telegram's share-contact button at the mobile step."""
    message = update.effective_message
    assert message is not None and message.contact is not None
    draft = BOOK.draft(context.conversation)
    assert draft is not None
    await mobile_given(update, context, message.contact.phone_number, draft)


async def mobile_given(update: Update, context: BotContext, text: str, draft: BookDraft) -> None:
    mobile = parse_mobile(text)
    if mobile is None:
        await send(update, texts.BOOK_MOBILE_INVALID)
        return
    draft.mobile = context.deps.vault.encrypt(mobile)
    draft.nonce = secrets.token_hex(8)
    BOOK.go(context.conversation, BookStep.CONFIRM, draft)
    await _leave_text_steps(
        update, texts.BOOK_MOBILE_RECEIVED.format(masked=fa_digits(mask_mobile(mobile)))
    )
    await show_summary(update, context)


async def show_summary(update: Update, context: BotContext) -> None:
    draft = BOOK.draft(context.conversation)
    assert draft is not None
    starts = moment_of(draft.starts)
    service = await service_details(context.deps.sessions, draft.service)
    found = await _availability(context, draft.office, draft.service, [starts.date()])
    if service is None or found is None:
        context.conversation.reset()
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    vault = context.deps.vault
    text = texts.BOOK_SUMMARY.format(
        service=service.name_fa,
        office=found.office_name,
        address=found.office_address,
        day=fa_day(starts.date(), tehran_now().date()),
        time=fa_time(starts),
        national_code=fa_digits(mask_national_code(vault.decrypt(draft.nc))),
        mobile=fa_digits(mask_mobile(vault.decrypt(draft.mobile))),
        documents=documents_text(service),
        fee=fee_text(service),
    )
    keyboard = InlineKeyboardMarkup(
        [
            [button(texts.BOOK_CONFIRM, BookConfirm(draft.nonce))],
            [
                button(texts.BOOK_CHANGE_TIME, BookDay(draft.office, draft.service, "00000000", 0)),
                *cancel_row(),
            ],
        ]
    )
    await send(update, text, keyboard)


def done_text(view: BookingView, service: ServiceDetails) -> str:
    return texts.BOOK_DONE.format(
        code=format_tracking_code(view.tracking_code),
        service=view.service_name,
        office=view.office_name,
        address=view.office_address,
        day=fa_day(view.starts_at.date(), tehran_now().date()),
        time=fa_time(view.starts_at),
        documents=documents_text(service),
        reminders=texts.BOOK_REMINDERS.get(reminders_ahead(view.starts_at, tehran_now()), ""),
    )


@router.button(BookConfirm)
async def confirmed(update: Update, context: BotContext) -> None:
    """Confirm: the booking is made once, whatever happens to the button afterwards."""
    pick = await pressed(update, BookConfirm)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    citizen = user_ref(user)
    key = press_key(citizen, pick.nonce)
    conversation = context.conversation
    draft = BOOK.draft(conversation) if BOOK.at(conversation, BookStep.CONFIRM) else None
    if draft is None or draft.nonce != pick.nonce:
        await _already_or_stale(update, context, key)
        return
    deps = context.deps
    now = tehran_now()
    directory = await deps.directory.fresh(now)
    request = BookingRequest(
        office_id=draft.office,
        service_key=draft.service,
        starts_at=moment_of(draft.starts),
        citizen=citizen,
        chat_id=chat.id,
        national_code=deps.vault.decrypt(draft.nc),
        mobile=deps.vault.decrypt(draft.mobile),
        citizen_name=user.full_name[:200] or None,
        idempotency_key=key,
    )
    service = await service_details(deps.sessions, request.service_key)
    if service is None:
        context.conversation.reset()
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    try:
        view, _ = await book(
            deps.sessions, deps.vault, deps.rules, request, now, deps.new_code, directory.closures
        )
    except BookingRefused as refused:
        await _refused(update, context, refused, request, service)
        return
    context.conversation.reset()
    await _tell_booked(update, view, service)


async def _tell_booked(
    update: Update, view: BookingView, service: ServiceDetails, again: bool = False
) -> None:
    if again:
        await send(update, texts.BOOK_ALREADY_DONE)
    await send(
        update,
        done_text(view, service),
        InlineKeyboardMarkup(
            [
                [
                    button(texts.MENU_MY_BOOKINGS, MenuChoice("mybookings")),
                    button(texts.DOCS_MENU, MenuChoice("home")),
                ]
            ]
        ),
    )
    if update.effective_chat is not None:
        await current_messenger.get().show_place(
            update.effective_chat.id,
            view.lat,
            view.lon,
            view.office_name,
            view.office_address or view.office_name,
        )


async def _already_or_stale(update: Update, context: BotContext, key: str) -> None:
    """A confirm pressed again, or from an old summary: show what it made, if anything."""
    view = await booking_by_idempotency_key(context.deps.sessions, key)
    if view is None:
        await send(update, texts.BOOK_STALE, main_menu())
        return
    service = await service_details(context.deps.sessions, view.service_key)
    if service is not None:
        await _tell_booked(update, view, service, again=True)


async def _refused(
    update: Update,
    context: BotContext,
    refused: BookingRefused,
    request: BookingRequest,
    service: ServiceDetails,
) -> None:
    reason = refused.refusal
    if reason is Refusal.SLOT_TAKEN or reason is Refusal.NOT_BOOKABLE:
        # The typed national code and mobile stay in the draft for the next time chosen.
        await _time_refused(
            update, context, reason, request.office_id, request.service_key, request.starts_at
        )
        return
    context.conversation.reset()
    if reason is Refusal.DUPLICATE_ACTIVE:
        text = duplicate_text(refused, service.name_fa)
    elif reason is Refusal.USER_LIMIT:
        text = user_limit_text(context)
    elif reason is Refusal.ESSENTIAL_ONLY:
        await refuse_unless_bookable(update, context, service)
        return
    else:
        text = texts.BOOK_NOT_OFFERED.format(service=service.name_fa)
    await send(update, text, main_menu())


@router.button(BookNav)
async def nav_chosen(update: Update, context: BotContext) -> None:
    """Cancel the booking in progress (back to days is a BookDay button)."""
    await pressed(update, BookNav)
    context.conversation.reset()
    await _leave_text_steps(update, texts.CANCELLED)
    await send(update, texts.MENU_AGAIN, main_menu())
