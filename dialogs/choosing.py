"""Choosing a service: from the best guesses of free text, or by category."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update

from dialogs import texts
from dialogs.callbacks import CategoryPick, MenuChoice, ServicePick
from dialogs.context import BotContext
from dialogs.flow import Router
from dialogs.keyboards import button
from dialogs.replies import pressed, send
from services.catalogue import ServiceName, categories, services_in_category

router = Router("choosing")


async def ask_service(
    update: Update, context: BotContext, action: str, candidates: Sequence[ServiceName]
) -> None:
    """Offers the best guesses as buttons, and a way out to the categories."""
    rows = [[button(c.name_fa, ServicePick(action, c.key))] for c in candidates]
    rows.append([button(texts.NONE_OF_THESE, CategoryPick(action, ""))])
    await send(update, texts.WHICH_SERVICE, InlineKeyboardMarkup(rows))


async def show_categories(update: Update, context: BotContext, action: str) -> None:
    found = await categories(context.deps.sessions)
    rows = [
        [button(a.name_fa, CategoryPick(action, a.key)) for a in found[i : i + 2]]
        for i in range(0, len(found), 2)
    ]
    rows.append([button(texts.DOCS_MENU, MenuChoice("home"))])
    await send(update, texts.CHOOSE_CATEGORY, InlineKeyboardMarkup(rows))


@router.button(CategoryPick)
async def category_chosen(update: Update, context: BotContext) -> None:
    """A category button: its services, or the list of categories."""
    pick = await pressed(update, CategoryPick)
    if not pick.key:
        await show_categories(update, context, pick.action)
        return
    found = await services_in_category(context.deps.sessions, pick.key)
    if not found:
        await show_categories(update, context, pick.action)
        return
    rows = [[button(s.name_fa, ServicePick(pick.action, s.key))] for s in found]
    rows.append([button(texts.BACK_TO_CATEGORIES, CategoryPick(pick.action, ""))])
    known = await categories(context.deps.sessions)
    name = next((c.name_fa for c in known if c.key == pick.key), "")
    await send(update, texts.CHOOSE_SERVICE_IN.format(category=name), InlineKeyboardMarkup(rows))
