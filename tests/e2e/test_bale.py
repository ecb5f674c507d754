"""Bale beside Telegram, or alone: the real Applications against the emulator, polled the
way Bale is (no allowed_updates, a short timeout, a pause), or pushed to a webhook whose
secret is in the path since Bale sends no secret header.

The Bale emulator speaks Bale's profile as its SDKs describe it (emulator.profiles): what
these tests check is what our side does (which calls, which parameters, which route), not
what real Bale answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import func, select

from bot.app import BotApplication, messengers_of_application
from bot.http_api import build_http_app
from bot.runtime import BALE_POLL_TIMEOUT, WebhookTarget, open_services, polling_bot, webhook_bot
from bot.webhook import SECRET_HEADER, add_webhook_route
from emulator import BotApiEmulator, EmulatorClient
from services.settings import Settings, load_settings
from services.storage.models import InboundUpdate
from tests.helpers.messengers import both_messengers
from tests.helpers.network import free_port
from tests.helpers.webhook import start_update
from tests.helpers.world import World

BALE_TOKEN = "987654321:BALE-TEST-TOKEN"
SECRET = "bale-path-secret_7"


@pytest.fixture
def bale_settings(settings: Settings) -> Settings:
    return load_settings(database_url=settings.database_url, bale_poll_seconds=0.05)


async def _count(world: World) -> int:
    async with world.deps.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboundUpdate)) or 0)


def _jobs(application: BotApplication) -> list[str]:
    assert application.job_queue is not None
    return sorted(job.name or "" for job in application.job_queue.jobs())


async def test_bale_alone_is_polled_without_allowed_updates_and_commands_are_skipped(
    bale_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with (
        open_services(bale_settings, with_sample=False) as deps,
        BotApiEmulator(token=BALE_TOKEN, messenger="bale") as emulator,
        polling_bot(
            deps,
            token=emulator.token,
            base_url=emulator.base_url,
            messenger="bale",
            rate_limit=False,
            delivery_interval=0.2,
        ) as application,
        EmulatorClient(emulator.root_url) as client,
    ):
        reply = await client.person(7101, "آرش").says("/start")
        assert reply.text.startswith("سلام آرش!")
        assert messengers_of_application(application)["bale"].capabilities.name == "bale"
        polls = [c for c in emulator.calls if c.method == "getUpdates"]
    assert polls and all("allowed_updates" not in c.params for c in polls)
    assert all(str(c.params.get("timeout")) == str(BALE_POLL_TIMEOUT) for c in polls)
    assert not [c for c in emulator.calls if c.method.lower().startswith("setmy")]
    skipped = [r for r in caplog.records if "no command list" in r.getMessage()]
    assert len(skipped) == 1 and "bale" in skipped[0].getMessage()
    assert BALE_TOKEN not in caplog.text


async def test_telegram_and_bale_in_one_process_each_answers_its_own_citizens(
    settings: Settings,
) -> None:
    async with both_messengers(settings) as both:
        # Two people who happen to have the same id, each on their messenger.
        on_t, on_b = await asyncio.gather(
            both.telegram.client.person(7201, "مینا").says("/start"),
            both.bale.client.person(7201, "کیان").says("/start"),
        )
        assert on_t.text.startswith("سلام مینا!") and on_b.text.startswith("سلام کیان!")
        # One mapping for the whole process, for the outbox to reach either messenger.
        on_telegram, on_bale = both.on_telegram, both.on_bale
        assert messengers_of_application(on_telegram) is messengers_of_application(on_bale)
        assert sorted(both.messengers) == ["bale", "telegram"]
        # The outbox is delivered (and old update ids forgotten) once per process.
        assert _jobs(on_telegram) == ["_recover"]
        assert _jobs(on_bale) == ["_deliver", "_forget", "_recover"]
    assert "setMyCommands" in [c.method for c in both.telegram.emulator.calls]
    assert "setMyCommands" not in [c.method for c in both.bale.emulator.calls]


@dataclass
class BaleHooked(World):
    application: BotApplication
    url: str


@pytest.fixture
async def bale_hooked(bale_settings: Settings) -> AsyncIterator[BaleHooked]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/bale/updates"
    target = WebhookTarget(url, SECRET, secret_in_path=True)
    async with (
        open_services(bale_settings, with_sample=False) as deps,
        BotApiEmulator(token=BALE_TOKEN, messenger="bale") as emulator,
        webhook_bot(
            deps,
            token=emulator.token,
            base_url=emulator.base_url,
            target=target,
            messenger="bale",
            rate_limit=False,
            delivery_interval=0.2,
        ) as application,
        EmulatorClient(emulator.root_url) as client,
    ):
        http = build_http_app(deps.sessions)
        add_webhook_route(http, application, target.path, SECRET, secret_in_path=True)
        runner = web.AppRunner(http, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield BaleHooked(emulator, client, deps, bale_settings, application, url)
        finally:
            await runner.cleanup()


async def test_bales_webhook_carries_its_secret_in_the_path_not_a_header(
    bale_hooked: BaleHooked,
) -> None:
    (registered,) = [c for c in bale_hooked.emulator.calls if c.method == "setWebhook"]
    assert registered.params == {"url": f"{bale_hooked.url}/{SECRET}"}  # the URL only

    reply = await bale_hooked.client.person(7301, "سارا").says("/start")
    assert reply.text.startswith("سلام سارا!")
    deliveries = bale_hooked.emulator.webhook_deliveries
    assert deliveries and all(d["status"] == 200 for d in deliveries)
    stored = await _count(bale_hooked)
    assert stored == len(deliveries)

    shown = len(bale_hooked.emulator.messages(7301))
    update = start_update(777301, 7301, "سارا")  # as if Bale pushed it
    async with ClientSession() as http:
        for path in ("", "/guess", f"/{SECRET}x", f"/{SECRET}/more"):
            # The Telegram header is no way in either.
            headers = {SECRET_HEADER: SECRET}
            async with http.post(bale_hooked.url + path, json=update, headers=headers) as answer:
                assert answer.status == 404, path
        assert await _count(bale_hooked) == stored  # nothing stored
        assert len(bale_hooked.emulator.messages(7301)) == shown  # nothing said

        async with http.post(f"{bale_hooked.url}/{SECRET}", json=update) as answer:
            assert answer.status == 200
    assert await _count(bale_hooked) == stored + 1
    assert len(bale_hooked.emulator.messages(7301)) > shown  # the citizen was answered
