"""Free text from anywhere: understood, then routed to the flow the citizen means."""

from __future__ import annotations

from telegram import Update

from dialogs import booking, complaint, feedback, find, my_bookings, supervision, texts, tracking
from dialogs.choosing import ask_service, show_categories
from dialogs.context import BotContext
from dialogs.formatting import fa_number, first_name_suffix
from dialogs.keyboards import main_menu
from dialogs.replies import send
from dialogs.routing import act_on_service
from dialogs.understanding import understand
from nlp.intents import Intent
from nlp.tracking import format_tracking_code
from nlp.understand import Understanding
from services.catalogue import service_names

# A citizen's request fits in a few lines; longer text is a paste or an attack.
MAX_TEXT_LENGTH = 1000

# What each way of asking about a service leads to.
_SERVICE_ACTIONS = {Intent.DOCUMENTS: "docs", Intent.FIND: "find", Intent.BOOK: "book"}


async def free_text(update: Update, context: BotContext) -> None:
    """Text outside a step that waits for it: understood and routed, or asked about."""
    text = (update.effective_message.text if update.effective_message else None) or ""
    conversation = context.conversation
    # Steps that take words as they are (with their own length limits) come first.
    user = update.effective_user
    if supervision.waiting_for_reply(context, user.id if user else None):
        await supervision.reply_typed(update, context, text)
        return
    if conversation.at(complaint.FLOW) and await complaint.text_step(update, context, text):
        return
    if feedback.waiting_for_comment(context):
        await feedback.comment_typed(update, context, text)
        return
    if len(text) > MAX_TEXT_LENGTH:
        await send(
            update,
            texts.MESSAGE_TOO_LONG.format(
                length=fa_number(len(text)), limit=fa_number(MAX_TEXT_LENGTH)
            ),
        )
        return
    if conversation.at(booking.FLOW, "national_code") or conversation.at(booking.FLOW, "mobile"):
        await booking.text_step(update, context, text)
        return
    if conversation.at(find.FLOW, "where") and await find.place_typed(update, context, text):
        return
    meaning = understand(context, text)
    if context.conversation.at("track", "code") and meaning.intent is Intent.UNKNOWN:
        await send(update, texts.NOT_A_TRACKING_CODE)
        return
    await route(update, context, meaning)


async def route(update: Update, context: BotContext, meaning: Understanding) -> None:
    intent = meaning.intent
    if intent is Intent.TRACK:
        await track(update, context, meaning)
    elif intent in _SERVICE_ACTIONS:
        await about_service(update, context, _SERVICE_ACTIONS[intent], meaning)
    elif intent is Intent.HELP:
        await send(update, texts.HELP, main_menu())
    elif intent is Intent.GREETING:
        user = update.effective_user
        name = first_name_suffix(user.first_name if user else None)
        await send(update, texts.GREETING_AGAIN.format(name=name), main_menu())
    elif intent is Intent.THANKS:
        await send(update, texts.YOU_ARE_WELCOME, main_menu())
    elif intent is Intent.COMPLAINT:
        await complaint.start(update, context)
    elif intent in (Intent.CANCEL, Intent.MY_BOOKINGS):
        await my_bookings.show(update, context)
    else:
        await send(update, texts.NOT_UNDERSTOOD, main_menu())


async def about_service(
    update: Update, context: BotContext, action: str, meaning: Understanding
) -> None:
    """A clear service goes straight on; a doubtful one is asked about; none, by category."""
    if meaning.service is not None:
        await act_on_service(update, context, action, meaning.service)
        return
    candidates = meaning.candidates(3)
    if not candidates:
        await show_categories(update, context, action)
        return
    names = {n.key: n for n in await service_names(context.deps.sessions)}
    await ask_service(update, context, action, [names[k] for k in candidates if k in names])


async def track(update: Update, context: BotContext, meaning: Understanding) -> None:
    codes = meaning.extracted.tracking_codes
    if codes:
        context.conversation.reset()
        await tracking.show_timeline(update, context, codes[0])
    elif meaning.mistyped_tracking_code:
        context.conversation.go("track", "code")
        code = format_tracking_code(meaning.mistyped_tracking_code)
        await send(update, texts.TRACKING_CODE_MISTYPED.format(code=code))
    else:
        context.conversation.go("track", "code")
        await send(update, texts.ASK_TRACKING_CODE)
