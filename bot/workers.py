"""``pishkhan run --workers N``: one parent, N worker processes on one port.

The parent prepares the database and registers the webhook once, then starts N copies of
``pishkhan run --worker``. Each binds the same address with SO_REUSEPORT, so the kernel
spreads Telegram's connections over them; they share nothing but PostgreSQL (dialog state,
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
from bot.gateway import TelegramGateway
from bot.runtime import WebhookTarget, register_webhook
from bot.transport import AiohttpRequest
from services.sample_data import prepare_database
from services.settings import Settings
from services.storage.db import create_engine, session_factory

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0  # seconds before a worker that died is started again
STOP_TIMEOUT = 40.0  # seconds workers get to finish in-flight work before being killed

WORKERS_NEED_WEBHOOK = (
    "--workers needs webhook mode (PISHKHAN_WEBHOOK_URL): Telegram hands long-polled "
    "updates to one process only."
)
WORKERS_NEED_POSTGRES = (
    "--workers needs PostgreSQL (PISHKHAN_DATABASE_URL=postgresql://…): the workers share "
    "dialog state and locks through it; a SQLite file serves one process."
)


def pool_problem(settings: Settings, workers: int) -> str | None:
    """Why this deployment cannot run ``workers`` processes, or None."""
    if workers <= 1:
        return None
    if settings.webhook_url is None:
        return WORKERS_NEED_WEBHOOK
    if not settings.database_url.startswith("postgresql"):
        return WORKERS_NEED_POSTGRES
    return None


async def _prepare(settings: Settings, *, with_sample: bool) -> None:
    """Migrate and seed once, register the webhook once. Nothing more: the parent stays
    small (no Persian models, no office index), the workers carry the load."""
    target = WebhookTarget.from_settings(settings)
    assert target is not None and settings.bot_token is not None
    engine = create_engine(settings.database_url)
    try:
        await prepare_database(engine, session_factory(engine), with_sample=with_sample)
    finally:
        await engine.dispose()
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        request=AiohttpRequest(proxy=settings.telegram_proxy),
    )
    async with bot:
        await publish_commands(TelegramGateway(bot))
        await register_webhook(bot, target, settings)


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
        # Telegram's limit is the bot's, not each process's: the workers share it.
        "PISHKHAN_TELEGRAM_MAX_RATE": str(settings.telegram_max_rate / workers),
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
