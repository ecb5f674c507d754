"""What to bring for a service, what it officially costs, and whether to go at all."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardMarkup, Update

from dialogs import texts
from dialogs.callbacks import MenuChoice, ServicePick
from dialogs.context import BotContext
from dialogs.formatting import fa_digits, fa_number
from dialogs.keyboards import button, main_menu
from dialogs.replies import send
from services.booking import paused_by_crisis
from services.catalogue import ServiceDetails, service_details
from services.clock import jalali_year, tehran_today


def documents_text(service: ServiceDetails) -> str:
    """What to bring, numbered, with notes (or that nothing special is needed)."""
    lines = [texts.DOCS_LIST]
    for number, document in enumerate(service.documents, start=1):
        template = texts.DOCS_ITEM_NOTE if document.note_fa else texts.DOCS_ITEM
        lines.append(
            template.format(number=fa_digits(number), name=document.name_fa, note=document.note_fa)
        )
    if not service.documents:
        lines.append(texts.DOCS_NONE)
    return "\n".join(lines)


def fee_text(service: ServiceDetails, today: dt.date | None = None) -> str:
    """The official fee with its year, in rial and toman, or that none is published; a
    figure of an earlier Jalali year than ``today``'s says it may have changed since."""
    fee = service.fee
    if fee is None:
        return texts.DOCS_FEE_UNKNOWN
    year = fa_digits(fee.year)
    if fee.amount_rial == 0:
        line = texts.DOCS_FEE_FREE.format(year=year)
    else:
        line = texts.DOCS_FEE.format(
            year=year, rial=fa_number(fee.amount_rial), toman=fa_number(fee.amount_rial // 10)
        )
    if fee.year < jalali_year(today or tehran_today()):
        line += texts.DOCS_FEE_OLD.format(year=year)
    return line


def render_documents(service: ServiceDetails, *, paused: bool = False) -> str:
    """The service's page: where, online first when possible, documents, fee, time
    (``paused``: crisis days keep it from being booked now, and it says so)."""
    lines = [texts.DOCS_TITLE.format(name=service.name_fa)]
    if paused:
        lines.append(texts.BOOK_ESSENTIAL_ONLY.format(service=service.name_fa))
    if service.networks_fa:
        lines.append(texts.DOCS_NETWORKS.format(networks="، ".join(service.networks_fa)))
    if not service.visit_required:
        lines.append(texts.DOCS_NO_VISIT)
    if service.online:
        template = texts.DOCS_ONLINE if service.visit_required else texts.DOCS_ONLINE_FIRST
        name = service.online.name_fa or service.online.url
        lines.append(template.format(name=name, url=service.online.url))
        if service.online.note_fa:
            lines.append(service.online.note_fa)
    lines.append("")
    if service.visit_required:
        lines += [documents_text(service), ""]
    lines.append(fee_text(service))
    if service.fee is not None and service.fee.amount_rial and service.fee.note_fa:
        lines.append(service.fee.note_fa)
    if service.typical_duration_fa:
        lines.append(texts.DOCS_DURATION.format(duration=service.typical_duration_fa))
    if service.essential:
        lines.append(texts.DOCS_ESSENTIAL)
    if service.notes_fa:
        lines += ["", service.notes_fa]
    return "\n".join(lines)


def documents_keyboard(service: ServiceDetails, *, paused: bool = False) -> InlineKeyboardMarkup:
    """Find a counter always (online services are still taken at counters, for those who
    cannot do them online); book only where a visit is needed and booking is not paused."""
    actions = [button(texts.DOCS_FIND, ServicePick("find", service.key))]
    if service.visit_required and not paused:
        actions.append(button(texts.DOCS_BOOK, ServicePick("book", service.key)))
    return InlineKeyboardMarkup([actions, [button(texts.DOCS_MENU, MenuChoice("home"))]])


async def show_documents(update: Update, context: BotContext, key: str) -> None:
    """Sends the service's page with buttons to find a counter or book."""
    service = await service_details(context.deps.sessions, key)
    if service is None:
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    context.conversation.reset()
    paused = await paused_by_crisis(context.deps.sessions, service.essential)
    await send(
        update,
        render_documents(service, paused=paused),
        documents_keyboard(service, paused=paused),
    )
