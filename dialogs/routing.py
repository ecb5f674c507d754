"""What happens once the service is known: its documents, finding a counter, booking."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from dialogs import find, texts
from dialogs.callbacks import CallbackData, ServicePick
from dialogs.context import BotContext
from dialogs.documents import show_documents
from dialogs.keyboards import button, main_menu
from dialogs.replies import answer_button, send
from services.catalogue import service_details


async def act_on_service(update: Update, context: BotContext, action: str, key: str) -> None:
    """Documents and finding a counter now; booking as that flow arrives."""
    if action == "docs":
        await show_documents(update, context, key)
        return
    service = await service_details(context.deps.sessions, key)
    if service is None:
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    if action == "find":
        await find.start(update, context, service)
        return
    await send(
        update,
        texts.FEATURE_FOR_SERVICE_SOON.format(feature=texts.MENU_BOOK, service=service.name_fa),
        InlineKeyboardMarkup([[button(texts.MENU_DOCS, ServicePick("docs", key))]]),
    )


async def service_chosen(update: Update, context: BotContext) -> None:
    """A service button: go on with what the citizen wanted to do with it."""
    query = update.callback_query
    assert query is not None
    pick = CallbackData.parse(query.data)
    assert isinstance(pick, ServicePick)
    await answer_button(query)
    await act_on_service(update, context, pick.action, pick.key)
