"""Start-up and shut-down of what every mode shares: database, services, the Application."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientSession, web
from telegram import Update
from telegram.ext import CallbackContext

from bot.app import BotApplication, build_application, publish_commands
from bot.delivery import WORKER, deliver_to_citizens, deliver_to_staff
from bot.http_api import build_http_app
from dialogs.context import DEPS_KEY, Deps
from dialogs.understanding import build_interpreter
from nlp.tracking import new_tracking_code
from services.catalogue import service_names
from services.clock import tehran_now
from services.conversation import ConversationStore
from services.locator import OfficeDirectory
from services.privacy import Vault, secret_key_for
from services.sample_data import prepare_database
from services.scheduling import BookingRules
from services.settings import Settings
from services.storage.db import create_engine, session_factory
from services.webhooks import deliver_webhooks

log = logging.getLogger(__name__)

HTTP_KEY = "http"  # the aiohttp session webhooks go out through


@asynccontextmanager
async def open_services(settings: Settings, *, with_sample: bool) -> AsyncIterator[Deps]:
    """Migrate (and seed an empty database if asked), then hand out the wired services."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        if await prepare_database(engine, sessions, with_sample=with_sample):
            log.info("empty database: loaded the shipped catalogue and sample offices")
        yield Deps(
            settings=settings,
            sessions=sessions,
            conversations=ConversationStore(engine, sessions),
            interpreter=build_interpreter(await service_names(sessions)),
            directory=await OfficeDirectory(sessions).fresh(tehran_now()),
            vault=Vault(secret_key_for(settings)),
            rules=BookingRules.from_settings(settings),
            new_code=new_tracking_code,
        )
    finally:
        await engine.dispose()


async def _deliver(context: CallbackContext[Any, Any, Any, Any]) -> None:
    deps = context.application.bot_data[DEPS_KEY]
    await deliver_to_citizens(deps, context.bot)
    await deliver_to_staff(deps, context.bot)
    http: ClientSession = context.application.bot_data[HTTP_KEY]
    await deliver_webhooks(deps.sessions, deps.vault, http, WORKER, tehran_now())


@asynccontextmanager
async def polling_bot(
    deps: Deps,
    *,
    token: str,
    base_url: str,
    delivery_interval: float = 5.0,
    **build: bool,
) -> AsyncIterator[BotApplication]:
    """A started Application fetching updates by long polling, with the job that delivers
    reminders and news to citizens; stopped on exit."""
    application = build_application(deps, token=token, base_url=base_url, **build)
    async with application:
        assert application.updater is not None
        # PTB runs post_init only inside run_polling(); this start-up is ours, so call it here.
        await publish_commands(application)
        await application.updater.start_polling(
            poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        assert application.job_queue is not None
        application.bot_data[HTTP_KEY] = http = ClientSession()
        application.job_queue.run_repeating(_deliver, interval=delivery_interval, first=0.5)
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()  # the delivery job stops with it
            await http.close()


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_polling(settings: Settings, *, with_sample: bool) -> None:
    assert settings.bot_token is not None
    async with (
        open_services(settings, with_sample=with_sample) as deps,
        polling_bot(
            deps,
            token=settings.bot_token.get_secret_value(),
            base_url=settings.telegram_base_url,
            delivery_interval=settings.delivery_interval,
        ) as application,
    ):
        http = web.AppRunner(build_http_app(deps.sessions), access_log=None)
        await http.setup()
        await web.TCPSite(http, settings.listen_host, settings.listen_port).start()
        log.info(
            "polling as @%s; counter API on http://%s; stop with Ctrl+C",
            application.bot.username,
            settings.listen,
        )
        try:
            await wait_for_stop_signal()
        finally:
            await http.cleanup()
        log.info("stopping: finishing updates in flight")
