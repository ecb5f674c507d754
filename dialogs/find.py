"""Find the nearest counters that offer a service: where is the citizen, then the list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from dialogs import complaint, texts
from dialogs.booking import show_days
from dialogs.callbacks import FindMore, MenuChoice, OfficeAction
from dialogs.choosing import show_categories
from dialogs.context import BotContext
from dialogs.documents import render_documents
from dialogs.formatting import fa_day, fa_digits, fa_km, fa_time
from dialogs.keyboards import button, main_menu
from dialogs.replies import pressed, send
from dialogs.understanding import understand
from services.catalogue import ServiceDetails, service_details
from services.clock import TEHRAN, tehran_now
from services.locator import Nearby
from services.opening import ClosureWindow, OpeningState
from services.places import locate
from services.scheduling import FreeTime, next_free_at

PAGE_SIZE = 5
# Beyond this the nearest office is not "near": the citizen is told, and shown it anyway.
NEAR_ENOUGH_KM = 50

FLOW = "find"


def _where_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(texts.SHARE_LOCATION, request_location=True)],
            [KeyboardButton(texts.FIND_CANCEL)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def start(
    update: Update, context: BotContext, service: ServiceDetails, *, booking: bool = False
) -> None:
    """The service is known: search from a point shared earlier, or ask where. For a
    booking, the list shows each office's first free time."""
    data = context.conversation.data
    if context.conversation.at(FLOW, "service") and "lat" in data:
        await show_results(update, context, service, float(data["lat"]), float(data["lon"]))
        return
    context.conversation.reset()
    context.conversation.go(FLOW, "where", service=service.key, booking=booking)
    if update.effective_chat is not None:
        template = texts.BOOK_WHERE if booking else texts.FIND_WHERE
        await update.effective_chat.send_message(
            template.format(service=service.name_fa), reply_markup=_where_keyboard()
        )


async def location_shared(update: Update, context: BotContext) -> None:
    """A location: the answer to "where?", or the start of a search for a service."""
    message = update.effective_message
    assert message is not None and message.location is not None
    lat, lon = message.location.latitude, message.location.longitude
    conversation = context.conversation
    if conversation.at(complaint.FLOW, "office"):
        await complaint.location_shared(update, context, lat, lon)
        return
    if conversation.at(FLOW, "where"):
        service = await service_details(context.deps.sessions, conversation.data["service"])
        if service is not None:
            await _searching(update, texts.FIND_ORIGIN_LOCATION)
            await show_results(update, context, service, lat, lon)
            return
    conversation.reset()
    conversation.go(FLOW, "service", lat=lat, lon=lon)
    await send(update, texts.LOCATION_OUTSIDE_FLOW)
    await show_categories(update, context, "find")


async def place_typed(update: Update, context: BotContext, text: str) -> bool:
    """Text while waiting for "where?": a place searches from there. False when the text
    is not about a place (the caller treats it as any free text)."""
    conversation = context.conversation
    service = await service_details(context.deps.sessions, conversation.data.get("service", ""))
    if service is None:
        conversation.reset()
        return False
    if text.strip() == texts.FIND_CANCEL:
        conversation.reset()
        if update.effective_chat is not None:
            await update.effective_chat.send_message(
                texts.CANCELLED, reply_markup=ReplyKeyboardRemove()
            )
        await send(update, texts.MENU_AGAIN, main_menu())
        return True
    meaning = understand(context, text)
    place = meaning.place
    point = locate(place.province, place.county, place.city, place.district) if place else None
    if place is None or point is None:
        if meaning.service is not None and meaning.service != service.key:
            return False  # a different request altogether
        if update.effective_chat is not None:
            await update.effective_chat.send_message(
                texts.FIND_PLACE_UNKNOWN.format(text=text[:60]), reply_markup=_where_keyboard()
            )
        return True
    origin = place.city or place.county or place.province or ""
    if place.district is not None:
        origin = f"منطقه {fa_digits(place.district)} {origin}".strip()
    await _searching(update, origin)
    await show_results(update, context, service, *point)
    return True


async def _searching(update: Update, origin: str) -> None:
    """Acknowledges the place and takes the location keyboard away."""
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            texts.FIND_SEARCHING.format(origin=origin), reply_markup=ReplyKeyboardRemove()
        )


def opening_text(state: OpeningState, now: dt.datetime) -> str:
    if state.open_now and state.closes_at is not None:
        return texts.OPEN_UNTIL.format(time=fa_time(state.closes_at))
    if state.opens_at is None:
        return texts.CLOSED_NO_HOURS
    opens = state.opens_at.astimezone(TEHRAN)
    when = {"day": fa_day(opens.date(), now.date()), "time": fa_time(opens)}
    if state.closure:
        return texts.CLOSED_FOR_OPENS.format(reason=state.closure, **when)
    if state.holiday:
        return texts.CLOSED_HOLIDAY_OPENS.format(holiday=state.holiday, **when)
    return texts.CLOSED_OPENS.format(**when)


def render_results(
    service: ServiceDetails,
    found: list[Nearby],
    page: int,
    now: dt.datetime,
    closures: Sequence[ClosureWindow],
    first_free: Mapping[int, FreeTime | None],
    window_days: int,
) -> str:
    lines: list[str] = []
    if page == 0:
        if not service.visit_required:
            lines.append(texts.DOCS_NO_VISIT)
        if service.online:
            name = service.online.name_fa or service.online.url
            lines.append(texts.DOCS_ONLINE_FIRST.format(name=name, url=service.online.url))
        if lines:
            lines.append("")
        lines.append(texts.FIND_HEADER.format(service=service.name_fa))
        if found and found[0].distance_km > NEAR_ENOUGH_KM:
            lines.append(texts.FIND_FAR.format(km=fa_digits(NEAR_ENOUGH_KM)))
    else:
        lines.append(texts.FIND_HEADER_MORE.format(service=service.name_fa))
    for number, nearby in enumerate(found, start=page * PAGE_SIZE + 1):
        office = nearby.office
        item = texts.FIND_ITEM.format(
            number=fa_digits(number),
            name=office.name,
            network=office.network_fa,
            km=fa_km(nearby.distance_km),
            status=opening_text(office.hours.state(now, closures), now),
            address=office.address or office.city,
        )
        if office.phone:
            item += texts.FIND_ITEM_PHONE.format(phone=fa_digits(office.phone))
        if service.key in office.service_notes:
            item += texts.FIND_ITEM_NOTE.format(note=office.service_notes[service.key])
        if service.visit_required and office.id in first_free:
            free = first_free[office.id]
            item += (
                texts.FIND_NEXT_FREE.format(
                    when=f"{fa_day(free.starts_at.date(), now.date())} {fa_time(free.starts_at)}"
                )
                if free
                else texts.FIND_NO_FREE.format(days=fa_digits(window_days))
            )
        lines += ["", item]
    return "\n".join(lines)


def results_keyboard(
    service: ServiceDetails, found: list[Nearby], page: int, lat: float, lon: float, more: bool
) -> InlineKeyboardMarkup:
    rows = []
    for number, nearby in enumerate(found, start=page * PAGE_SIZE + 1):
        n, office_id = fa_digits(number), nearby.office.id
        row = [
            button(texts.OFFICE_MAP.format(number=n), OfficeAction("map", office_id, service.key)),
            button(
                texts.OFFICE_DOCS.format(number=n), OfficeAction("docs", office_id, service.key)
            ),
        ]
        if service.visit_required:
            row.append(
                button(
                    texts.OFFICE_BOOK.format(number=n), OfficeAction("book", office_id, service.key)
                )
            )
        rows.append(row)
    if more:
        rows.append(
            [
                button(
                    texts.FIND_MORE,
                    FindMore(service.key, page + 1, round(lat * 10_000), round(lon * 10_000)),
                )
            ]
        )
    rows.append([button(texts.DOCS_MENU, MenuChoice("home"))])
    return InlineKeyboardMarkup(rows)


async def show_results(
    update: Update,
    context: BotContext,
    service: ServiceDetails,
    lat: float,
    lon: float,
    page: int = 0,
) -> None:
    """The offices offering the service nearest to the point, a page at a time."""
    context.conversation.reset()
    now = tehran_now()
    directory = await context.deps.directory.fresh(now)
    found = directory.index.nearest(service.key, lat, lon, PAGE_SIZE + 1, skip=page * PAGE_SIZE)
    more, found = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
    if not found:
        text = texts.FIND_NONE if page == 0 else texts.FIND_NO_MORE
        await send(update, text.format(service=service.name_fa), main_menu())
        return
    rules = context.deps.rules
    first_free = (
        await next_free_at(
            context.deps.sessions,
            [n.office.id for n in found],
            service.key,
            now,
            rules,
            directory.closures,
        )
        if service.visit_required
        else {}
    )
    await send(
        update,
        render_results(
            service, found, page, now, directory.closures, first_free, rules.window_days
        ),
        results_keyboard(service, found, page, lat, lon, more),
    )


async def more_chosen(update: Update, context: BotContext) -> None:
    """The next page of offices further out."""
    more = await pressed(update, FindMore)
    service = await service_details(context.deps.sessions, more.service)
    if service is None:
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    await show_results(
        update, context, service, more.lat_e4 / 10_000, more.lon_e4 / 10_000, more.page
    )


async def office_chosen(update: Update, context: BotContext) -> None:
    """An office's button: its place on the map, its documents, or booking there."""
    action = await pressed(update, OfficeAction)
    directory = await context.deps.directory.fresh(tehran_now())
    office = directory.index.offices.get(action.office_id)
    service = await service_details(context.deps.sessions, action.service)
    if office is None or service is None:
        await send(update, texts.OFFICE_GONE, main_menu())
        return
    chat = update.effective_chat
    if action.action == "map" and chat is not None:
        await chat.send_venue(
            latitude=office.lat,
            longitude=office.lon,
            title=office.name,
            address=office.address or office.city,
        )
        return
    if action.action == "docs":
        text = render_documents(service)
        for note in (office.service_notes.get(service.key), office.notes_fa):
            if note:
                text += "\n\n" + texts.OFFICE_NOTE.format(office=office.name, note=note)
        await send(update, text, main_menu())
        return
    await show_days(update, context, office.id, service.key)
