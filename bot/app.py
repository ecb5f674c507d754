"""Builds the python-telegram-bot Application: transport, per-chat state, handlers."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.metrics import CountingRateLimiter, observed
from bot.transport import AiohttpRequest
from dialogs import (
    booking,
    choosing,
    complaint,
    feedback,
    find,
    free_text,
    menu,
    my_bookings,
    routing,
    staff,
    supervision,
    texts,
    tracking,
)
from dialogs.callbacks import (
    BookConfirm,
    BookDay,
    BookNav,
    BookTime,
    CallbackData,
    CategoryPick,
    ComplaintConfirm,
    ComplaintStep,
    FindMore,
    FindPage,
    MenuChoice,
    MyBooking,
    OfficeAction,
    OpenMore,
    Rate,
    ServicePick,
    StaffAction,
    StaffCancel,
    StaffDocs,
    SuperviseAction,
    SuperviseReject,
    TrackCode,
)
from dialogs.context import DEPS_KEY, BotContext, Deps, current_conversation
from services import inbound
from services.inbound import Arrival, FloodLimit, Incoming
from services.storage.models import utcnow

log = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]


class ChatOrderedUpdates(BaseUpdateProcessor):
    """Handles different chats in parallel and one chat's updates in order, each once.

    Under the chat's lock (services.conversation) an update is stored and the chat's
    conversation read; a duplicate is skipped, a flood from one user dropped with one
    notice. The conversation is written back with the update's "handled" mark, so any
    process can continue any conversation, and an update cut short by a crash is handled
    again (``recover``), not lost.
    """

    def __init__(self, deps: Deps):
        super().__init__(deps.settings.max_concurrent_updates)
        self._deps = deps
        settings = deps.settings
        self._lease = dt.timedelta(seconds=settings.chat_lock_timeout)
        self._flood = FloodLimit(
            settings.flood_updates, dt.timedelta(seconds=settings.flood_window_seconds)
        )
        self._bodies: dict[int, str] = {}

    def arrived_as(self, update_id: int, body: str) -> None:
        """The update's JSON as Telegram sent it (webhook mode): stored as it is, sparing
        PTB's object-by-object serialisation, a good part of a short update's cost."""
        self._bodies[update_id] = body

    @observed  # counts and times every update (bot.metrics)
    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        raw = self._bodies.pop(update.update_id, None)
        chat = update.effective_chat
        if chat is None:
            await coroutine
            return
        user = update.effective_user
        body = raw or json.dumps(update.to_dict(), ensure_ascii=False, separators=(",", ":"))
        incoming = Incoming(
            update.update_id, chat.id, user.id if user else None, self._deps.vault.encrypt(body)
        )
        async with self._deps.conversations.handle(
            chat.id,
            incoming.user_id,
            incoming,
            lease=self._lease,
            flood=self._flood if chat.type == "private" else None,
        ) as turn:
            if turn.conversation is None:
                _discard(coroutine)
                if turn.arrival is Arrival.SLOW_DOWN:
                    await self._slow_down(chat.id)
                return
            token = current_conversation.set(turn.conversation)
            try:
                await coroutine
            finally:
                current_conversation.reset(token)

    async def _slow_down(self, chat_id: int) -> None:
        assert self._application is not None
        try:
            await self._application.bot.send_message(chat_id, texts.SLOW_DOWN)
        except TelegramError as exc:
            log.info("could not ask chat to slow down: %s", exc)

    async def recover(self) -> int:
        """Handle stored updates whose handling was cut short (a crash, a lost database
        connection) once their lease is over; returns how many were taken up."""
        application = self._application
        assert application is not None
        stalled = await inbound.claim_stalled(self._deps.engine, utcnow(), self._lease)
        for item in stalled:
            data = json.loads(self._deps.vault.decrypt(item.body))
            update = Update.de_json(data, application.bot)
            # Stored and not handled: the store lets it through, under the chat's lock.
            await self.process_update(update, application.process_update(update))
        if stalled:
            log.info("handled %d stored updates left unfinished", len(stalled))
        return len(stalled)

    def attach(self, application: BotApplication) -> None:
        self._application = application

    _application: BotApplication | None = None

    async def initialize(self) -> None:
        """Nothing to set up: the store is ready when the processor is built."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _discard(coroutine: Awaitable[Any]) -> None:
    """An update skipped: close its handler coroutine so it is not reported as never run."""
    if isinstance(coroutine, Coroutine):
        coroutine.close()


def _carries(kind: type[CallbackData]) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: the button's data parses as this kind."""
    return lambda data: isinstance(CallbackData.parse(data), kind)


def _new_booking_time(data: object) -> bool:
    """A time button of a new booking (a moved booking's carries its id)."""
    parsed = CallbackData.parse(data)
    return isinstance(parsed, BookTime) and parsed.booking_id == 0


def citizen_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    """Every handler, in the order they are tried: the citizen's private chat, and the
    commands and buttons of office staff and supervisors."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", menu.start, filters=private),
        CommandHandler("help", menu.help_command, filters=private),
        CommandHandler("cancel", menu.cancel, filters=private),
        CommandHandler(["docs", "find", "book"], menu.service_command, filters=private),
        CommandHandler("track", menu.track_command, filters=private),
        CommandHandler("mybookings", menu.my_bookings, filters=private),
        CommandHandler("complaint", complaint.command, filters=private),
        CommandHandler("link", staff.link_command),
        CommandHandler("agenda", staff.agenda_command, filters=filters.ChatType.GROUPS | private),
        CommandHandler("supervise", supervision.supervise_command),
        CommandHandler("stats", supervision.stats_command),
        CommandHandler(["open", "complaints"], supervision.open_command),
        CommandHandler(
            ["start", "help", "find", "docs", "book", "track", "mybookings", "complaint"],
            menu.group_hint,
            filters=filters.ChatType.GROUPS,
        ),
        CallbackQueryHandler(menu.menu_choice, pattern=_carries(MenuChoice)),
        CallbackQueryHandler(routing.service_chosen, pattern=_carries(ServicePick)),
        CallbackQueryHandler(find.office_chosen, pattern=_carries(OfficeAction)),
        CallbackQueryHandler(find.page_chosen, pattern=_carries(FindPage)),
        CallbackQueryHandler(find.more_chosen, pattern=_carries(FindMore)),
        CallbackQueryHandler(booking.day_chosen, pattern=_carries(BookDay)),
        CallbackQueryHandler(booking.time_chosen, pattern=_new_booking_time),
        CallbackQueryHandler(my_bookings.time_chosen, pattern=_carries(BookTime)),
        CallbackQueryHandler(booking.nav_chosen, pattern=_carries(BookNav)),
        CallbackQueryHandler(booking.confirmed, pattern=_carries(BookConfirm)),
        CallbackQueryHandler(my_bookings.chosen, pattern=_carries(MyBooking)),
        CallbackQueryHandler(tracking.code_chosen, pattern=_carries(TrackCode)),
        CallbackQueryHandler(staff.action_chosen, pattern=_carries(StaffAction)),
        CallbackQueryHandler(staff.cancel_chosen, pattern=_carries(StaffCancel)),
        CallbackQueryHandler(staff.documents_chosen, pattern=_carries(StaffDocs)),
        CallbackQueryHandler(choosing.category_chosen, pattern=_carries(CategoryPick)),
        CallbackQueryHandler(feedback.chosen, pattern=_carries(Rate)),
        CallbackQueryHandler(complaint.step_chosen, pattern=_carries(ComplaintStep)),
        CallbackQueryHandler(complaint.confirmed, pattern=_carries(ComplaintConfirm)),
        CallbackQueryHandler(supervision.action_chosen, pattern=_carries(SuperviseAction)),
        CallbackQueryHandler(supervision.reject_chosen, pattern=_carries(SuperviseReject)),
        CallbackQueryHandler(supervision.open_more_chosen, pattern=_carries(OpenMore)),
        CallbackQueryHandler(menu.stale_button),
        MessageHandler(private & filters.COMMAND, menu.unknown_command),
        MessageHandler(private & filters.LOCATION, find.location_shared),
        MessageHandler(private & filters.CONTACT, booking.contact_shared),
        MessageHandler(private & filters.TEXT, free_text.free_text),
        MessageHandler(private & ~filters.StatusUpdate.ALL, menu.unsupported_message),
        # In groups only a supervisor's awaited reply is read (staff groups type nothing).
        MessageHandler(
            filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, supervision.group_text
        ),
    ]


async def on_error(update: object, context: BotContext) -> None:
    """Logs the failure without personal data and tells the citizen something human."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    with contextlib.suppress(LookupError):  # no conversation: the update had no chat
        current_conversation.get().reset()
    if update.effective_chat.type == "private":
        try:
            await update.effective_chat.send_message(texts.ERROR)
        except TelegramError:
            log.warning("could not tell chat about the failure of update %s", update_id)


async def publish_commands(bot: Bot) -> None:
    """Sets the command list and the description citizens see; a failure is not fatal."""
    try:
        await bot.set_my_commands([BotCommand(name, text) for name, text in texts.COMMANDS])
        await bot.set_my_description(texts.BOT_DESCRIPTION)
        await bot.set_my_short_description(texts.BOT_DESCRIPTION)
    except TelegramError as exc:
        log.warning("could not publish the command list: %s", exc)


def build_application(
    deps: Deps,
    *,
    token: str,
    base_url: str,
    rate_limit: bool = True,
) -> BotApplication:
    """The one place the Application is put together."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        # aiohttp instead of PTB's default httpx: less CPU per request (bot.transport).
        .request(AiohttpRequest(connection_pool_size=64, proxy=deps.settings.telegram_proxy))
        .get_updates_request(
            AiohttpRequest(connection_pool_size=1, proxy=deps.settings.telegram_proxy)
        )
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(ChatOrderedUpdates(deps))
    )
    application: BotApplication = (
        builder.rate_limiter(
            CountingRateLimiter(max_retries=3, overall_max_rate=deps.settings.telegram_max_rate)
        ).build()
        if rate_limit
        else builder.build()
    )
    application.bot_data[DEPS_KEY] = deps
    processor = application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    processor.attach(application)
    application.add_handlers(citizen_handlers())
    application.add_error_handler(on_error)
    return application
