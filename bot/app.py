"""Builds the python-telegram-bot Application: transport, per-chat state, handlers."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Coroutine, Mapping
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from bot.gateway import TelegramGateway, profile_for
from bot.hygiene import update_of
from bot.metrics import CountingRateLimiter, observed
from bot.transport import AiohttpRequest, UpdatesRequest
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
from dialogs.context import (
    DEPS_KEY,
    MESSENGER_KEY,
    MESSENGERS_KEY,
    BotContext,
    Deps,
    current_conversation,
    current_messenger,
)
from dialogs.dispatch import Dispatcher
from dialogs.flow import Router
from dialogs.messenger import Messenger
from nlp.extract import holds_personal_number
from services import inbound
from services.conversation import Turn
from services.inbound import Arrival, FloodLimit, Incoming
from services.settings import Settings
from services.storage.models import utcnow

log = logging.getLogger(__name__)

# The update being handled, for the error handler to ask for a later try.
current_turn: ContextVar[Turn] = ContextVar("current_turn")

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
        self._postponed: set[int] = set()

    def arrived_as(self, update_id: int, body: str) -> None:
        """The update's JSON as Telegram sent it (webhook mode): stored as it is, sparing
        PTB's object-by-object serialisation, a good part of a short update's cost."""
        self._bodies[update_id] = body

    def postponed(self, update_id: int) -> bool:
        """Whether the update's answer could not be delivered and it is kept for a later
        try (webhook mode answers Telegram non-2xx then); asked once per update."""
        try:
            self._postponed.remove(update_id)
        except KeyError:
            return False
        return True

    @observed  # counts and times every update (bot.metrics)
    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # The handlers answer through the messenger the update came from (dialogs.replies).
        token = current_messenger.set(self.messenger)
        try:
            await self._process(update, coroutine)
        finally:
            current_messenger.reset(token)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
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
        messenger = self.messenger.capabilities.name
        incoming = Incoming(
            messenger,
            update.update_id,
            chat.id,
            user.id if user else None,
            self._deps.vault.encrypt(body),
        )
        turn: Turn | None = None
        try:
            async with self._deps.conversations.handle(
                messenger,
                chat.id,
                incoming.user_id,
                incoming,
                lease=self._lease,
                flood=self._flood if chat.type == "private" else None,
            ) as turn:
                if turn.conversation is None:
                    _discard(coroutine)
                    if turn.arrival in (Arrival.SLOW_DOWN, Arrival.DROPPED):
                        await self._dropped(update, told=turn.arrival is Arrival.DROPPED)
                else:
                    await self._handle(turn, coroutine)
        finally:
            if turn is not None and turn.given_up:
                await self._tell_given_up(chat.id, chat.type)
        if turn is not None and turn.retry_wait is not None:
            self._postponed.add(update.update_id)

    async def _handle(self, turn: Turn, coroutine: Awaitable[Any]) -> None:
        """The handlers run with the chat's conversation and the turn at hand."""
        assert turn.conversation is not None
        tokens = current_conversation.set(turn.conversation), current_turn.set(turn)
        try:
            await coroutine
        finally:
            current_conversation.reset(tokens[0])
            current_turn.reset(tokens[1])

    @property
    def messenger(self) -> Messenger:
        assert self._application is not None
        return messenger_of_application(self._application)

    async def _tell_given_up(self, chat_id: int, chat_type: str) -> None:
        """Once, when an update has had all its tries: the citizen should not wait for it."""
        assert self._application is not None
        if chat_type != "private":
            log.warning("gave up an update of a group chat after all its tries")
            return
        try:
            await self.messenger.say(chat_id, texts.GAVE_UP)
        except TelegramError as exc:
            log.warning("could not tell a chat its update was given up: %s", exc)

    async def _dropped(self, update: Update, *, told: bool) -> None:
        """A message dropped by flood control is not read, so a national code or mobile in
        it would stay in the chat: it is deleted, and the citizen told why. The first one
        dropped in a window asks them to slow down (once: ``told`` after that)."""
        message = update.effective_message
        chat = update.effective_chat
        assert chat is not None
        personal = message is not None and holds_personal_number(
            message.text or message.caption or ""
        )
        if personal and message is not None:
            try:
                await self.messenger.delete(chat.id, message.message_id)
            except TelegramError as exc:
                log.warning("could not delete a dropped message holding personal data: %s", exc)
        if told and not personal:
            return
        notice = texts.SLOW_DOWN if not told else ""
        if personal:
            notice = f"{notice}\n{texts.DROPPED_PERSONAL}".strip()
        try:
            await self.messenger.say(chat.id, notice)
        except TelegramError as exc:
            log.info("could not ask chat to slow down: %s", exc)

    async def recover(self) -> int:
        """Handle stored updates whose handling was cut short (a crash, a lost database
        connection) once their lease is over; returns how many were taken up."""
        application = self._application
        assert application is not None
        claimed = await inbound.claim_stalled(
            self._deps.engine, self.messenger.capabilities.name, utcnow(), self._lease
        )
        for chat_id in claimed.given_up_chats:
            await self._tell_given_up(chat_id, "private" if chat_id > 0 else "group")
        stalled = claimed.stalled
        for item in stalled:
            data = json.loads(self._deps.vault.decrypt(item.body))
            update = update_of(data, application.bot)  # cleaned as when it first came
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


def routers() -> list[Router]:
    """Every flow's router: the citizen's private chat, and the commands and buttons of
    office staff and supervisors. Their order decides nothing (dialogs.dispatch)."""
    return [
        menu.router,
        free_text.router,
        choosing.router,
        routing.router,
        find.router,
        booking.router,
        my_bookings.router,
        tracking.router,
        feedback.router,
        complaint.router,
        supervision.router,
        staff.router,
    ]


def transient(error: object) -> bool:
    """A failure of the Bot API that passes by itself: a 5xx, a timeout, a lost connection,
    a flood past the rate limiter's retries. Not a refusal (400, 403), which a retry would
    only repeat."""
    if isinstance(error, RetryAfter | TimedOut):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def on_error(update: object, context: BotContext) -> None:
    """Logs the failure without personal data and tells the citizen something human; an
    answer the Bot API could not take for now is tried again later instead, from the
    conversation as it was before the update (every step is safe to replay)."""
    update_id = update.update_id if isinstance(update, Update) else None
    turn = current_turn.get(None)
    if turn is not None and transient(context.error):
        wait = context.error.retry_after if isinstance(context.error, RetryAfter) else 0
        turn.try_again_later(wait if isinstance(wait, dt.timedelta) else dt.timedelta(seconds=wait))
        log.warning(
            "update %s not answered for now (%s): tried again later",
            update_id,
            type(context.error).__name__,
        )
        return
    log.error(
        "update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    with contextlib.suppress(LookupError):  # no conversation: the update had no chat
        current_conversation.get().reset()
    if update.effective_chat.type == "private":
        try:
            await context.messenger.say(update.effective_chat.id, texts.ERROR)
        except TelegramError:
            log.warning("could not tell chat about the failure of update %s", update_id)


async def publish_commands(messenger: Messenger) -> None:
    """Sets the command list and the description citizens see; a failure is not fatal."""
    await messenger.publish(texts.COMMANDS, texts.BOT_DESCRIPTION)


def messenger_of_application(application: Application[Any, Any, Any, Any, Any, Any]) -> Messenger:
    """The messenger the application's bot talks to (set up by ``build_application``)."""
    messenger: Messenger = application.bot_data[MESSENGER_KEY]
    return messenger


def messengers_of_application(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> Mapping[str, Messenger]:
    """Every messenger the process serves by name, the application's own among them."""
    messengers: Mapping[str, Messenger] = application.bot_data[MESSENGERS_KEY]
    return messengers


def max_rate(settings: Settings, messenger: str) -> float:
    """Messages a second the bot may send on that messenger (0: no limit)."""
    return settings.bale_max_rate if messenger == "bale" else settings.telegram_max_rate


def build_application(
    deps: Deps,
    *,
    token: str,
    base_url: str,
    messenger: str = "telegram",
    messengers: dict[str, Messenger] | None = None,
    rate_limit: bool = True,
) -> BotApplication:
    """The one place the Application is put together, for one messenger (its profile,
    its own outgoing limit). The Applications of one process share ``messengers``: each
    adds its gateway under its name."""
    profile = profile_for(messenger)
    # The proxy is there for where Telegram is filtered; Bale is reached directly.
    proxy = deps.settings.telegram_proxy if messenger == "telegram" else None
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        # aiohttp instead of PTB's default httpx: less CPU per request (bot.transport).
        .request(AiohttpRequest(connection_pool_size=64, proxy=proxy))
        # Polled updates are cleaned of control and bidi characters as they arrive.
        .get_updates_request(UpdatesRequest(connection_pool_size=1, proxy=proxy))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(ChatOrderedUpdates(deps))
    )
    application: BotApplication = (
        builder.rate_limiter(
            CountingRateLimiter(max_retries=3, overall_max_rate=max_rate(deps.settings, messenger))
        ).build()
        if rate_limit
        else builder.build()
    )
    gateway = TelegramGateway(application.bot, profile)
    messengers = {} if messengers is None else messengers
    messengers[messenger] = gateway
    application.bot_data[DEPS_KEY] = deps
    application.bot_data[MESSENGER_KEY] = gateway
    application.bot_data[MESSENGERS_KEY] = messengers
    processor = application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    processor.attach(application)
    application.add_handler(TypeHandler(Update, Dispatcher(routers())))
    application.add_error_handler(on_error)
    return application
