"""/metrics and /healthz on the bot's HTTP server, over a real SQLite file: the database
figures as Prometheus reads them, the rate-limit counter against the emulator's 429s, and
several worker processes summed without multiplying the database figures."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from jsonschema import Draft202012Validator
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.http_api import OPENAPI, build_http_app
from bot.metrics import CountingRateLimiter
from emulator import BotApiEmulator
from services.booking import book, change_status
from services.outbox import MAX_ATTEMPTS, claim_due, failed
from services.storage.db import create_engine, session_factory
from services.storage.models import BOOKING_STATUSES, OutboxEvent, utcnow
from tests.helpers.booking_data import NOW, RULES, VAULT, new_code, office_with_desks, request
from tests.helpers.booking_data import valid_national_code as code

ROOT = Path(__file__).parents[2]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def server(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[str]:
    runner = web.AppRunner(build_http_app(sessions))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def parse(exposition: str) -> Samples:
    """Every sample by name and labels; a repeated series fails the test."""
    samples: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"{key} reported twice"
            samples[key] = sample.value
    return samples


async def scrape(root: str) -> Samples:
    async with ClientSession() as http, http.get(root + "/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        return parse(await response.text())


def outbox(samples: Samples, channel: str) -> tuple[float, float, float]:
    """Pending, dead letters and lag of one channel."""
    key = (("channel", channel),)
    return (
        samples[("pishkhan_outbox_pending", key)],
        samples[("pishkhan_outbox_dead_letters", key)],
        samples[("pishkhan_outbox_lag_seconds", key)],
    )


async def test_bookings_and_the_outbox_as_prometheus_reads_them(
    server: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    office_id = await office_with_desks(sessions, desks=2)
    first, _ = await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    second, _ = await book(sessions, VAULT, RULES, request(office_id, 2, code(2)), NOW, new_code)
    await change_status(sessions, second.id, "confirmed", NOW, actor_kind="staff")

    samples = await scrape(server)
    assert samples[("pishkhan_database_up", ())] == 1
    bookings = {
        dict(labels)["status"]: value
        for (name, labels), value in samples.items()
        if name == "pishkhan_bookings"
    }
    assert bookings == {s: {"booked": 1, "confirmed": 1}.get(s, 0) for s in BOOKING_STATUSES}
    assert samples[("pishkhan_bookings_created_total", ())] == 2
    async with sessions() as session:
        for_citizens = await session.scalar(
            select(func.count()).where(
                OutboxEvent.channel == "citizen", OutboxEvent.status == "pending"
            )
        )
    assert for_citizens  # reminders and the news of the confirmation
    assert outbox(samples, "citizen")[:2] == (for_citizens, 0)
    assert outbox(samples, "webhook") == (0, 0, 0)  # the office has no endpoint

    # A webhook event due a minute and a half ago and still not delivered: the forwarder lags.
    async with sessions() as session, session.begin():
        late = OutboxEvent(
            event_id="late-1",
            event_type="booking.created",
            channel="webhook",
            booking_id=first.id,
            office_id=office_id,
            payload={"booking_id": first.id},
            next_attempt_at=utcnow() - dt.timedelta(seconds=90),
            attempts=MAX_ATTEMPTS - 1,
        )
        session.add(late)
    pending, dead, lag = outbox(await scrape(server), "webhook")
    assert (pending, dead) == (1, 0)
    assert 90 <= lag < 150

    [claim] = await claim_due(sessions, "webhook", "test", utcnow())
    assert claim.id == late.id
    await failed(sessions, claim, utcnow(), "HTTP 500")  # its last attempt: a dead letter
    samples = await scrape(server)
    assert outbox(samples, "webhook") == (0, 1, 0)

    text = "\n".join(str(key) for key in samples)
    for personal in (first.tracking_code, second.tracking_code, code(1), code(2), "0912"):
        assert personal not in text


async def test_healthz_and_metrics_without_a_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no such dir' / 'pishkhan.db'}")
    runner = web.AppRunner(build_http_app(session_factory(engine)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    root = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with ClientSession() as http, http.get(root + "/healthz") as response:
            assert response.status == 503
            body = await response.json()
        schema = OPENAPI["paths"]["/healthz"]["get"]["responses"]["503"]["content"]
        Draft202012Validator(schema["application/json"]["schema"]).validate(body)
        assert body["error"]["code"] == "database_unavailable"
        samples = await scrape(root)  # the process's own figures are still served
        assert samples[("pishkhan_database_up", ())] == 0
        assert not any(name == "pishkhan_bookings" for name, _ in samples)
    finally:
        await runner.cleanup()
        await engine.dispose()
        # aiosqlite stops the thread of a connection that failed to open with a reply to
        # this event loop: let it land before the loop closes, or the thread dies noisily.
        for _ in range(200):
            if not any("_connection_worker" in t.name for t in threading.enumerate()):
                break
            await asyncio.sleep(0.01)


def waits(kind: str) -> float:
    return REGISTRY.get_sample_value("pishkhan_rate_limit_waits_total", {"kind": kind}) or 0.0


async def test_each_wait_for_telegrams_rate_limit_is_counted() -> None:
    group = -1001112223
    async with BotApiEmulator() as emulator:
        emulator.add_group(group, "کارکنان")
        emulator.flood_limits(per_chat_per_second=1)
        before = waits("retry")
        patient = ExtBot(
            emulator.token,
            base_url=emulator.base_url,
            rate_limiter=CountingRateLimiter(max_retries=2),
        )
        async with patient:
            await patient.send_message(group, "یک")
            await patient.send_message(group, "دو")  # 429, a wait of a second, then sent
        assert waits("retry") == before + 1
        assert [m.data["text"] for m in emulator.messages(group)] == ["یک", "دو"]

        # Without retries the 429 reaches the caller: nothing was waited out here.
        hasty = ExtBot(
            emulator.token,
            base_url=emulator.base_url,
            rate_limiter=CountingRateLimiter(max_retries=0),
        )
        async with hasty:
            with pytest.raises(RetryAfter):
                await hasty.send_message(group, "سه")
        assert waits("retry") == before + 1


WORKER = """
from bot.metrics import UPDATES, UPDATE_SECONDS
UPDATES.labels("message").inc()
UPDATE_SECONDS.labels("message").observe(0.02)
"""
SCRAPE = """
import sys
from bot.metrics import exposition
from services.operations import Figures
sys.stdout.write(exposition(Figures(bookings={"booked": 3}, outbox={})).decode())
"""


def test_worker_processes_are_summed_and_database_figures_are_not(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for script in (WORKER, WORKER):
        subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True)
    done = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, cwd=ROOT, check=True, capture_output=True
    )
    samples = parse(done.stdout.decode())  # each series once, whatever the processes
    assert samples[("pishkhan_updates_total", (("type", "message"),))] == 2
    assert samples[("pishkhan_update_seconds_count", (("type", "message"),))] == 2
    assert samples[("pishkhan_bookings", (("status", "booked"),))] == 3


async def test_a_metrics_token_keeps_other_scrapers_out(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    runner = web.AppRunner(build_http_app(sessions, metrics_token="scrape-me"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/metrics"
    schema = OPENAPI["paths"]["/metrics"]["get"]["responses"]["401"]["content"]
    try:
        async with ClientSession() as http:
            for headers in ({}, {"Authorization": "Bearer scrape-you"}, {"Authorization": "x"}):
                async with http.get(url, headers=headers) as response:
                    assert response.status == 401
                    body = await response.json()
                    Draft202012Validator(schema["application/json"]["schema"]).validate(body)
                    assert "pishkhan" not in await response.text()
            headers = {"Authorization": "Bearer scrape-me"}
            async with http.get(url, headers=headers) as response:
                assert response.status == 200
                samples = parse(await response.text())
            assert samples[("pishkhan_database_up", ())] == 1
            async with http.get(url.replace("/metrics", "/healthz")) as response:
                assert response.status == 200  # health checks need no token
    finally:
        await runner.cleanup()
