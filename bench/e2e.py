"""The whole bot under load, through its webhook, against a local Bot API stand-in.

Simulated citizens each run a realistic session — /start, a free-text question about
documents, a booking asked for in free text, a shared location, an office's documents, a
day, a time, national code, contact, confirm, /track — as Telegram would deliver it: POSTs
to the bot's webhook endpoint, the bot's replies going over HTTP to the stand-in
(bench/standin.py). The bot runs as real `pishkhan run` processes. Printed per setup:
updates/s, latency p50/p99 (from the POST until the update is answered), the peak
memory of the bot's processes and the CPU time they spent per update (what the throughput
comes down to on a machine whose cores are all busy).

In the same run a bare python-telegram-bot echo bot (PTB's own webhook server and its
default HTTPX transport, bench/echo_bot.py) answers the same number of text updates from
the same number of concurrent citizens on the same stand-in: the yardstick. So does the
bot's own webhook path with an echo for all its dialogs (bench/durable_echo.py, on SQLite):
what storing each update before handling it costs, before any dialog runs.

    python -m bench.e2e [--citizens 16] [--sessions 120] [--setups sqlite-1,postgres-2]

PostgreSQL setups need PISHKHAN_TEST_POSTGRES_URL (bash scripts/test-postgres.sh prints one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import ClientError, ClientSession, ClientTimeout

from bench.standin import TOKEN, BotApiStandIn, JSONDict
from dialogs import texts
from nlp.extract import check_digit
from services.privacy import new_secret_key
from services.sample_data import prepare_database
from services.storage.db import create_engine, session_factory

SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The console script of the environment running the bench, as the tests find it.
PISHKHAN = str(Path(sys.executable).with_name("pishkhan"))
CITIES = [  # where the simulated citizens are: big cities with sample offices
    (35.700, 51.410),
    (36.300, 59.600),
    (32.650, 51.670),
    (29.610, 52.530),
    (38.080, 46.290),
    (35.830, 50.990),
    (31.320, 48.670),
    (34.640, 50.880),
    (34.310, 47.070),
    (37.280, 49.580),
]
# SQLite serves one process (`run --workers` needs PostgreSQL, where the workers' shared
# locks live), so there is no sqlite-2.
ALL_SETUPS = ("sqlite-1", "postgres-1", "postgres-2")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Run:
    """What one setup measured."""

    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_step: dict[str, list[float]] = field(default_factory=dict)
    bookings: int = 0
    sessions: int = 0
    peak_rss_mib: float = 0.0
    cpu_seconds: float = 0.0  # of the bot's processes, during the measured sessions

    def line(self, name: str) -> str:
        ms = [1000 * v for v in self.latencies]
        rate = self.updates / self.seconds
        return (
            f"{name:<14} {rate:8.0f} upd/s   p50 {percentile(ms, 0.5):6.1f} ms"
            f"   p99 {percentile(ms, 0.99):6.1f} ms   peak RSS {self.peak_rss_mib:6.0f} MiB"
            f"   CPU {1000 * self.cpu_seconds / self.updates:4.2f} ms/update"
            f"   ({self.updates} updates, {self.sessions} sessions, {self.bookings} booked)"
        )


class Telegram:
    """Plays Telegram's part: numbers updates and POSTs them to the webhook."""

    def __init__(self, http: ClientSession, standin: BotApiStandIn, url: str) -> None:
        self.http = http
        self.standin = standin
        self.url = url
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000_000)

    async def deliver(self, chat_id: int, update: JSONDict, run: Run, step: str = "") -> None:
        """One update, timed until Telegram got its 200 and the bot wrote to the chat."""
        update = {"update_id": next(self._update_ids), **update}
        answered = self.standin.expect(chat_id)
        started = time.perf_counter()
        async with self.http.post(
            self.url,
            data=json.dumps(update, ensure_ascii=False).encode(),
            headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
        ) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"webhook answered {response.status}")
        await asyncio.wait_for(answered, 30)
        run.latencies.append(time.perf_counter() - started)
        run.by_step.setdefault(step, []).append(run.latencies[-1])
        run.updates += 1

    def message(self, user: JSONDict, **content: Any) -> JSONDict:
        return {
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                "from": user,
                **content,
            }
        }

    def text(self, user: JSONDict, text: str) -> JSONDict:
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.message(user, **content)

    def press(self, user: JSONDict, label: str) -> JSONDict | None:
        """The callback query of the newest button labelled so in the user's chat."""
        for message in reversed(self.standin.chats[user["id"]].messages):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        query_id = f"q{next(self._update_ids)}"
                        self.standin.query_of(query_id, user["id"])
                        return {
                            "callback_query": {
                                "id": query_id,
                                "from": user,
                                "message": message,
                                "chat_instance": str(user["id"]),
                                "data": button["callback_data"],
                            }
                        }
        return None

    def first_buttons(self, user: JSONDict) -> list[str]:
        message = self.standin.chats[user["id"]].newest_with_buttons()
        if message is None:
            return []
        return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


def national_code(rng: random.Random) -> str:
    body = f"{rng.randrange(1, 10**9):09d}"
    return body + check_digit(body)


async def citizen_session(telegram: Telegram, user_id: int, rng: random.Random, run: Run) -> None:
    """One citizen's visit; stops early (still counted) if the bot leads elsewhere, e.g. the
    time chosen was taken meanwhile."""
    user = {"id": user_id, "is_bot": False, "first_name": "شهروند", "language_code": "fa"}

    async def send(update: JSONDict, step: str) -> None:
        await telegram.deliver(user_id, update, run, step)

    run.sessions += 1
    await send(telegram.text(user, "/start"), "start")
    await send(telegram.text(user, "مدارک لازم برای تمدید گذرنامه چیه"), "docs question")
    await send(telegram.text(user, "نوبت تعویض شناسنامه میخوام"), "booking asked")
    latitude, longitude = rng.choice(CITIES)
    location = {"latitude": latitude + rng.uniform(-0.02, 0.02), "longitude": longitude}
    await send(telegram.message(user, location=location), "location")
    docs = telegram.press(user, texts.OFFICE_DOCS.format(number="۱"))
    if docs is not None:
        await send(docs, "office documents")
    pressed = telegram.press(user, texts.OFFICE_BOOK.format(number="۱"))
    if pressed is None:
        return
    await send(pressed, "office chosen")
    for step in ("day", "time"):
        choices = [c for c in telegram.first_buttons(user) if any(ch.isdigit() for ch in c)]
        if not choices:
            return
        pressed = telegram.press(user, rng.choice(choices[:6]))
        if pressed is None:
            return
        await send(pressed, step)
    await send(telegram.text(user, national_code(rng)), "national code")
    contact = {"phone_number": f"+98912{rng.randrange(10**7):07d}", "first_name": "شهروند"}
    await send(telegram.message(user, contact={**contact, "user_id": user_id}), "contact")
    confirm = telegram.press(user, texts.BOOK_CONFIRM)
    if confirm is None:
        return
    await send(confirm, "confirm")
    done = next(
        (m["text"] for m in reversed(telegram.standin.chats[user_id].messages)
         if m.get("text", "").startswith("✅")),
        "",
    )  # fmt: skip
    code = next((w for w in done.split() if len(w) == 9 and w[4] == "-"), None)
    if code is None:
        return
    run.bookings += 1
    await send(telegram.text(user, f"/track {code}"), "track")


async def echo_session(telegram: Telegram, user_id: int, rng: random.Random, run: Run) -> None:
    """As many text updates as a citizen session has, to the echo bot."""
    user = {"id": user_id, "is_bot": False, "first_name": "شهروند", "language_code": "fa"}
    run.sessions += 1
    for index in range(12):
        await telegram.deliver(user_id, telegram.text(user, f"سلام {index}"), run, "echo")


Session = Callable[[Telegram, int, random.Random, Run], Awaitable[None]]


async def drive(telegram: Telegram, session: Session, citizens: int, sessions: int) -> Run:
    run = Run()
    queue = iter(range(sessions))
    rng = random.Random(7)
    base = random.Random().randrange(10**6) * 1000 + 1_000_000_000

    async def citizen() -> None:
        for number in queue:
            await session(telegram, base + number, rng, run)

    started = time.perf_counter()
    await asyncio.gather(*(citizen() for _ in range(citizens)))
    run.seconds = time.perf_counter() - started
    return run


async def measure(
    telegram: Telegram, session: Session, pid: int, citizens: int, sessions: int
) -> Run:
    """A warm-up of a tenth of the sessions, then the measured ones, with the CPU time and
    peak memory of the bot's processes (``pid`` and its children)."""
    await drive(telegram, session, citizens, max(citizens, sessions // 10))
    used = cpu_seconds(pid)
    run = await drive(telegram, session, citizens, sessions)
    run.cpu_seconds = cpu_seconds(pid) - used
    run.peak_rss_mib = peak_rss_mib(pid)
    return run


def family(pid: int) -> list[int]:
    """A process and its children (the workers of a pool)."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its children have used so far."""
    total = 0
    for each in family(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory of a process and its children (the workers of a pool)."""
    total = 0
    for each in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


@contextlib.asynccontextmanager
async def process(
    arguments: list[str], environment: dict[str, str], health_url: str | None, http: ClientSession
) -> AsyncIterator[asyncio.subprocess.Process]:
    log = Path(tempfile.mkdtemp()) / "bot.log"
    with log.open("wb") as output:
        child = await asyncio.create_subprocess_exec(
            *arguments, env=environment, stdout=output, stderr=output
        )
    try:
        for _ in range(600):
            if child.returncode is not None:
                raise RuntimeError(f"{arguments} exited:\n{log.read_text()[-3000:]}")
            if health_url is None:
                await asyncio.sleep(3)
                break
            with contextlib.suppress(ClientError, OSError):
                async with http.get(health_url, timeout=ClientTimeout(total=1)) as response:
                    if response.status == 200:
                        break
            await asyncio.sleep(0.1)
        yield child
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(child.wait(), 60)
            except TimeoutError:
                child.kill()


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp())
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        await _prepare(url)
        try:
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin = os.environ.get("PISHKHAN_TEST_POSTGRES_URL")
    if not admin:
        raise SystemExit("PostgreSQL setups need PISHKHAN_TEST_POSTGRES_URL")
    name = f"pishkhan_bench_{int(time.time() * 1000)}"
    plain = admin.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(plain)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        await _prepare(url)
        yield url
    finally:
        connection = await asyncpg.connect(plain)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def _prepare(url: str) -> None:
    engine = create_engine(url)
    try:
        await prepare_database(engine, session_factory(engine), with_sample=True)
    finally:
        await engine.dispose()


async def bench_pishkhan(setup: str, citizens: int, sessions: int) -> Run:
    kind, workers = setup.split("-")
    port = free_port()
    standin = BotApiStandIn()
    await standin.start()
    async with ClientSession(timeout=ClientTimeout(total=60)) as http, database(kind) as url:
        environment = {
            **os.environ,
            "PISHKHAN_BOT_TOKEN": TOKEN,
            "PISHKHAN_TELEGRAM_BASE_URL": standin.base_url,
            "PISHKHAN_DATABASE_URL": url,
            "PISHKHAN_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "PISHKHAN_WEBHOOK_SECRET": SECRET,
            "PISHKHAN_LISTEN": f"127.0.0.1:{port}",
            "PISHKHAN_SECRET_KEY": new_secret_key(),
            "PISHKHAN_LOG_LEVEL": "WARNING",
            # The stand-in is not Telegram: no 30 messages/s cap (the echo bot has none).
            "PISHKHAN_TELEGRAM_MAX_RATE": "0",
        }
        arguments = [PISHKHAN, "run", "--no-sample", "--workers", workers]
        health = f"http://127.0.0.1:{port}/healthz"
        async with process(arguments, environment, health, http) as bot:
            await asyncio.sleep(1.0 if workers == "1" else 4.0)  # every worker up
            telegram = Telegram(http, standin, f"http://127.0.0.1:{port}/telegram")
            run = await measure(telegram, citizen_session, bot.pid, citizens, sessions)
    await standin.stop()
    return run


async def bench_echo(citizens: int, sessions: int) -> Run:
    port = free_port()
    standin = BotApiStandIn()
    await standin.start()
    async with ClientSession(timeout=ClientTimeout(total=60)) as http:
        environment = {**os.environ, "ECHO_BASE_URL": standin.base_url, "ECHO_PORT": str(port)}
        arguments = [sys.executable, "-m", "bench.echo_bot", TOKEN, SECRET]
        async with process(arguments, environment, None, http) as bot:
            telegram = Telegram(http, standin, f"http://127.0.0.1:{port}/telegram")
            run = await measure(telegram, echo_session, bot.pid, citizens, sessions)
    await standin.stop()
    return run


async def bench_durable_echo(citizens: int, sessions: int) -> Run:
    """The bot's webhook path (stored first, marked handled after) with an echo for all its
    dialogs: bench/durable_echo.py."""
    port = free_port()
    standin = BotApiStandIn()
    await standin.start()
    async with ClientSession(timeout=ClientTimeout(total=60)) as http, database("sqlite") as url:
        environment = {
            **os.environ,
            "PISHKHAN_DATABASE_URL": url,
            "PISHKHAN_SECRET_KEY": new_secret_key(),
            "PISHKHAN_LOG_LEVEL": "WARNING",
        }
        arguments = [
            sys.executable, "-m", "bench.durable_echo", TOKEN, SECRET, standin.base_url, str(port)
        ]  # fmt: skip
        health = f"http://127.0.0.1:{port}/healthz"
        async with process(arguments, environment, health, http) as bot:
            telegram = Telegram(http, standin, f"http://127.0.0.1:{port}/telegram")
            run = await measure(telegram, echo_session, bot.pid, citizens, sessions)
    await standin.stop()
    return run


async def main(citizens: int, sessions: int, setups: list[str], verbose: bool) -> None:
    print(f"{citizens} citizens at once, {sessions} sessions per setup (after a warm-up)")
    echo = await bench_echo(citizens, sessions)
    print(echo.line("echo (PTB)"))
    floor = await bench_durable_echo(citizens, sessions)
    ratio = (floor.updates / floor.seconds) / (echo.updates / echo.seconds)
    print(floor.line("durable echo") + f"   ratio to echo {ratio:.2f}")
    for setup in setups:
        run = await bench_pishkhan(setup, citizens, sessions)
        ratio = (run.updates / run.seconds) / (echo.updates / echo.seconds)
        print(run.line(setup) + f"   ratio to echo {ratio:.2f}")
        if verbose:
            for step, values in sorted(run.by_step.items(), key=lambda kv: -sum(kv[1])):
                ms = [1000 * v for v in values]
                share = sum(values) / sum(run.latencies)
                print(f"    {step:<18} p50 {percentile(ms, 0.5):6.1f} ms  share {share:5.1%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--citizens", type=int, default=16)
    parser.add_argument("--sessions", type=int, default=120)
    parser.add_argument("--setups", default=",".join(ALL_SETUPS))
    parser.add_argument("--steps", action="store_true", help="latency of each step, too")
    args = parser.parse_args()
    asyncio.run(main(args.citizens, args.sessions, args.setups.split(","), args.steps))
