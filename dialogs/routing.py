"""What happens once the service is known: its documents, finding a counter, booking."""

from __future__ import annotations

import datetime as dt

from telegram import Update

from dialogs import find, texts
from dialogs.booking import refuse_booking_start
from dialogs.callbacks import ServicePick
from dialogs.context import BotContext
from dialogs.documents import show_documents
from dialogs.flow import Router
from dialogs.keyboards import main_menu
from dialogs.replies import pressed, send
from nlp.understand import PlaceMatch
from services.catalogue import service_details

router = Router("routing")


async def act_on_service(
    update: Update,
    context: BotContext,
    action: str,
    key: str,
    place: PlaceMatch | None = None,
    day: dt.date | None = None,
) -> None:
    """Documents; or finding a counter (to book there, for a booking), near the place the
    request named, with the day it named offered first."""
    if action == "docs":
        await show_documents(update, context, key)
        return
    service = await service_details(context.deps.sessions, key)
    if service is None:
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    if action == "book" and await refuse_booking_start(update, context, service):
        return
    await find.start(update, context, service, booking=action == "book", place=place, day=day)


@router.button(ServicePick)
async def service_chosen(update: Update, context: BotContext) -> None:
    """A service button: go on with what the citizen wanted to do with it."""
    pick = await pressed(update, ServicePick)
    await act_on_service(update, context, pick.action, pick.key)
