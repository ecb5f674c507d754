"""``pishkhan run --workers N``: one parent, N worker processes on one port.

The parent prepares the database and registers the webhook of each messenger (Telegram,
Bale) once, then starts N copies of ``pishkhan run --worker``, each serving every
messenger. Each binds the same address with SO_REUSEPORT, so the kernel spreads the
messengers' connections over them; they share nothing but PostgreSQL (dialog state,
per-chat locks, stored updates, the outbox). A worker that dies is started again; SIGTERM
or Ctrl+C stops them all, each finishing what it has in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile

from telegram import Bot

from bot.app import publish_commands
from bot.gateway import TelegramGateway, profile_for
from bot.runtime import register_webhook, served
from bot.transport import AiohttpRequest
from services.sample_data import prepare_database
from services.settings import Settings
from services.storage.db import create_engine, session_factory

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0  # seconds before a worker that died is started again
STOP_TIMEOUT = 40.0  # seconds workers get to finish in-flight work before being killed

WORKERS_NEED_WEBHOOK = (
    "--workers needs webhook mode for every messenger served (PISHKHAN_WEBHOOK_URL for "
    "Telegram, PISHKHAN_BALE_WEBHOOK_URL for Bale): polled updates go to one process only."
)
WORKERS_NEED_POSTGRES = (
    "--workers needs PostgreSQL (PISHKHAN_DATABASE_URL=postgresql://…): the workers share "
    "dialog state and locks through it; a SQLite file serves one process."
)


def pool_problem(settings: Settings, workers: int) -> str | None:
    """Why this deployment cannot run ``workers`` processes, or None."""
    if workers <= 1:
        return None
    if any(bot.target is None for bot in served(settings)):
        return WORKERS_NEED_WEBHOOK
    if not settings.database_url.startswith("postgresql"):
        return WORKERS_NEED_POSTGRES
    return None


async def _prepare(settings: Settings, *, with_sample: bool) -> None:
    """Migrate and seed once, register each messenger's webhook once. Nothing more: the
    parent stays small (no Persian models, no office index), the workers carry the load."""
    engine = create_engine(settings.database_url)
    try:
        await prepare_database(engine, session_factory(engine), with_sample=with_sample)
    finally:
        await engine.dispose()
    for served_bot in served(settings):
        assert served_bot.target is not None  # pool_problem refused polling
        proxy = settings.telegram_proxy if served_bot.messenger == "telegram" else None
        bot = Bot(
            served_bot.token, base_url=served_bot.base_url, request=AiohttpRequest(proxy=proxy)
        )
        async with bot:
            await publish_commands(TelegramGateway(bot, profile_for(served_bot.messenger)))
            await register_webhook(bot, served_bot.target, settings, served_bot.messenger)


async def _start_worker(environment: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--worker", env=environment
    )


async def run_pool(settings: Settings, workers: int, *, with_sample: bool) -> None:
    await _prepare(settings, with_sample=with_sample)
    metrics_dir = tempfile.mkdtemp(prefix="pishkhan-metrics-")
    # prometheus_client's multiprocess mode: each worker writes its figures into this
    # folder and /metrics, whichever worker answers, adds them up.
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        # A messenger's limit is the bot's, not each process's: the workers share it.
        "PISHKHAN_TELEGRAM_MAX_RATE": str(settings.telegram_max_rate / workers),
        "PISHKHAN_BALE_MAX_RATE": str(settings.bale_max_rate / workers),
    }
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    processes = [await _start_worker(environment) for _ in range(workers)]
    log.info("%d workers on http://%s", workers, settings.listen)
    try:
        while not stop.is_set():
            await asyncio.wait(
                [asyncio.ensure_future(stop.wait())]
                + [asyncio.ensure_future(p.wait()) for p in processes],
                return_when=asyncio.FIRST_COMPLETED,
            )
            for index, process in enumerate(processes):
                if process.returncode is not None and not stop.is_set():
                    log.warning(
                        "worker %d (pid %d) exited with %d; starting it again",
                        index,
                        process.pid,
                        process.returncode,
                    )
                    await asyncio.sleep(RESTART_DELAY)
                    processes[index] = await _start_worker(environment)
    finally:
        log.info("stopping %d workers", len(processes))
        for process in processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(p.wait() for p in processes)), timeout=STOP_TIMEOUT
            )
        except TimeoutError:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        shutil.rmtree(metrics_dir, ignore_errors=True)
