"""Start-up and shut-down of what every mode shares: database, services, the Application."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web
from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import CallbackContext

from bot.app import (
    BotApplication,
    ChatOrderedUpdates,
    build_application,
    messenger_of_application,
    messengers_of_application,
    publish_commands,
)
from bot.delivery import WORKER, deliver_to_citizens, deliver_to_staff, deliver_to_supervisors
from bot.http_api import build_http_app
from bot.webhook import add_webhook_route, derived_secret, secret_path, webhook_path
from dialogs.context import DEPS_KEY, Deps
from dialogs.messenger import Messenger
from dialogs.understanding import build_interpreter
from nlp.tracking import new_tracking_code
from services import inbound
from services.catalogue import service_names
from services.clock import tehran_now
from services.conversation import ConversationStore
from services.inbound import RetryPolicy
from services.locator import OfficeDirectory
from services.outbox import sole_deliverer
from services.privacy import Vault, secret_key_for
from services.sample_data import prepare_database
from services.scheduling import BookingRules
from services.settings import Settings, SettingsError
from services.storage.db import create_engine, session_factory
from services.storage.models import utcnow
from services.webhooks import deliver_webhooks

log = logging.getLogger(__name__)

HTTP_KEY = "http"  # the aiohttp session webhooks go out through
# Updates Telegram sends us: what the handlers handle, nothing more.
ALLOWED_UPDATES = ["message", "callback_query"]
# Seconds between looks for updates a crash left unfinished or whose next try is due
# (sooner when retries are set to come sooner).
RECOVERY_INTERVAL = 5.0
SHUTDOWN_TIMEOUT = 30.0  # seconds in-flight requests get to finish on stop
# Telegram holds a getUpdates up to this many seconds until an update comes.
TELEGRAM_POLL_TIMEOUT = 10
# Bale may answer at once whatever the timeout: a short one, and a pause between polls
# (PISHKHAN_BALE_POLL_SECONDS) so that polling is not a busy loop.
BALE_POLL_TIMEOUT = 1
NO_MESSENGER = (
    "neither PISHKHAN_BOT_TOKEN (Telegram) nor PISHKHAN_BALE_TOKEN (Bale) is set: nothing to serve"
)


@asynccontextmanager
async def open_services(
    settings: Settings, *, with_sample: bool, prepare: bool = True
) -> AsyncIterator[Deps]:
    """Migrate (and seed an empty database if asked), then hand out the wired services.
    Workers of a pool skip the preparation: their parent did it once."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        if prepare and await prepare_database(engine, sessions, with_sample=with_sample):
            log.info("empty database: loaded the shipped catalogue and sample offices")
        yield Deps(
            settings=settings,
            engine=engine,
            sessions=sessions,
            conversations=ConversationStore(
                engine,
                lock_timeout=settings.chat_lock_timeout,
                retry=RetryPolicy.from_settings(settings),
            ),
            interpreter=build_interpreter(await service_names(sessions)),
            directory=await OfficeDirectory(sessions).fresh(tehran_now()),
            vault=Vault(secret_key_for(settings)),
            rules=BookingRules.from_settings(settings),
            new_code=new_tracking_code,
        )
    finally:
        await engine.dispose()


async def _deliver(context: CallbackContext[Any, Any, Any, Any]) -> None:
    deps: Deps = context.application.bot_data[DEPS_KEY]
    async with sole_deliverer(deps.engine) as mine:
        if not mine:  # another worker is draining the outbox right now
            return
        # Each event goes out on its chat's messenger, whichever Application runs this.
        messengers = messengers_of_application(context.application)
        await deliver_to_citizens(deps, messengers)
        await deliver_to_staff(deps, messengers)
        await deliver_to_supervisors(deps, messengers)
        http: ClientSession = context.application.bot_data[HTTP_KEY]
        await deliver_webhooks(
            deps.sessions, deps.vault, http, WORKER, tehran_now(), deps.settings.outbox_lease
        )


async def _recover(context: CallbackContext[Any, Any, Any, Any]) -> None:
    processor = context.application.update_processor
    assert isinstance(processor, ChatOrderedUpdates)
    await processor.recover()


async def _forget(context: CallbackContext[Any, Any, Any, Any]) -> None:
    deps: Deps = context.application.bot_data[DEPS_KEY]
    await inbound.forget_before(deps.engine, utcnow())


@asynccontextmanager
async def _background_work(
    application: BotApplication, delivery_interval: float, *, deliver: bool = True
) -> AsyncIterator[None]:
    """The jobs every worker runs: recovery of updates a crash cut short (each Application
    its own), and, in one Application of the process (``deliver``), outbox delivery on
    every messenger and forgetting old update ids."""
    assert application.job_queue is not None
    jobs = application.job_queue
    http: ClientSession | None = None
    if deliver:
        application.bot_data[HTTP_KEY] = http = ClientSession()
        jobs.run_repeating(_deliver, interval=delivery_interval, first=0.5)
        jobs.run_repeating(_forget, interval=dt.timedelta(hours=1), first=60)
    deps: Deps = application.bot_data[DEPS_KEY]
    recovery = min(RECOVERY_INTERVAL, deps.settings.update_retry_seconds)
    jobs.run_repeating(_recover, interval=recovery, first=min(1.0, recovery))
    try:
        yield
    finally:
        await application.stop()  # waits for a delivery pass in progress
        if http is not None:
            await http.close()


def _polling(messenger: str, settings: Settings) -> dict[str, Any]:
    """start_polling's arguments for the messenger: Telegram long-polls; Bale's getUpdates
    takes offset and limit only, so no allowed_updates, a short timeout and a pause."""
    if messenger == "bale":
        return {"poll_interval": settings.bale_poll_seconds, "timeout": BALE_POLL_TIMEOUT}
    return {
        "poll_interval": 0.0,
        "timeout": TELEGRAM_POLL_TIMEOUT,
        "allowed_updates": ALLOWED_UPDATES,
    }


@asynccontextmanager
async def polling_bot(
    deps: Deps,
    *,
    token: str,
    base_url: str,
    messenger: str = "telegram",
    messengers: dict[str, Messenger] | None = None,
    delivery_interval: float = 5.0,
    deliver: bool = True,
    **build: bool,
) -> AsyncIterator[BotApplication]:
    """A started Application fetching updates from ``messenger`` by polling, with its
    background jobs (the outbox delivery only if ``deliver``); stopped on exit."""
    application = build_application(
        deps, token=token, base_url=base_url, messenger=messenger, messengers=messengers, **build
    )
    async with application:
        assert application.updater is not None
        # PTB runs post_init only inside run_polling(); this start-up is ours, so call it here.
        await publish_commands(messenger_of_application(application))
        await _drop_webhook(application.bot, messenger)
        await application.updater.start_polling(**_polling(messenger, deps.settings))
        await application.start()
        try:
            async with _background_work(application, delivery_interval, deliver=deliver):
                try:
                    yield application
                finally:
                    await application.updater.stop()
        finally:
            if application.running:
                await application.stop()


async def _drop_webhook(bot: Bot, messenger: str) -> None:
    """Polling and a webhook exclude each other. Bale's deleteWebhook is not documented
    everywhere: there a failure is logged, not fatal."""
    if messenger == "telegram":
        await bot.delete_webhook()
        return
    try:
        await bot.delete_webhook()
    except TelegramError as exc:
        log.info("%s: webhook not deleted before polling: %s", messenger, exc)


@dataclass(frozen=True)
class WebhookTarget:
    """Where a messenger sends updates: ``url`` as the operator set it, and the secret,
    in a header (Telegram) or ``secret_in_path`` as the URL's last segment (Bale)."""

    url: str
    secret: str
    secret_in_path: bool = False

    @property
    def registered_url(self) -> str:
        """The URL given to setWebhook (it holds the secret when it is in the path)."""
        return secret_path(self.url, self.secret) if self.secret_in_path else self.url

    @property
    def path(self) -> str:
        """The path of the route (add_webhook_route appends the secret's segment)."""
        return webhook_path(self.url)

    @classmethod
    def from_settings(cls, settings: Settings, messenger: str = "telegram") -> WebhookTarget | None:
        if messenger == "bale":
            url, token, secret = (
                settings.bale_webhook_url,
                settings.bale_token,
                settings.bale_webhook_secret,
            )
        else:
            url, token, secret = settings.webhook_url, settings.bot_token, settings.webhook_secret
        if url is None:
            return None
        assert token is not None  # the settings refuse a webhook URL without its token
        return cls(
            url,
            secret.get_secret_value() if secret else derived_secret(token.get_secret_value()),
            secret_in_path=messenger == "bale",
        )


@asynccontextmanager
async def webhook_bot(
    deps: Deps,
    *,
    token: str,
    base_url: str,
    target: WebhookTarget,
    messenger: str = "telegram",
    messengers: dict[str, Messenger] | None = None,
    register: bool = True,
    delivery_interval: float = 5.0,
    deliver: bool = True,
    **build: bool,
) -> AsyncIterator[BotApplication]:
    """A started Application that is handed ``messenger``'s updates by the webhook route,
    with its background jobs (the outbox delivery only if ``deliver``); ``register`` tells
    the messenger where to send them (once per deployment is enough: workers of a pool
    leave it to their parent)."""
    application = build_application(
        deps, token=token, base_url=base_url, messenger=messenger, messengers=messengers, **build
    )
    async with application:
        if register:
            await publish_commands(messenger_of_application(application))
            await register_webhook(application.bot, target, deps.settings, messenger)
        await application.start()
        try:
            async with _background_work(application, delivery_interval, deliver=deliver):
                yield application
        finally:
            if application.running:
                await application.stop()


async def register_webhook(
    bot: Bot, target: WebhookTarget, settings: Settings, messenger: str = "telegram"
) -> None:
    if target.secret_in_path:  # Bale's setWebhook takes the URL only
        await bot.set_webhook(target.registered_url)
    else:
        await bot.set_webhook(
            target.url,
            secret_token=target.secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=settings.webhook_max_connections,
        )
    # The URL as the operator set it: the registered one may hold the secret.
    log.info("%s sends updates to %s", messenger, target.url)


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@dataclass(frozen=True)
class Served:
    """One messenger this deployment serves, by polling or (``target``) its webhook."""

    messenger: str
    token: str
    base_url: str
    target: WebhookTarget | None

    @property
    def mode(self) -> str:
        return "polling" if self.target is None else "webhook"


def served(settings: Settings) -> list[Served]:
    """Every messenger whose token is set, Telegram first."""
    found = []
    for messenger, token, base_url in (
        ("telegram", settings.bot_token, settings.telegram_base_url),
        ("bale", settings.bale_token, settings.bale_base_url),
    ):
        if token is not None:
            target = WebhookTarget.from_settings(settings, messenger)
            found.append(Served(messenger, token.get_secret_value(), base_url, target))
    return found


def running_bot(
    deps: Deps,
    bot: Served,
    messengers: dict[str, Messenger],
    *,
    deliver: bool,
    register: bool,
) -> AbstractAsyncContextManager[BotApplication]:
    shared: dict[str, Any] = {
        "token": bot.token,
        "base_url": bot.base_url,
        "messenger": bot.messenger,
        "messengers": messengers,
        "delivery_interval": deps.settings.delivery_interval,
        "deliver": deliver,
    }
    if bot.target is None:
        return polling_bot(deps, **shared)
    return webhook_bot(deps, target=bot.target, register=register, **shared)


async def serve(settings: Settings, *, with_sample: bool, worker: bool = False) -> None:
    """``pishkhan run``: one process serving every messenger with a token (Telegram, Bale;
    each by webhook when its URL is set, else by polling), the counter API and the
    background jobs, until SIGTERM or Ctrl+C; then it stops taking requests, finishes
    those in flight and the delivery pass, and exits."""
    bots = served(settings)
    if not bots:
        raise SettingsError(NO_MESSENGER)
    async with (
        open_services(settings, with_sample=with_sample, prepare=not worker) as deps,
        AsyncExitStack() as stack,
    ):
        messengers: dict[str, Messenger] = {}
        running: list[tuple[Served, BotApplication]] = []
        for index, bot in enumerate(bots):
            # The last one started is the first stopped: it delivers the outbox, and a
            # delivery pass in progress may still send through the others.
            application = await stack.enter_async_context(
                running_bot(
                    deps, bot, messengers, deliver=index == len(bots) - 1, register=not worker
                )
            )
            running.append((bot, application))
        scrape = settings.metrics_token
        http = build_http_app(
            deps.sessions, metrics_token=scrape.get_secret_value() if scrape else ""
        )
        for bot, application in running:
            if bot.target is not None:
                add_webhook_route(
                    http,
                    application,
                    bot.target.path,
                    bot.target.secret,
                    secret_in_path=bot.target.secret_in_path,
                )
        runner = web.AppRunner(http, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        await web.TCPSite(
            runner, settings.listen_host, settings.listen_port, reuse_port=worker
        ).start()
        for bot, application in running:
            log.info("%s: %s as @%s", bot.messenger, bot.mode, application.bot.username)
        log.info("serving on http://%s; stop with Ctrl+C", settings.listen)
        try:
            await wait_for_stop_signal()
        finally:
            log.info("stopping: finishing updates in flight")
            await runner.cleanup()  # no new requests; waits for those being handled
