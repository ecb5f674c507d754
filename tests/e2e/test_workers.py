"""Real `pishkhan run --worker` processes in webhook mode: any worker continues any dialog,
and a worker killed with SIGKILL mid-dialog is restarted and the dialog goes on.

The test plays Telegram: it takes the updates citizens make in the emulator (getUpdates)
and POSTs each to a worker's webhook, in turn, retrying until one answers 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientError, ClientSession, ClientTimeout, web
from sqlalchemy import func, select

from bench.standin import TOKEN, BotApiStandIn
from bot.webhook import SECRET_HEADER
from dialogs import texts
from emulator import BotApiEmulator, EmulatorClient
from services.identity import TELEGRAM
from services.privacy import new_secret_key
from services.sample_data import prepare_database
from services.storage.db import create_engine, session_factory
from services.storage.models import Booking, InboundUpdate
from tests.helpers.booking import TEHRAN, book_to_summary
from tests.helpers.cli import pishkhan_executable
from tests.helpers.network import free_port
from tests.helpers.postgres import fresh_postgres_database
from tests.helpers.webhook import start_update

SECRET = "workers-secret"


@dataclass
class Worker:
    port: int
    environment: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self, http: ClientSession) -> None:
        self.process = await asyncio.create_subprocess_exec(
            pishkhan_executable(),
            "run",
            "--worker",
            env={**self.environment, "PISHKHAN_LISTEN": f"127.0.0.1:{self.port}"},
            stderr=self.log.open("ab"),
        )
        for _ in range(300):  # hazm and the office index take a few seconds to load
            with contextlib.suppress(ClientError, OSError):
                async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                    if response.status == 200:
                        return
            assert self.process.returncode is None, self.log.read_text()[-3000:]
            await asyncio.sleep(0.1)
        raise AssertionError("worker did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
        if self.process is not None:
            await self.process.wait()


@dataclass
class Telegram:
    """Delivers the emulator's updates to the workers' webhooks, one at a time, in turn."""

    emulator: BotApiEmulator
    workers: list[Worker]
    http: ClientSession
    delivered_to: dict[int, list[int]] = field(default_factory=dict)  # port → update ids
    _turn: int = 0

    async def _next_updates(self, offset: int) -> list[dict[str, Any]]:
        url = f"{self.emulator.base_url}{self.emulator.token}/getUpdates"
        async with self.http.post(url, json={"offset": offset, "timeout": 1}) as response:
            result: list[dict[str, Any]] = (await response.json())["result"]
            return result

    async def _deliver(self, update: dict[str, Any]) -> None:
        while True:
            worker = self.workers[self._turn % len(self.workers)]
            try:
                async with self.http.post(
                    worker.url,
                    json=update,
                    headers={SECRET_HEADER: SECRET},
                    timeout=ClientTimeout(total=30),
                ) as response:
                    if response.status == 200:
                        self.delivered_to.setdefault(worker.port, []).append(update["update_id"])
                        self._turn += 1
                        return
            except (ClientError, OSError, TimeoutError):
                pass  # that worker is down: Telegram retries (here: the next worker, later)
            self._turn += 1
            await asyncio.sleep(0.2)

    async def run(self) -> None:
        offset = 0
        while True:
            for update in await self._next_updates(offset):
                await self._deliver(update)
                offset = update["update_id"] + 1


@dataclass
class Deployment:
    emulator: BotApiEmulator
    client: EmulatorClient
    workers: list[Worker]
    telegram: Telegram
    http: ClientSession
    database_url: str

    async def bookings(self) -> int:
        engine = create_engine(self.database_url)
        try:
            async with session_factory(engine)() as session:
                return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)
        finally:
            await engine.dispose()


@contextlib.asynccontextmanager
async def deployment(database_url: str, workers: int) -> AsyncIterator[Deployment]:
    """Migrated and seeded database, the emulator, and ``workers`` running processes."""
    engine = create_engine(database_url)
    try:
        await prepare_database(engine, session_factory(engine), with_sample=True)
    finally:
        await engine.dispose()
    async with (
        BotApiEmulator() as emulator,
        EmulatorClient(emulator.root_url, reply_timeout=30) as client,
        ClientSession() as http,
    ):
        environment = {
            **os.environ,
            "PISHKHAN_BOT_TOKEN": emulator.token,
            "PISHKHAN_TELEGRAM_BASE_URL": emulator.base_url,
            "PISHKHAN_DATABASE_URL": database_url,
            "PISHKHAN_SECRET_KEY": new_secret_key(),
            "PISHKHAN_WEBHOOK_SECRET": SECRET,
            "PISHKHAN_DELIVERY_INTERVAL": "0.2",
        }
        pool = []
        for _ in range(workers):
            port = free_port()
            worker = Worker(
                port,
                {**environment, "PISHKHAN_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram"},
                Path(tempfile.mkdtemp()) / "worker.log",
            )
            pool.append(worker)
        await asyncio.gather(*(worker.start(http) for worker in pool))
        telegram = Telegram(emulator, pool, http)
        pump = asyncio.create_task(telegram.run())
        try:
            yield Deployment(emulator, client, pool, telegram, http, database_url)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            await asyncio.gather(*(worker.stop() for worker in pool))


async def test_two_workers_on_postgresql_take_turns_through_a_whole_booking() -> None:
    async with (
        fresh_postgres_database() as url,
        deployment(url, workers=2) as world,
    ):
        citizen = world.client.person(9301, "پریسا")
        await book_to_summary(citizen)
        done = await citizen.presses(texts.BOOK_CONFIRM)
        assert done.messages[0].text.startswith("✅ نوبت شما ثبت شد.")
        assert await world.bookings() == 1
        # Both workers had their share of this one dialog, alternately.
        shares = [len(world.telegram.delivered_to.get(w.port, [])) for w in world.workers]
        assert min(shares) >= 3, shares


async def test_a_worker_killed_mid_dialog_is_restarted_and_the_dialog_goes_on(
    tmp_path: Path,
) -> None:
    async with deployment(f"sqlite+aiosqlite:///{tmp_path / 'pishkhan.db'}", workers=1) as world:
        (worker,) = world.workers
        citizen = world.client.person(9302, "کاوه")
        reply = await citizen.says("نوبت تعویض شناسنامه میخوام")
        assert reply.text == texts.BOOK_WHERE.format(service="تعویض شناسنامه")
        await citizen.shares_location(*TEHRAN)
        days = await citizen.presses(texts.OFFICE_BOOK.format(number="۱"))
        assert days.last.text.startswith("📅 نوبت «تعویض شناسنامه»")

        worker.kill()  # kill -9: no clean-up of any kind
        assert worker.process is not None
        await worker.process.wait()
        # A press while the worker is down waits at "Telegram" until it is back.
        pressed = asyncio.create_task(citizen.presses(days.last.buttons[0][0].label))
        await asyncio.sleep(0.5)
        await worker.start(world.http)

        times = await pressed
        assert times.last.text.startswith("📅 ")
        asked = await citizen.presses(times.last.buttons[0][0].label)
        assert asked.text == texts.BOOK_ASK_NATIONAL_CODE
        await citizen.says("0499370899")
        await citizen.shares_contact("+989121234567")
        done = await citizen.presses(texts.BOOK_CONFIRM)
        assert done.messages[0].text.startswith("✅ نوبت شما ثبت شد.")
        assert await world.bookings() == 1


@pytest.fixture(autouse=True)
def _no_stray_metrics_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers of these tests are single processes: no shared metrics folder."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_a_pool_of_workers_registers_once_serves_restarts_and_stops() -> None:
    """`pishkhan run --workers 2`: the webhook registered with Telegram (the emulator), which
    delivers to either worker; a worker killed is started again; SIGTERM stops them all."""
    async with (
        fresh_postgres_database() as url,
        BotApiEmulator() as emulator,
        EmulatorClient(emulator.root_url, reply_timeout=30) as client,
        ClientSession() as http,
    ):
        port = free_port()
        log = Path(tempfile.mkdtemp()) / "pool.log"
        environment = {
            **os.environ,
            "PISHKHAN_BOT_TOKEN": emulator.token,
            "PISHKHAN_TELEGRAM_BASE_URL": emulator.base_url,
            "PISHKHAN_DATABASE_URL": url,
            "PISHKHAN_SECRET_KEY": new_secret_key(),
            "PISHKHAN_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "PISHKHAN_WEBHOOK_SECRET": SECRET,
            "PISHKHAN_LISTEN": f"127.0.0.1:{port}",
        }
        with log.open("wb") as output:
            pool = await asyncio.create_subprocess_exec(
                pishkhan_executable(), "run", "--workers", "2", env=environment, stderr=output
            )
        try:
            for _ in range(600):
                if len(_children(pool.pid)) == 2 and await _healthy(http, port):
                    break
                assert pool.returncode is None, log.read_text()[-3000:]
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # the second worker's start-up
            info = (await client.calls("setWebhook"))[-1]
            assert info["params"]["url"] == f"http://127.0.0.1:{port}/telegram"

            citizen = client.person(9501, "نیلوفر")
            reply = await citizen.says("/start")
            assert reply.text.startswith("سلام نیلوفر!")

            first, second = _children(pool.pid)
            os.kill(first, signal.SIGKILL)
            for _ in range(600):
                workers = _children(pool.pid)
                if len(workers) == 2 and first not in workers:
                    break
                await asyncio.sleep(0.1)
            assert second in _children(pool.pid) and first not in _children(pool.pid)
            reply = await citizen.says("مدارک لازم برای تمدید گذرنامه")
            assert "گذرنامه" in reply.text

            pool.terminate()
            assert await asyncio.wait_for(pool.wait(), 60) == 0
        finally:
            if pool.returncode is None:
                pool.kill()
                await pool.wait()


async def test_a_pool_serves_telegram_and_bale_each_registered_once() -> None:
    """`pishkhan run --workers 2` with both messengers on webhooks: the parent registers
    each once (Bale's with the secret in the path, nothing else), both are answered."""
    async with (
        fresh_postgres_database() as url,
        BotApiEmulator() as telegram,
        # Update ids apart until the store keys updates by (messenger, id) as well.
        BotApiEmulator(token="987654321:BALE-TOKEN", first_update_id=900_000) as bale,
        EmulatorClient(telegram.root_url, reply_timeout=30) as on_telegram,
        EmulatorClient(bale.root_url, reply_timeout=30) as on_bale,
        ClientSession() as http,
    ):
        port = free_port()
        log = Path(tempfile.mkdtemp()) / "pool.log"
        environment = {
            **os.environ,
            "PISHKHAN_BOT_TOKEN": telegram.token,
            "PISHKHAN_TELEGRAM_BASE_URL": telegram.base_url,
            "PISHKHAN_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "PISHKHAN_WEBHOOK_SECRET": SECRET,
            "PISHKHAN_BALE_TOKEN": bale.token,
            "PISHKHAN_BALE_BASE_URL": bale.base_url,
            "PISHKHAN_BALE_WEBHOOK_URL": f"http://127.0.0.1:{port}/bale",
            "PISHKHAN_DATABASE_URL": url,
            "PISHKHAN_SECRET_KEY": new_secret_key(),
            "PISHKHAN_LISTEN": f"127.0.0.1:{port}",
        }
        with log.open("wb") as output:
            pool = await asyncio.create_subprocess_exec(
                pishkhan_executable(), "run", "--workers", "2", env=environment, stderr=output
            )
        try:
            for _ in range(600):
                if len(_children(pool.pid)) == 2 and await _healthy(http, port):
                    break
                assert pool.returncode is None, log.read_text()[-3000:]
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # the second worker's start-up
            (hooked,) = await on_bale.calls("setWebhook")
            assert set(hooked["params"]) == {"url"}
            assert hooked["params"]["url"].startswith(f"http://127.0.0.1:{port}/bale/")
            assert len(await on_telegram.calls("setWebhook")) == 1

            first, second = await asyncio.gather(
                on_telegram.person(9601, "نیلوفر").says("/start"),
                on_bale.person(9602, "کیان").says("/start"),
            )
            assert first.text.startswith("سلام نیلوفر!") and second.text.startswith("سلام کیان!")
            pool.terminate()
            assert await asyncio.wait_for(pool.wait(), 60) == 0
        finally:
            if pool.returncode is None:
                pool.kill()
                await pool.wait()
        assert bale.token not in log.read_text() and telegram.token not in log.read_text()


async def _healthy(http: ClientSession, port: int) -> bool:
    with contextlib.suppress(ClientError, OSError):
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status == 200
    return False


class SlowBotApi(BotApiStandIn):
    """A Bot API whose sendMessage takes a while: an update is still being handled when
    the worker is told to stop."""

    async def _call(self, request: web.Request) -> web.Response:
        if request.match_info["method"].lower() == "sendmessage":
            await asyncio.sleep(1.5)
        return await super()._call(request)


async def test_sigterm_finishes_the_update_in_flight_before_exiting(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'pishkhan.db'}"
    engine = create_engine(url)
    try:
        await prepare_database(engine, session_factory(engine), with_sample=True)
    finally:
        await engine.dispose()
    api = SlowBotApi()
    await api.start()
    port = free_port()
    log = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "PISHKHAN_BOT_TOKEN": TOKEN,
        "PISHKHAN_TELEGRAM_BASE_URL": api.base_url,
        "PISHKHAN_DATABASE_URL": url,
        "PISHKHAN_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "PISHKHAN_WEBHOOK_SECRET": SECRET,
        "PISHKHAN_TELEGRAM_MAX_RATE": "0",
    }
    worker = Worker(port, environment, log)
    async with ClientSession() as http:
        try:
            await worker.start(http)
            assert worker.process is not None
            update = start_update(1, 9601, "مینا")
            posted = asyncio.create_task(
                http.post(f"{worker.url}", json=update, headers={SECRET_HEADER: SECRET})
            )
            await asyncio.sleep(0.5)  # the handler now waits on sendMessage
            worker.process.terminate()
            response = await posted
            assert response.status == 200  # answered only after it was handled
            response.release()
            assert await asyncio.wait_for(worker.process.wait(), 30) == 0
            greeting = api.chats[9601].messages
            assert greeting and greeting[0]["text"].startswith("سلام مینا!")
        finally:
            await worker.stop()
            await api.stop()
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            row = await session.get(InboundUpdate, (TELEGRAM, 1))
            assert row is not None and row.handled_at is not None
    finally:
        await engine.dispose()
