"""The supervisor's side in Telegram: linking a chat to a scope, complaints with buttons
that move them on (citizens' identities masked), the reply that reaches the citizen, /open
for what still waits, and /stats for the offices in scope."""

from __future__ import annotations

import datetime as dt
import enum

from telegram import ForceReply, InlineKeyboardMarkup, Message, Update

from dialogs import texts
from dialogs.callbacks import CallbackData, OpenMore, SuperviseAction, SuperviseReject
from dialogs.context import BotContext, chat_ref, current_messenger, messenger_name
from dialogs.flow import Chats, Flow, Router
from dialogs.formatting import fa_ago, fa_date, fa_digits, fa_number, fa_time
from dialogs.keyboards import button
from dialogs.replies import answer_button, redraw, send
from dialogs.steps import Waiting, still_waiting
from nlp.digits import fold_digits
from nlp.tracking import format_tracking_code
from services.clock import TEHRAN, tehran_now
from services.complaints import (
    REPLY_MAX,
    ComplaintRefused,
    ComplaintView,
    OpenPage,
    Problem,
    Refusal,
    act,
    open_in_chat,
    text_problem,
    visible_in_chat,
)
from services.identity import ChatRef
from services.reports import OfficeFigures, office_figures
from services.supervision import (
    ScopeView,
    SuperviseRefused,
    is_supervisor_member,
    link_supervisor_chat,
    links_of_chat,
    scopes_of_chat,
)

REPLY_MINUTES = 60  # a reply asked for and not written by then is forgotten
STATS_DAYS = 30
STATS_MAX_DAYS = 366
STATS_MAX_OFFICES = 40
MESSAGE_BUDGET = 3500  # characters a message of /stats may use (Telegram allows 4096)


class SuperviseStep(enum.Enum):
    REPLY = "reply"  # the presser's answer to the citizen


class SuperviseDraft(Waiting):
    complaint: int
    by: int  # the supervisor who pressed «reply»: only their next message is the answer


SUPERVISE: Flow[SuperviseStep, SuperviseDraft] = Flow("supervise", SuperviseStep, SuperviseDraft)
router = Router("supervise", SUPERVISE)


def scope_text(scope: ScopeView) -> str:
    if scope.scope == "office":
        return texts.SCOPE_OFFICE.format(office=scope.office_name or "")
    if scope.scope == "county":
        return texts.SCOPE_COUNTY.format(county=scope.county, province=scope.province)
    if scope.scope == "province":
        return texts.SCOPE_PROVINCE.format(province=scope.province)
    return texts.SCOPE_NETWORK.format(network=scope.network_name or "")


def _status(status: str) -> str:
    return texts.SUPERVISE_STATUS_NAMES.get(status, status)


def supervise_keyboard(view: ComplaintView) -> InlineKeyboardMarkup | None:
    """The steps the complaint can still take, and its receipt."""
    rows = []
    if view.open:
        first = [button(texts.SUPERVISE_REPLY, SuperviseAction("reply", view.id))]
        if view.status == "open":
            first.insert(0, button(texts.SUPERVISE_ACK, SuperviseAction("ack", view.id)))
        rows.append(first)
        rows.append(
            [
                button(texts.SUPERVISE_RESOLVE, SuperviseAction("resolve", view.id)),
                button(texts.SUPERVISE_REJECT, SuperviseAction("reject", view.id)),
            ]
        )
    if view.receipt_file_id:
        rows.append([button(texts.SUPERVISE_PHOTO, SuperviseAction("photo", view.id))])
    return InlineKeyboardMarkup(rows) if rows else None


def _card_fields(view: ComplaintView) -> dict[str, str]:
    """What a supervisor's card says of a complaint: the citizen's name masked, the
    booking's mobile masked, no national code at all."""
    booking = (
        texts.SUPERVISE_BOOKING.format(
            booking_code=format_tracking_code(view.booking_code),
            service=view.service_name or "—",
            mobile=fa_digits(view.mobile_masked or "—"),
        )
        if view.booking_code
        else ""
    )
    return {
        "code": format_tracking_code(view.code),
        "office": view.office_name,
        "office_code": view.office_code,
        "kind": texts.COMPLAINT_KINDS.get(view.kind, view.kind),
        "when": f"{fa_date(view.created_at.date())}، {fa_time(view.created_at)}",
        "citizen": view.citizen_masked or "—",
        "booking": booking,
        "receipt": texts.SUPERVISE_RECEIPT if view.receipt_file_id else "",
        "description": view.description,
    }


def render_for_supervisor(view: ComplaintView) -> tuple[str, InlineKeyboardMarkup | None]:
    """A new complaint as a supervisor chat sees it."""
    return texts.SUPERVISE_NEW.format(**_card_fields(view)), supervise_keyboard(view)


def render_card_again(view: ComplaintView) -> tuple[str, InlineKeyboardMarkup | None]:
    """A complaint's card brought back (from /open), with its status now."""
    text = texts.SUPERVISE_CARD.format(status=_status(view.status), **_card_fields(view))
    return text, supervise_keyboard(view)


@router.command("supervise", chats=Chats.ANY)
async def supervise_command(update: Update, context: BotContext) -> None:
    """/supervise CODE: this chat supervises the code's scope."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if not context.args:
        await send(update, texts.SUPERVISE_USAGE)
        return
    try:
        linked = await link_supervisor_chat(
            context.deps.sessions,
            context.args[0],
            chat_ref(chat),
            user.id,
            user.full_name[:200],
            tehran_now(),
        )
    except SuperviseRefused:
        await send(update, texts.SUPERVISE_REFUSED)
        return
    await send(update, texts.SUPERVISE_LINKED.format(scope=scope_text(linked.scope)))


async def _may_act(context: BotContext, chat_id: int, user_id: int) -> bool:
    """Whoever linked the chat, or an admin of the linked group."""
    chat = ChatRef(messenger_name(), chat_id)
    if await is_supervisor_member(context.deps.sessions, chat, user_id):
        return True
    return await context.messenger.is_admin(chat_id, user_id)


async def _checked(update: Update, context: BotContext, complaint_id: int) -> ComplaintView | None:
    """The complaint, when this chat supervises its office and the presser may act; else
    the button is answered and None returned."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None and chat is not None and user is not None
    if not await links_of_chat(context.deps.sessions, chat_ref(chat)):
        await answer_button(query, texts.SUPERVISE_NOT_LINKED)
        return None
    view = await visible_in_chat(context.deps.sessions, complaint_id, chat_ref(chat))
    if view is None:
        await answer_button(query, texts.SUPERVISE_OUT_OF_SCOPE)
        return None
    if not await _may_act(context, chat.id, user.id):
        await answer_button(query, texts.SUPERVISE_ONLY)
        return None
    return view


async def _act(
    update: Update, context: BotContext, complaint_id: int, kind: str, note: str = ""
) -> ComplaintView | None:
    """The step taken and shown; a stale or forged press is answered and changes nothing."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    query = update.callback_query
    try:
        view = await act(
            context.deps.sessions,
            complaint_id,
            kind,
            tehran_now(),
            chat=chat_ref(chat),
            actor_ref=str(user.id),
            note=note,
        )
    except ComplaintRefused as refused:
        answer = (
            texts.SUPERVISE_ALREADY.format(status=_status(refused.status or ""))
            if refused.refusal is Refusal.BAD_TRANSITION
            else texts.SUPERVISE_OUT_OF_SCOPE
        )
        if query is not None:
            await answer_button(query, answer)
        else:
            await send(update, answer)
        return None
    if query is not None:
        await answer_button(query)
        done_by = texts.SUPERVISE_DONE_BY.format(
            status=_status(kind), who=user.full_name[:60], when=fa_time(tehran_now())
        )
        message = query.message
        old = message.text or "" if isinstance(message, Message) else ""
        await redraw(update, f"{old}\n{done_by}", supervise_keyboard(view))
    return view


@router.button(SuperviseAction)
async def action_chosen(update: Update, context: BotContext) -> None:
    """A button under a complaint in a supervisor chat."""
    query = update.callback_query
    assert query is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, SuperviseAction)
    view = await _checked(update, context, pick.complaint_id)
    if view is None:
        return
    if pick.action == "ack":
        await _act(update, context, view.id, "acknowledged")
    elif pick.action == "resolve":
        await _act(update, context, view.id, "resolved")
    elif pick.action == "show":
        await answer_button(query)
        await send(update, *render_card_again(view))
    elif pick.action == "photo":
        await _show_receipt(update, view)
    elif not view.open:  # reply or reject on a closed complaint
        await answer_button(query, texts.SUPERVISE_ALREADY.format(status=_status(view.status)))
    elif pick.action == "reject":
        reasons = [
            [button(reason, SuperviseReject(view.id, index))]
            for index, reason in enumerate(texts.SUPERVISE_REJECT_REASONS)
        ]
        await answer_button(query, texts.SUPERVISE_REJECT_WHY)
        await send(update, texts.SUPERVISE_REJECT_WHY, InlineKeyboardMarkup(reasons))
    else:
        await _ask_reply(update, context, view)


async def _show_receipt(update: Update, view: ComplaintView) -> None:
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    if not view.receipt_file_id:
        await answer_button(query, texts.SUPERVISE_NO_RECEIPT)
        return
    if view.messenger != messenger_name():
        # A photo's file id is one messenger's (one bot's) only.
        name = texts.MESSENGER_NAMES.get(view.messenger, view.messenger)
        await answer_button(query, texts.SUPERVISE_RECEIPT_ELSEWHERE.format(messenger=name))
        return
    await answer_button(query)
    await current_messenger.get().send_photo(
        chat.id, view.receipt_file_id, format_tracking_code(view.code)
    )


async def _ask_reply(update: Update, context: BotContext, view: ComplaintView) -> None:
    """The presser's next message in this chat (in a group: a reply to the prompt, which is
    all a bot in privacy mode sees) becomes the answer to the citizen."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    await answer_button(query)
    context.conversation.reset()
    draft = SuperviseDraft(complaint=view.id, by=user.id)
    SUPERVISE.go(context.conversation, SuperviseStep.REPLY, draft)
    prompt = texts.SUPERVISE_ASK_REPLY.format(
        who=user.first_name[:60],
        code=format_tracking_code(view.code),
        limit=fa_number(REPLY_MAX),
    )
    if update.effective_chat is not None:
        await send(update, prompt, ForceReply())


@router.button(SuperviseReject)
async def reject_chosen(update: Update, context: BotContext) -> None:
    """A reason for rejecting: the complaint is closed with it, the citizen told why."""
    query = update.callback_query
    assert query is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, SuperviseReject)
    if await _checked(update, context, pick.complaint_id) is None:
        return
    reasons = texts.SUPERVISE_REJECT_REASONS
    reason = reasons[pick.reason] if pick.reason < len(reasons) else reasons[-1]
    await _act(update, context, pick.complaint_id, "rejected", reason)


@router.text(SuperviseStep.REPLY, chats=Chats.ANY, any_length=True)
async def reply_typed(update: Update, context: BotContext, text: str) -> bool:
    """The supervisor's answer: sent to the citizen, kept in the complaint's timeline. In
    a group only the presser's message is it; the rest of the group's talk is none of the
    bot's business (nothing takes it)."""
    conversation, user = context.conversation, update.effective_user
    draft = SUPERVISE.draft(conversation)
    if draft is None or user is None or draft.by != user.id:
        return False
    if not still_waiting(conversation, draft, REPLY_MINUTES):
        return False
    await _reply_with(update, context, text, draft.complaint)
    return True


async def _reply_with(update: Update, context: BotContext, text: str, complaint_id: int) -> None:
    problem = text_problem(text, REPLY_MAX)
    if problem is Problem.TOO_LONG:
        await send(
            update,
            texts.SUPERVISE_REPLY_TOO_LONG.format(
                length=fa_number(len(text)), limit=fa_number(REPLY_MAX)
            ),
        )
        return
    if problem is Problem.EMPTY:
        await send(update, texts.SUPERVISE_REPLY_EMPTY)
        return
    context.conversation.reset()
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    # Rights are checked again: they may have changed since the button was pressed.
    if not await _may_act(context, chat.id, user.id):
        await send(update, texts.SUPERVISE_ONLY)
        return
    view = await _act(update, context, complaint_id, "replied", text.strip())
    if view is not None:
        await send(update, texts.SUPERVISE_REPLY_SENT.format(code=format_tracking_code(view.code)))


# --- /open -----------------------------------------------------------------------------------


def open_page_text(page: OpenPage, scope: str, now: dt.datetime) -> str:
    """A page of the list: a header, a numbered line per complaint, what the buttons do."""
    if not page.complaints:
        return texts.OPEN_NO_MORE if page.before else texts.OPEN_NONE.format(scope=scope)
    first = page.before + 1
    header = (
        texts.OPEN_HEADER.format(scope=scope, total=fa_number(page.total))
        if page.before == 0
        else texts.OPEN_HEADER_NEXT.format(
            first=fa_number(first),
            last=fa_number(page.before + len(page.complaints)),
            total=fa_number(page.total),
        )
    )
    lines = [
        texts.OPEN_LINE.format(
            number=fa_number(number),
            code=format_tracking_code(item.code),
            office=item.office_name,
            office_code=item.office_code,
            kind=texts.COMPLAINT_KINDS.get(item.kind, item.kind),
            status=_status(item.status),
            ago=fa_ago(item.created_at, now),
        )
        for number, item in enumerate(page.complaints, start=first)
    ]
    return "\n\n".join([header, *lines, texts.OPEN_FOOTER])


def open_page_keyboard(page: OpenPage) -> InlineKeyboardMarkup | None:
    """A button per complaint that brings back its card, and «بیشتر» while more wait."""
    buttons = [
        button(format_tracking_code(item.code), SuperviseAction("show", item.id))
        for item in page.complaints
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    if page.more:
        rows.append([button(texts.OPEN_MORE, OpenMore(page.complaints[-1].id))])
    return InlineKeyboardMarkup(rows) if rows else None


async def _send_open_page(update: Update, context: BotContext, page: OpenPage) -> None:
    chat = update.effective_chat
    assert chat is not None
    scopes = await scopes_of_chat(context.deps.sessions, chat_ref(chat))
    scope = "، ".join(scope_text(s) for s in scopes)
    await send(update, open_page_text(page, scope, tehran_now()), open_page_keyboard(page))


@router.command("open", "complaints", chats=Chats.ANY)
async def open_command(update: Update, context: BotContext) -> None:
    """/open (or /complaints): the complaints in the chat's scopes not yet resolved or
    rejected, oldest first, a page at a time, each with a button to its card."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if not await links_of_chat(context.deps.sessions, chat_ref(chat)):
        await send(update, texts.OPEN_NOT_LINKED)
        return
    if not await _may_act(context, chat.id, user.id):
        await send(update, texts.OPEN_ONLY)
        return
    page = await open_in_chat(context.deps.sessions, chat_ref(chat))
    assert page is not None  # only a page after a complaint can be refused
    await _send_open_page(update, context, page)


@router.button(OpenMore)
async def open_more_chosen(update: Update, context: BotContext) -> None:
    """«بیشتر» under a page of /open: the next page, as a new message."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None and chat is not None and user is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, OpenMore)
    # The same rule as the buttons under a complaint, with their short answers.
    if not await links_of_chat(context.deps.sessions, chat_ref(chat)):
        await answer_button(query, texts.SUPERVISE_NOT_LINKED)
        return
    if not await _may_act(context, chat.id, user.id):
        await answer_button(query, texts.SUPERVISE_ONLY)
        return
    page = await open_in_chat(context.deps.sessions, chat_ref(chat), after=pick.after)
    if page is None:  # not a complaint of this chat's scopes: forged, or the scope changed
        await answer_button(query, texts.STALE_BUTTON)
        return
    await answer_button(query)
    await _send_open_page(update, context, page)


# --- /stats -----------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return texts.STATS_NO_VALUE if value is None else fa_digits(f"{round(value * 100)}٪")


def _average(value: float | None) -> str:
    return texts.STATS_NO_VALUE if value is None else fa_digits(f"{value:.1f}").replace(".", "٫")


def stats_lines(figures: list[OfficeFigures]) -> list[str]:
    return [
        texts.STATS_LINE.format(
            office=f.name,
            code=f.code,
            bookings=fa_number(f.bookings),
            no_show_rate=_rate(f.no_show_rate),
            rating=_average(f.average_rating),
            ratings=fa_number(f.ratings),
            complaints=fa_number(f.complaints),
            open=fa_number(f.open_complaints),
        )
        for f in figures
    ]


def _pages(lines: list[str]) -> list[str]:
    """Lines gathered into messages under Telegram's length limit."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and size + len(line) + 2 > MESSAGE_BUDGET:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 2
    return ["\n\n".join(page) for page in pages if page]


@router.command("stats", chats=Chats.ANY)
async def stats_command(update: Update, context: BotContext) -> None:
    """/stats [days]: per office in the chat's scopes, bookings, no-show rate, average
    rating and complaints over the last days (30 unless told)."""
    chat = update.effective_chat
    if chat is None:
        return
    links = await links_of_chat(context.deps.sessions, chat_ref(chat))
    if not links:
        await send(update, texts.SUPERVISE_NOT_LINKED)
        return
    days = STATS_DAYS
    if context.args:
        raw = fold_digits(context.args[0])
        if not raw.isdigit() or not 1 <= int(raw) <= STATS_MAX_DAYS:
            await send(update, texts.STATS_USAGE.format(max=fa_number(STATS_MAX_DAYS)))
            return
        days = int(raw)
    end = tehran_now()
    start = dt.datetime.combine(end.date() - dt.timedelta(days=days - 1), dt.time(0), TEHRAN)
    figures = await office_figures(context.deps.sessions, start, end, links)
    scopes = "، ".join(
        scope_text(s) for s in await scopes_of_chat(context.deps.sessions, chat_ref(chat))
    )
    header = texts.STATS_HEADER.format(days=fa_number(days), scope=scopes)
    active = sorted((f for f in figures if f.active), key=lambda f: (-f.bookings, f.code))
    if not active:
        await send(update, f"{header}\n\n{texts.STATS_EMPTY.format(days=fa_number(days))}")
        return
    lines = [header, *stats_lines(active[:STATS_MAX_OFFICES])]
    if len(active) > STATS_MAX_OFFICES:
        lines.append(texts.STATS_MORE.format(count=fa_number(len(active) - STATS_MAX_OFFICES)))
    quiet = len(figures) - len(active)
    if quiet:
        lines.append(texts.STATS_QUIET.format(count=fa_number(quiet)))
    for page in _pages(lines):
        await send(update, page)
