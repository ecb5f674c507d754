"""Telegram and Bale served by one process: an Application per messenger, each polling its
own emulator (Bale's in its profile), one outbox delivery for both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import BotApplication
from bot.runtime import open_services, polling_bot
from dialogs.messenger import Messenger
from emulator import BotApiEmulator, EmulatorClient
from services.settings import Settings, load_settings
from tests.helpers.world import World


@dataclass
class Both:
    telegram: World
    bale: World
    on_telegram: BotApplication
    on_bale: BotApplication
    messengers: dict[str, Messenger]


@asynccontextmanager
async def both_messengers(settings: Settings) -> AsyncIterator[Both]:
    """Both messengers on ``settings``' database; the Bale Application delivers the outbox.
    The emulators number their updates from the same start: the store tells them apart."""
    on_bale = load_settings(database_url=settings.database_url, bale_poll_seconds=0.05)
    messengers: dict[str, Messenger] = {}
    async with (
        open_services(on_bale, with_sample=False) as deps,
        BotApiEmulator() as telegram,
        BotApiEmulator(messenger="bale") as bale,
        polling_bot(
            deps,
            token=telegram.token,
            base_url=telegram.base_url,
            messengers=messengers,
            deliver=False,
            rate_limit=False,
        ) as on_telegram,
        polling_bot(
            deps,
            token=bale.token,
            base_url=bale.base_url,
            messenger="bale",
            messengers=messengers,
            rate_limit=False,
            delivery_interval=0.2,
        ) as on_bale_app,
        EmulatorClient(telegram.root_url) as telegram_client,
        EmulatorClient(bale.root_url) as bale_client,
    ):
        yield Both(
            World(telegram, telegram_client, deps, on_bale),
            World(bale, bale_client, deps, on_bale),
            on_telegram,
            on_bale_app,
            messengers,
        )
        assert bale.unsupported_calls == []  # nothing asked of Bale that it lacks
