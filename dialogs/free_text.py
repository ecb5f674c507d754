"""Free text when no step waits for it (or a step hands it over): understood, then routed
to the flow the citizen means."""

from __future__ import annotations

from telegram import Update

from dialogs import complaint, find, my_bookings, texts, tracking
from dialogs.choosing import ask_service, show_categories
from dialogs.context import BotContext
from dialogs.flow import Router
from dialogs.formatting import first_name_suffix
from dialogs.keyboards import main_menu
from dialogs.replies import send
from dialogs.routing import act_on_service
from dialogs.understanding import understand
from nlp.intents import Intent
from nlp.understand import Understanding
from services.catalogue import service_names

router = Router("understanding")

# What each way of asking about a service leads to.
_SERVICE_ACTIONS = {Intent.DOCUMENTS: "docs", Intent.FIND: "find", Intent.BOOK: "book"}


@router.text()
async def free_text(update: Update, context: BotContext, text: str) -> bool:
    """Text outside a step that waits for it: understood and routed, or asked about."""
    await route(update, context, understand(context, text))
    return True


async def route(update: Update, context: BotContext, meaning: Understanding) -> None:
    intent = meaning.intent
    if intent is Intent.TRACK:
        await tracking.track(update, context, meaning)
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
    """A clear service goes straight on, with the place and day the request named; a
    doubtful one is asked about; none, by category (a typed service then continues)."""
    if meaning.service is not None:
        day = meaning.extracted.date.date if meaning.extracted.date else None
        await act_on_service(update, context, action, meaning.service, meaning.place, day)
        return
    candidates = meaning.candidates(3)
    if not candidates:
        if action == "docs":
            await show_categories(update, context, action)
        else:
            await find.choose_service(update, context, booking=action == "book")
        return
    names = {n.key: n for n in await service_names(context.deps.sessions)}
    await ask_service(update, context, action, [names[k] for k in candidates if k in names])
