"""bot.transport.AiohttpRequest carries an unmodified PTB Bot through the Bot API emulator
as PTB's own httpx transport does: same parameters, files, error answers, timeouts."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.metrics import CountingRateLimiter
from bot.transport import FLOOD_WAIT, POOL_TIMEOUT_MESSAGE, AiohttpRequest, _redacted
from emulator import BotApiEmulator

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Pishkhan", "username": "slow_bot"}
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("نزدیک‌ترین دفتر", callback_data="find:1")],
        [InlineKeyboardButton("مدارک لازم", callback_data="docs:7")],
    ]
)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(TOKEN) as emulator:
        yield emulator


@pytest.fixture(params=[True, False], ids=["json", "form"])
async def bot(emulator: BotApiEmulator, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    transport = AiohttpRequest(connection_pool_size=8, json_body=request.param)
    polling = AiohttpRequest(connection_pool_size=1, json_body=request.param)
    async with Bot(
        TOKEN, base_url=emulator.base_url, request=transport, get_updates_request=polling
    ) as bot:
        yield bot


def started_chat(emulator: BotApiEmulator, user_id: int) -> int:
    emulator.add_user(user_id, "زهرا")
    emulator.inject_message(user_id, user_id, text="/start")
    return user_id


async def test_get_me(bot: Bot, emulator: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.username == emulator.bot_username and me.is_bot


async def test_persian_text_keyboard_and_edit(bot: Bot, emulator: BotApiEmulator) -> None:
    chat = started_chat(emulator, 601)
    sent = await bot.send_message(chat, "سلام! کدام خدمت؟ «گذرنامه»", reply_markup=KEYBOARD)
    assert sent.text == "سلام! کدام خدمت؟ «گذرنامه»"
    assert sent.reply_markup == KEYBOARD
    edited = await bot.edit_message_text(
        "نوبت شما ثبت شد ✅", chat_id=chat, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert not isinstance(edited, bool) and edited.text == "نوبت شما ثبت شد ✅"
    (record,) = [m for m in emulator.messages(chat) if m.message_id == sent.message_id]
    assert record.history and record.data["text"] == "نوبت شما ثبت شد ✅"


async def test_the_server_sees_what_httpx_sends(emulator: BotApiEmulator) -> None:
    """The parameters as the Bot API parses them are the same whichever transport sent them."""
    chat = started_chat(emulator, 602)

    async def params_sent_by(request: BaseRequest) -> dict[str, object]:
        async with Bot(TOKEN, base_url=emulator.base_url, request=request) as bot:
            await bot.send_message(
                chat, "متن & علامت‌ها = ?", reply_markup=KEYBOARD, disable_notification=True
            )
        (call,) = [c for c in emulator.calls if c.method == "sendMessage"][-1:]
        return call.params

    expected = await params_sent_by(HTTPXRequest())
    assert await params_sent_by(AiohttpRequest(json_body=True)) == expected
    assert await params_sent_by(AiohttpRequest(json_body=False)) == expected


async def test_files_go_as_multipart(bot: Bot, emulator: BotApiEmulator) -> None:
    chat = started_chat(emulator, 603)
    content = b"%PDF-1.4 " + bytes(range(256)) * 40
    sent = await bot.send_document(
        chat,
        InputFile(content, filename="راهنمای مدارک.pdf"),
        caption="فهرست مدارک لازم",
        reply_markup=KEYBOARD,
    )
    assert sent.document is not None
    assert sent.document.file_name == "راهنمای مدارک.pdf"  # UTF-8, not percent-encoded
    assert sent.document.file_size == len(content)
    assert sent.document.mime_type == "application/pdf"
    assert sent.caption == "فهرست مدارک لازم" and sent.reply_markup == KEYBOARD
    photo = await bot.send_photo(chat, b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert photo.photo and photo.photo[-1].file_size == 108


async def test_error_answers_become_ptb_errors(bot: Bot, emulator: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999_999, "سلام")
    emulator.add_user(604, "کاوه")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(604, "سلام")
    chat = started_chat(emulator, 605)
    emulator.flood_limits(per_chat_per_second=0.1)
    await bot.send_message(chat, "اول")
    with pytest.raises(RetryAfter, match="Retry in"):
        await bot.send_message(chat, "دوم")


async def test_long_polling_gets_the_poll_timeout_on_top_of_the_read_timeout(
    emulator: BotApiEmulator,
) -> None:
    """PTB passes getUpdates read_timeout = this instance's read_timeout + the poll timeout:
    a poll longer than the read timeout must not time out."""
    polling = AiohttpRequest(connection_pool_size=1, read_timeout=0.5)
    async with Bot(TOKEN, base_url=emulator.base_url, get_updates_request=polling) as bot:
        assert polling.read_timeout == 0.5
        started = time.monotonic()
        assert await bot.get_updates(timeout=1) == ()
        assert time.monotonic() - started >= 0.9
        emulator.add_user(606, "شیرین")
        sent = emulator.inject_message(606, 606, text="سلام")
        (update,) = await bot.get_updates(timeout=1)
        assert update.update_id == sent["update_id"]


@asynccontextmanager
async def slow_api(delay: float) -> AsyncIterator[str]:
    """A Bot API that takes ``delay`` seconds to answer anything but getMe (Bot.initialize
    asks it); yields its base URL."""

    async def answer(request: web.Request) -> web.Response:
        if request.match_info["method"] == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        await asyncio.sleep(delay)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", answer)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/bot"
    finally:
        await runner.cleanup()


async def test_a_slow_answer_times_out() -> None:
    async with (
        slow_api(3.0) as base_url,
        Bot(TOKEN, base_url=base_url, request=AiohttpRequest(read_timeout=0.3)) as bot,
    ):
        started = time.monotonic()
        with pytest.raises(TimedOut) as timed_out:
            await bot.close()
        assert time.monotonic() - started < 2.0
        assert TOKEN not in str(timed_out.value)
        with pytest.raises(TimedOut):  # a per-call read timeout wins over the default
            await bot.log_out(read_timeout=0.2)


async def test_a_full_pool_times_out_with_ptbs_message() -> None:
    transport = AiohttpRequest(connection_pool_size=1, pool_timeout=0.2)
    async with slow_api(1.0) as base_url, Bot(TOKEN, base_url=base_url, request=transport) as bot:
        first = asyncio.create_task(bot.close())
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.log_out()
        assert await first  # the request holding the connection is unharmed
    assert POOL_TIMEOUT_MESSAGE.startswith("Pool timeout: All connections")


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    yield port  # nothing listens there any more: connections are refused


async def test_a_refused_connection_is_a_network_error(closed_port: int) -> None:
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{closed_port}/bot", request=AiohttpRequest())
    transport = bot.request
    await transport.initialize()
    try:
        with pytest.raises(NetworkError) as failed:
            await bot.get_me()
        assert not isinstance(failed.value, TimedOut)
        assert "ClientConnectorError" in str(failed.value)
        assert TOKEN not in str(failed.value) and failed.value.__cause__ is None
    finally:
        await transport.shutdown()


def test_errors_never_quote_the_token() -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    text = _redacted(aiohttp.ConnectionTimeoutError(f"Connection timeout to host {url}"))
    assert TOKEN not in text
    assert text == (
        "aiohttp.ConnectionTimeoutError: Connection timeout to host "
        "https://api.telegram.org/bot<token>/sendMessage"
    )
    assert TOKEN not in _redacted(OSError(f"cannot read /file/bot{TOKEN}/photos/1.jpg"))


async def test_initialize_and_shutdown_repeatedly(emulator: BotApiEmulator) -> None:
    transport = AiohttpRequest()
    await transport.shutdown()  # before ever starting: nothing to do
    for _ in range(2):
        async with Bot(TOKEN, base_url=emulator.base_url, request=transport) as bot:
            await transport.initialize()  # again while open: keeps the session
            assert (await bot.get_me()).is_bot
        await transport.shutdown()  # again after Bot.shutdown: harmless
    with pytest.raises(NetworkError, match="not initialized"):  # no silent reopening
        await transport.post(f"{emulator.base_url}{TOKEN}/getMe")


def test_built_before_the_loop_and_used_in_two_loops() -> None:
    """PTB's builder makes the request objects before any loop runs, and an Application
    may be run, stopped and run again in a new loop."""
    transport = AiohttpRequest()

    async def run_once() -> None:
        async with BotApiEmulator(TOKEN) as emulator:
            async with Bot(TOKEN, base_url=emulator.base_url, request=transport) as bot:
                assert (await bot.get_me()).is_bot
            # A new instance used without initialize(), as HTTPXRequest allows.
            fresh = AiohttpRequest()
            result = await fresh.post(f"{emulator.base_url}{TOKEN}/getMe")
            assert isinstance(result, dict) and result["is_bot"]
            await fresh.shutdown()

    asyncio.run(run_once())
    asyncio.run(run_once())


async def test_a_proxy_carries_every_call_where_telegram_is_filtered(
    emulator: BotApiEmulator,
) -> None:
    """PISHKHAN_TELEGRAM_PROXY: calls go to the proxy, which reaches the Bot API."""
    relayed: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        relayed.append(request.path)
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                request.method,
                str(request.url),
                data=await request.read(),
                headers={"Content-Type": request.headers.get("Content-Type", "")},
            ) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type="application/json"
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    proxy = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with Bot(
            TOKEN, base_url=emulator.base_url, request=AiohttpRequest(proxy=proxy)
        ) as bot:
            assert (await bot.get_me()).username == emulator.bot_username
        assert relayed and all(path.endswith("/getMe") for path in relayed)
    finally:
        await runner.cleanup()


@asynccontextmanager
async def flooding_api(floods: list[tuple[int, bytes]]) -> AsyncIterator[tuple[str, list[str]]]:
    """A Bot API (Bale's way) that answers each sendMessage with the next of ``floods``
    (status, body), then accepts; yields its base URL and the methods called."""
    called: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        called.append(method)
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        if floods:
            status, body = floods.pop(0)
            return web.Response(status=status, body=body, content_type="application/json")
        chat = {"id": 701, "type": "private", "first_name": "رضا"}
        sent = {"message_id": 1, "date": 0, "chat": chat, "text": "سلام"}
        return web.json_response({"ok": True, "result": sent})

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", answer)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/bot", called
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("body", "wait"),
    [
        (b'{"ok":false,"error_code":420,"description":"Flood"}', FLOOD_WAIT),
        (b'{"ok":false,"description":"bot limit exceed","parameters":{"retry_after":7}}', 7),
        (b"bot limit exceed", FLOOD_WAIT),  # not even JSON
    ],
    ids=["no-wait-given", "wait-given", "plain-text"],
)
async def test_a_420_flood_is_a_retry_after(body: bytes, wait: int) -> None:
    async with (
        flooding_api([(420, body)]) as (base_url, _),
        Bot(TOKEN, base_url=base_url, request=AiohttpRequest()) as bot,
    ):
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(701, "سلام")
        assert flood.value._retry_after.total_seconds() == wait


async def test_the_rate_limiter_waits_a_420_out_and_sends_again() -> None:
    flood = (420, b'{"ok":false,"description":"Flood","parameters":{"retry_after":1}}')
    async with flooding_api([flood]) as (base_url, called):
        bot = ExtBot(
            TOKEN,
            base_url=base_url,
            request=AiohttpRequest(),
            rate_limiter=CountingRateLimiter(max_retries=2, overall_max_rate=0),
        )
        async with bot:
            started = time.monotonic()
            sent = await bot.send_message(701, "سلام")
            assert sent.text == "سلام"
            assert time.monotonic() - started >= 1.0  # the wait Bale asked for
        assert called.count("sendMessage") == 2
