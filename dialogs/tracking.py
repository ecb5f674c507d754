"""/track: a request's status and its history, by tracking code."""

from __future__ import annotations

import datetime as dt
import enum

from telegram import Update

from dialogs import texts
from dialogs.callbacks import TrackCode
from dialogs.context import BotContext, messenger_name, user_ref
from dialogs.flow import Flow, NoDraft, Router
from dialogs.formatting import fa_date, fa_day, fa_digits, fa_time
from dialogs.keyboards import main_menu
from dialogs.replies import pressed, send
from dialogs.understanding import understand
from nlp.intents import Intent
from nlp.tracking import format_tracking_code, is_complaint_code
from nlp.understand import Understanding
from services.attempts import allow_attempt, record_failure
from services.booking import ON_MY_WAY, RESCHEDULED, BookingView, find_booking
from services.clock import TEHRAN, tehran_now
from services.complaints import ComplaintView, find_complaint


class TrackStep(enum.Enum):
    CODE = "code"  # the tracking code, asked for


TRACK: Flow[TrackStep, NoDraft] = Flow("track", TrackStep, NoDraft)
router = Router("track", TRACK)

_NOTES = {RESCHEDULED: texts.RESCHEDULED_NOTE, ON_MY_WAY: texts.ON_MY_WAY_NOTE}


def note_text(note: str) -> str:
    return _NOTES.get(note, note)


def timeline_text(view: BookingView) -> str:
    now = tehran_now()
    lines = [
        texts.TRACK_HEADER.format(
            code=format_tracking_code(view.tracking_code),
            service=view.service_name,
            office=view.office_name,
            day=fa_day(view.starts_at.date(), now.date()),
            time=fa_time(view.starts_at),
            status=texts.STATUS_NAMES.get(view.status, view.status),
        ),
        "",
        texts.TRACK_HISTORY,
    ]
    for entry in view.timeline:
        local = entry.at.astimezone(TEHRAN)
        when = f"{fa_date(local.date())}، {fa_time(local)}"
        status = texts.STATUS_NAMES.get(entry.status, entry.status)
        template = texts.TRACK_LINE_NOTE if entry.note_fa else texts.TRACK_LINE
        lines.append(template.format(status=status, when=when, note=note_text(entry.note_fa)))
    return "\n".join(lines)


def complaint_timeline_text(view: ComplaintView) -> str:
    lines = [
        texts.COMPLAINT_TRACK_HEADER.format(
            code=format_tracking_code(view.code),
            office=view.office_name,
            kind=texts.COMPLAINT_KINDS.get(view.kind, view.kind),
            status=texts.COMPLAINT_STATUS_NAMES.get(view.status, view.status),
        ),
        "",
        texts.TRACK_HISTORY,
    ]
    for step in view.timeline:
        when = f"{fa_date(step.at.date())}، {fa_time(step.at)}"
        name = texts.COMPLAINT_STEP_NAMES.get(step.kind, step.kind)
        template = texts.TRACK_LINE_NOTE if step.note else texts.TRACK_LINE
        lines.append(template.format(status=name, when=when, note=step.note))
    return "\n".join(lines)


async def show_timeline(update: Update, context: BotContext, code: str) -> None:
    """The timeline of a code (a booking's, or the citizen's own complaint's); unknown codes
    are answered, and guessing is slowed down."""
    user = update.effective_user
    deps = context.deps
    key = f"track:{messenger_name()}:{user.id if user else 0}"
    now = tehran_now()
    settings = deps.settings
    window = dt.timedelta(minutes=settings.track_window_minutes)
    if not await allow_attempt(deps.sessions, key, settings.track_attempts, now, window):
        await send(
            update,
            texts.TRACK_SLOW_DOWN.format(minutes=fa_digits(settings.track_window_minutes)),
            main_menu(),
        )
        return
    view = await find_booking(deps.sessions, code)
    if view is None and user is not None and is_complaint_code(code):
        complaint = await find_complaint(deps.sessions, code, user_ref(user))
        if complaint is not None:
            await send(update, complaint_timeline_text(complaint), main_menu())
            return
    if view is None:
        await record_failure(deps.sessions, key, now, window)
        await send(update, texts.TRACK_UNKNOWN.format(code=format_tracking_code(code)), main_menu())
        return
    await send(update, timeline_text(view), main_menu())


async def track(update: Update, context: BotContext, meaning: Understanding) -> None:
    """A request to track: the code's timeline, or the code asked for (a mistyped one shown
    as it was read)."""
    codes = meaning.extracted.tracking_codes
    if codes:
        context.conversation.reset()
        await show_timeline(update, context, codes[0])
        return
    TRACK.go(context.conversation, TrackStep.CODE, NoDraft())
    if meaning.mistyped_tracking_code:
        code = format_tracking_code(meaning.mistyped_tracking_code)
        await send(update, texts.TRACKING_CODE_MISTYPED.format(code=code))
    else:
        await send(update, texts.ASK_TRACKING_CODE)


@router.text(TrackStep.CODE)
async def code_typed(update: Update, context: BotContext, text: str) -> bool:
    """The code asked for; text that is no code and no other request is said so, and any
    other request is understood as usual."""
    if understand(context, text).intent is Intent.UNKNOWN:
        await send(update, texts.NOT_A_TRACKING_CODE)
        return True
    return False


@router.button(TrackCode)
async def code_chosen(update: Update, context: BotContext) -> None:
    """The track button under news of a request."""
    pick = await pressed(update, TrackCode)
    await show_timeline(update, context, pick.code)
