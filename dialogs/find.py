"""Find the nearest counters that offer a service: where is the citizen, then the list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from dialogs import texts
from dialogs.booking import refuse_booking_start, show_days
from dialogs.callbacks import (
    FindMore,
    FindPage,
    MenuChoice,
    OfficeAction,
    network_tag,
    tagged_network,
)
from dialogs.choosing import ask_service, show_categories
from dialogs.context import BotContext
from dialogs.documents import render_documents, show_documents
from dialogs.flow import Draft, Flow, Router
from dialogs.formatting import fa_day, fa_digits, fa_km, fa_time
from dialogs.keyboards import button, main_menu
from dialogs.replies import answer_button, answer_stale, carried, pressed, redraw, send
from dialogs.understanding import understand
from nlp.intents import Intent
from nlp.understand import PlaceMatch
from services.booking import paused_by_crisis
from services.catalogue import ServiceDetails, service_details, service_names
from services.clock import TEHRAN, tehran_now
from services.locator import SEARCH_RADIUS_KM, UNFILTERED, Nearby, OfficeFilter
from services.opening import ClosureWindow, OpeningState
from services.places import locate
from services.scheduling import FreeTime, next_free_at

PAGE_SIZE = 5


class FindStep(enum.Enum):
    SERVICE = "service"  # which service? (a point may be known already)
    WHERE = "where"  # the service is known: where is the citizen?
    RESULTS = "results"  # the offices are listed; a day asked for waits for the booking


class FindDraft(Draft):
    service: str = ""
    booking: bool = False
    lat: float | None = None
    lon: float | None = None
    day: str = ""  # YYYYMMDD: the day the request named, offered first when booking


FIND: Flow[FindStep, FindDraft] = Flow("find", FindStep, FindDraft)
router = Router("find", FIND)


def _where_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(texts.SHARE_LOCATION, request_location=True)],
            [KeyboardButton(texts.FIND_CANCEL)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _day_key(day: dt.date | None) -> str:
    return day.strftime("%Y%m%d") if day is not None else ""


def requested_day(draft: FindDraft | None) -> dt.date | None:
    """The day the citizen's request named, if it is still to come."""
    if draft is None or not draft.day:
        return None
    try:
        day = dt.datetime.strptime(draft.day, "%Y%m%d").date()
    except ValueError:
        return None
    return day if day >= tehran_now().date() else None


async def choose_service(update: Update, context: BotContext, *, booking: bool) -> None:
    """«Find» or «book» without a service: the categories, and a typed service continues
    what the citizen started (not a documents card)."""
    conversation = context.conversation
    kept = FIND.draft(conversation) if FIND.at(conversation, FindStep.SERVICE) else None
    point = {"lat": kept.lat, "lon": kept.lon} if kept is not None else {}
    FIND.go(conversation, FindStep.SERVICE, FindDraft(booking=booking, **point))
    await show_categories(update, context, "book" if booking else "find")


async def start(
    update: Update,
    context: BotContext,
    service: ServiceDetails,
    *,
    booking: bool = False,
    place: PlaceMatch | None = None,
    day: dt.date | None = None,
) -> None:
    """The service is known: search from a point shared earlier or a place the request
    named, or ask where. For a booking, the list shows each office's first free time, and
    a day the request named is offered first."""
    conversation = context.conversation
    draft = FIND.draft(conversation) if FIND.at(conversation, FindStep.SERVICE) else None
    wanted = FindDraft(service=service.key, booking=booking, day=_day_key(day))
    point = _point_of(place)
    if place is not None and point is not None:  # named in the request: it wins
        origin = origin_name(place)
        await show_results(update, context, service, *point, wanted=wanted, origin=origin)
        return
    if draft is not None and draft.lat is not None and draft.lon is not None:
        await show_results(update, context, service, draft.lat, draft.lon, wanted=wanted)
        return
    conversation.reset()
    FIND.go(conversation, FindStep.WHERE, wanted)
    if update.effective_chat is not None:
        template = texts.BOOK_WHERE if booking else texts.FIND_WHERE
        await send(update, template.format(service=service.name_fa), _where_keyboard())


def _point_of(place: PlaceMatch | None) -> tuple[float, float] | None:
    if place is None:
        return None
    return locate(place.province, place.county, place.city, place.district)


def origin_name(place: PlaceMatch) -> str:
    """The place searched from, as the citizen would name it."""
    origin = place.city or place.county or place.province or ""
    if place.district is not None:
        origin = f"منطقه {fa_digits(place.district)} {origin}".strip()
    return origin


@router.location(FindStep.WHERE)
async def location_for_service(update: Update, context: BotContext) -> None:
    """The answer to "where?": the offices nearest to it."""
    message = update.effective_message
    assert message is not None and message.location is not None
    draft = FIND.draft(context.conversation)
    assert draft is not None  # the dispatcher checked it reads
    service = await service_details(context.deps.sessions, draft.service)
    if service is None:
        await location_shared(update, context)
        return
    lat, lon = message.location.latitude, message.location.longitude
    await _searching(update, texts.FIND_ORIGIN_LOCATION)
    await show_results(update, context, service, lat, lon, wanted=draft)


@router.location()
async def location_shared(update: Update, context: BotContext) -> None:
    """A location when no step asked for one: the start of a search, for a service the
    citizen chooses or types next."""
    message = update.effective_message
    assert message is not None and message.location is not None
    lat, lon = message.location.latitude, message.location.longitude
    conversation = context.conversation
    conversation.reset()
    FIND.go(conversation, FindStep.SERVICE, FindDraft(lat=lat, lon=lon))
    await send(update, texts.LOCATION_OUTSIDE_FLOW)
    await show_categories(update, context, "find")


@router.text(FindStep.SERVICE)
async def service_typed(update: Update, context: BotContext, text: str) -> bool:
    """Text while a search or booking waits for its service: a service named continues
    it (documents, when the text asks for them); anything else is understood as usual."""
    draft = FIND.draft(context.conversation)
    assert draft is not None
    meaning = understand(context, text)
    if not meaning.services or meaning.intent not in _ABOUT_A_SERVICE:
        return False
    asked_for_documents = meaning.intent is Intent.DOCUMENTS and Intent.DOCUMENTS in (
        meaning.intents_named
    )
    if asked_for_documents and meaning.service is not None:
        context.conversation.reset()
        await show_documents(update, context, meaning.service)
        return True
    booking = draft.booking or meaning.intent is Intent.BOOK
    action = "book" if booking else "find"
    if meaning.service is None:
        names = {n.key: n for n in await service_names(context.deps.sessions)}
        guesses = [names[k] for k in meaning.candidates(3) if k in names]
        await ask_service(update, context, action, guesses)
        return True
    service = await service_details(context.deps.sessions, meaning.service)
    if service is None:
        return False
    if booking and await refuse_booking_start(update, context, service):
        return True
    await start(
        update,
        context,
        service,
        booking=booking,
        place=meaning.place,
        day=meaning.extracted.date.date if meaning.extracted.date else None,
    )
    return True


_ABOUT_A_SERVICE = frozenset({Intent.DOCUMENTS, Intent.FIND, Intent.BOOK})


@router.text(FindStep.WHERE)
async def place_typed(update: Update, context: BotContext, text: str) -> bool:
    """Text while waiting for "where?": a place searches from there. False when the text
    is not about a place (it is understood as any free text)."""
    conversation = context.conversation
    draft = FIND.draft(conversation)
    assert draft is not None
    service = await service_details(context.deps.sessions, draft.service)
    if service is None:
        conversation.reset()
        return False
    if text.strip() == texts.FIND_CANCEL:
        conversation.reset()
        if update.effective_chat is not None:
            await send(update, texts.CANCELLED, ReplyKeyboardRemove())
        await send(update, texts.MENU_AGAIN, main_menu())
        return True
    meaning = understand(context, text)
    place = meaning.place
    point = _point_of(place)
    if place is None or point is None:
        if meaning.service is not None and meaning.service != service.key:
            return False  # a different request altogether
        if update.effective_chat is not None:
            await send(update, texts.FIND_PLACE_UNKNOWN.format(text=text[:60]), _where_keyboard())
        return True
    if meaning.extracted.date is not None:
        draft.day = _day_key(meaning.extracted.date.date)
    await _searching(update, origin_name(place))
    await show_results(update, context, service, *point, wanted=draft)
    return True


async def _searching(update: Update, origin: str) -> None:
    """Acknowledges the place and takes the location keyboard away."""
    if update.effective_chat is not None:
        await send(update, texts.FIND_SEARCHING.format(origin=origin), ReplyKeyboardRemove())


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


def filters_text(narrowed: OfficeFilter, network_fa: str, now: dt.datetime) -> str:
    """The filters in force, as a line under the header."""
    parts = []
    if narrowed.open_now:
        parts.append(texts.FIND_FILTER_OPEN.format(time=fa_time(now)))
    if narrowed.network is not None:
        parts.append(network_fa)
    return texts.FIND_FILTERED.format(filters=texts.FIND_FILTER_SEPARATOR.join(parts))


def render_results(
    service: ServiceDetails,
    found: list[Nearby],
    page: int,
    now: dt.datetime,
    closures: Sequence[ClosureWindow],
    first_free: Mapping[int, FreeTime | None],
    window_days: int,
    narrowed: OfficeFilter,
    network_fa: str,
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
        # Beyond the search radius the nearest is not "near": said so, and shown anyway.
        if found and found[0].distance_km > SEARCH_RADIUS_KM:
            lines.append(texts.FIND_FAR.format(km=fa_digits(SEARCH_RADIUS_KM)))
    else:
        lines.append(texts.FIND_HEADER_MORE.format(service=service.name_fa))
    if narrowed.active:
        lines.append(filters_text(narrowed, network_fa, now))
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


def render_none_filtered(
    service: ServiceDetails, narrowed: OfficeFilter, network_fa: str, now: dt.datetime
) -> str:
    """Nothing within the search radius passes the filters."""
    which = (
        texts.FIND_NONE_WHICH_NETWORK.format(network=network_fa)
        if narrowed.network is not None
        else texts.FIND_NONE_WHICH
    )
    return texts.FIND_NONE_FILTERED.format(
        km=fa_digits(SEARCH_RADIUS_KM),
        which=which,
        service=service.name_fa,
        open=texts.FIND_NONE_OPEN.format(time=fa_time(now)) if narrowed.open_now else "",
    )


def _page(service_key: str, lat: float, lon: float, narrowed: OfficeFilter, page: int) -> FindPage:
    return FindPage(
        service_key,
        page,
        round(lat * 10_000),
        round(lon * 10_000),
        int(narrowed.open_now),
        network_tag(narrowed.network) if narrowed.network is not None else "",
    )


def filter_rows(
    service_key: str, lat: float, lon: float, narrowed: OfficeFilter, networks: Mapping[str, str]
) -> list[list[InlineKeyboardButton]]:
    """Open now on or off; one network or all, when more than one offers the service near
    the point. Each button keeps the other filter and starts again from the first page."""
    if not networks and not narrowed.active:
        return []  # nothing near to narrow: the nearest, far away, are all there is

    def to(changed: OfficeFilter) -> FindPage:
        return _page(service_key, lat, lon, changed, 0)

    open_now = texts.FIND_OPEN_NOW_ON if narrowed.open_now else texts.FIND_OPEN_NOW_OFF
    rows = [[button(open_now, to(dataclasses.replace(narrowed, open_now=not narrowed.open_now)))]]
    if len(networks) > 1 or narrowed.network is not None:
        choices: list[tuple[str, str | None]] = [(texts.FIND_ALL_NETWORKS, None)]
        choices += [(name, key) for key, name in networks.items()]
        row = [
            button(
                texts.FIND_NETWORK_ON.format(network=label) if key == narrowed.network else label,
                to(dataclasses.replace(narrowed, network=key)),
            )
            for label, key in choices
        ]
        rows += [row[i : i + 3] for i in range(0, len(row), 3)]
    return rows


def results_keyboard(
    service: ServiceDetails,
    found: list[Nearby],
    page: int,
    lat: float,
    lon: float,
    more: bool,
    narrowed: OfficeFilter,
    networks: Mapping[str, str],
    bookable: bool = True,
) -> InlineKeyboardMarkup:
    """Per office its map, documents and (where a visit is booked now) booking; then the
    filters, further away, and the menu."""
    rows = []
    for number, nearby in enumerate(found, start=page * PAGE_SIZE + 1):
        n, office_id = fa_digits(number), nearby.office.id
        row = [
            button(texts.OFFICE_MAP.format(number=n), OfficeAction("map", office_id, service.key)),
            button(
                texts.OFFICE_DOCS.format(number=n), OfficeAction("docs", office_id, service.key)
            ),
        ]
        if service.visit_required and bookable:
            row.append(
                button(
                    texts.OFFICE_BOOK.format(number=n), OfficeAction("book", office_id, service.key)
                )
            )
        rows.append(row)
    rows += filter_rows(service.key, lat, lon, narrowed, networks)
    if more:
        rows.append([button(texts.FIND_MORE, _page(service.key, lat, lon, narrowed, page + 1))])
    rows.append([button(texts.DOCS_MENU, MenuChoice("home"))])
    return InlineKeyboardMarkup(rows)


async def show_results(
    update: Update,
    context: BotContext,
    service: ServiceDetails,
    lat: float,
    lon: float,
    page: int = 0,
    narrowed: OfficeFilter = UNFILTERED,
    *,
    in_place: bool = False,
    wanted: FindDraft | None = None,
    origin: str = "",
) -> None:
    """The offices offering the service nearest to the point, a page at a time, narrowed
    by the citizen's filters (``in_place``: instead of the results the button was under).
    ``origin`` names the place the point is the centre of; a day ``wanted`` for a booking
    waits in the conversation for the office to be chosen."""
    conversation = context.conversation
    conversation.reset()
    if wanted is not None and wanted.booking and wanted.day:
        kept = wanted.model_copy(update={"lat": lat, "lon": lon})
        FIND.go(conversation, FindStep.RESULTS, kept)
    now = tehran_now()
    directory = await context.deps.directory.fresh(now)
    index = directory.index
    result = index.search(
        service.key,
        lat,
        lon,
        page=page,
        size=PAGE_SIZE,
        narrowed=narrowed,
        at=now,
        closures=directory.closures,
    )
    network_fa = index.networks.get(narrowed.network, "") if narrowed.network else ""
    show = redraw if in_place else send
    if not result.offices and narrowed.active and page == 0:
        rows = filter_rows(service.key, lat, lon, narrowed, result.networks)
        rows.append([button(texts.DOCS_MENU, MenuChoice("home"))])
        text = render_none_filtered(service, narrowed, network_fa, now)
        await show(update, text, InlineKeyboardMarkup(rows))
        return
    if not result.offices:
        text = texts.FIND_NONE if page == 0 else texts.FIND_NO_MORE
        await send(update, text.format(service=service.name_fa), main_menu())
        return
    found = result.offices
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
    text = render_results(
        service,
        found,
        page,
        now,
        directory.closures,
        first_free,
        rules.window_days,
        narrowed,
        network_fa,
    )
    if origin:
        text = texts.FIND_FROM_PLACE.format(origin=origin) + "\n\n" + text
    await show(
        update,
        text,
        results_keyboard(
            service,
            found,
            page,
            lat,
            lon,
            result.more,
            narrowed,
            result.networks,
            bookable=not await paused_by_crisis(context.deps.sessions, service.essential),
        ),
    )


def _kept(context: BotContext) -> FindDraft | None:
    """A day asked for, kept while the citizen pages and filters the offices."""
    conversation = context.conversation
    return FIND.draft(conversation) if FIND.at(conversation, FindStep.RESULTS) else None


@router.button(FindPage)
async def page_chosen(update: Update, context: BotContext) -> None:
    """A filter changed: the results redrawn from the same point, from the first page. Or
    the next page further out, in a new message, with the same filters."""
    choice = carried(update, FindPage)
    directory = await context.deps.directory.fresh(tehran_now())
    network = tagged_network(choice.network, directory.index.networks)
    if choice.network and network is None:
        await answer_stale(update)  # forged, or a network no office belongs to any more
        return
    assert update.callback_query is not None
    await answer_button(update.callback_query)
    service = await service_details(context.deps.sessions, choice.service)
    if service is None:
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    await show_results(
        update,
        context,
        service,
        choice.lat_e4 / 10_000,
        choice.lon_e4 / 10_000,
        choice.page,
        OfficeFilter(open_now=bool(choice.open_now), network=network),
        in_place=choice.page == 0,
        wanted=_kept(context),
    )


@router.button(FindMore)
async def more_chosen(update: Update, context: BotContext) -> None:
    """The next page of offices further out, unfiltered (a button sent before filters)."""
    more = await pressed(update, FindMore)
    service = await service_details(context.deps.sessions, more.service)
    if service is None:
        await send(update, texts.SERVICE_GONE, main_menu())
        return
    await show_results(
        update,
        context,
        service,
        more.lat_e4 / 10_000,
        more.lon_e4 / 10_000,
        more.page,
        wanted=_kept(context),
    )


@router.button(OfficeAction)
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
        await context.messenger.show_place(
            chat.id, office.lat, office.lon, office.name, office.address or office.city
        )
        return
    if action.action == "docs":
        text = render_documents(service)
        for note in (office.service_notes.get(service.key), office.notes_fa):
            if note:
                text += "\n\n" + texts.OFFICE_NOTE.format(office=office.name, note=note)
        await send(update, text, main_menu())
        return
    day = requested_day(FIND.draft(context.conversation))
    await show_days(update, context, office.id, service.key, first_day=day)
