"""Start-up and shut-down of what every mode shares: database, services, the Application."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web
from telegram import Bot
from telegram.ext import CallbackContext

from bot.app import (
    BotApplication,
    ChatOrderedUpdates,
    build_application,
    messenger_of_application,
    publish_commands,
)
from bot.delivery import WORKER, deliver_to_citizens, deliver_to_staff, deliver_to_supervisors
from bot.http_api import build_http_app
from bot.webhook import add_webhook_route, derived_secret, webhook_path
from dialogs.context import DEPS_KEY, Deps
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
from services.settings import Settings
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
        messenger = messenger_of_application(context.application)
        await deliver_to_citizens(deps, messenger)
        await deliver_to_staff(deps, messenger)
        await deliver_to_supervisors(deps, messenger)
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
    application: BotApplication, delivery_interval: float
) -> AsyncIterator[None]:
    """The jobs every worker runs: outbox delivery, recovery of updates a crash cut short,
    and forgetting old update ids."""
    assert application.job_queue is not None
    application.bot_data[HTTP_KEY] = http = ClientSession()
    jobs = application.job_queue
    jobs.run_repeating(_deliver, interval=delivery_interval, first=0.5)
    deps: Deps = application.bot_data[DEPS_KEY]
    recovery = min(RECOVERY_INTERVAL, deps.settings.update_retry_seconds)
    jobs.run_repeating(_recover, interval=recovery, first=min(1.0, recovery))
    jobs.run_repeating(_forget, interval=dt.timedelta(hours=1), first=60)
    try:
        yield
    finally:
        await application.stop()  # waits for a delivery pass in progress
        await http.close()


@asynccontextmanager
async def polling_bot(
    deps: Deps,
    *,
    token: str,
    base_url: str,
    delivery_interval: float = 5.0,
    messenger: str = "telegram",
    **build: bool,
) -> AsyncIterator[BotApplication]:
    """A started Application fetching updates by long polling, with its background jobs;
    stopped on exit."""
    application = build_application(
        deps, token=token, base_url=base_url, messenger=messenger, **build
    )
    async with application:
        assert application.updater is not None
        # PTB runs post_init only inside run_polling(); this start-up is ours, so call it here.
        await publish_commands(messenger_of_application(application))
        await application.bot.delete_webhook()  # polling and a webhook exclude each other
        await application.updater.start_polling(
            poll_interval=0.0, timeout=10, allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        try:
            async with _background_work(application, delivery_interval):
                try:
                    yield application
                finally:
                    await application.updater.stop()
        finally:
            if application.running:
                await application.stop()


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookTarget | None:
        if settings.webhook_url is None:
            return None
        assert settings.bot_token is not None
        secret = (
            settings.webhook_secret.get_secret_value()
            if settings.webhook_secret
            else derived_secret(settings.bot_token.get_secret_value())
        )
        return cls(settings.webhook_url, secret)


@asynccontextmanager
async def webhook_bot(
    deps: Deps,
    *,
    token: str,
    base_url: str,
    target: WebhookTarget,
    register: bool = True,
    delivery_interval: float = 5.0,
    messenger: str = "telegram",
    **build: bool,
) -> AsyncIterator[BotApplication]:
    """A started Application that is handed updates by the webhook route, with its
    background jobs; ``register`` tells Telegram where to send them (once per deployment
    is enough: workers of a pool leave it to their parent)."""
    application = build_application(
        deps, token=token, base_url=base_url, messenger=messenger, **build
    )
    async with application:
        if register:
            await publish_commands(messenger_of_application(application))
            await register_webhook(application.bot, target, deps.settings)
        await application.start()
        try:
            async with _background_work(application, delivery_interval):
                yield application
        finally:
            if application.running:
                await application.stop()


async def register_webhook(bot: Bot, target: WebhookTarget, settings: Settings) -> None:
    await bot.set_webhook(
        target.url,
        secret_token=target.secret,
        allowed_updates=ALLOWED_UPDATES,
        max_connections=settings.webhook_max_connections,
    )
    log.info("Telegram sends updates to %s", target.url)


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve(settings: Settings, *, with_sample: bool, worker: bool = False) -> None:
    """``pishkhan run``: one process serving Telegram (webhook when a URL is set, else long
    polling), the counter API and the background jobs, until SIGTERM or Ctrl+C; then it
    stops taking requests, finishes those in flight and the delivery pass, and exits."""
    assert settings.bot_token is not None
    token = settings.bot_token.get_secret_value()
    target = WebhookTarget.from_settings(settings)
    async with open_services(settings, with_sample=with_sample, prepare=not worker) as deps:
        base_url, interval = settings.telegram_base_url, settings.delivery_interval
        bot_running: AbstractAsyncContextManager[BotApplication] = (
            polling_bot(deps, token=token, base_url=base_url, delivery_interval=interval)
            if target is None
            else webhook_bot(
                deps,
                token=token,
                base_url=base_url,
                target=target,
                register=not worker,
                delivery_interval=interval,
            )
        )
        async with bot_running as application:
            scrape = settings.metrics_token
            http = build_http_app(
                deps.sessions, metrics_token=scrape.get_secret_value() if scrape else ""
            )
            if target is not None:
                add_webhook_route(http, application, webhook_path(target.url), target.secret)
            runner = web.AppRunner(http, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
            await runner.setup()
            await web.TCPSite(
                runner, settings.listen_host, settings.listen_port, reuse_port=worker
            ).start()
            log.info(
                "%s as @%s on http://%s; stop with Ctrl+C",
                "polling" if target is None else "webhook",
                application.bot.username,
                settings.listen,
            )
            try:
                await wait_for_stop_signal()
            finally:
                log.info("stopping: finishing updates in flight")
                await runner.cleanup()  # no new requests; waits for those being handled
