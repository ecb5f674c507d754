"""The floor under the bot's own speed, for bench/e2e.py: the bot's webhook path with nothing
of its dialogs. Each update is stored and its chat's state read before it is handled, and
marked handled after (the durability issue 7 asks for: nothing acknowledged is lost, nothing
handled twice); the handler only echoes, through the bot's own transport. What the bare echo
bot does not pay for, the full bot pays for on top of this.

    PISHKHAN_DATABASE_URL=… python -m bench.durable_echo TOKEN SECRET BASE_URL PORT
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.app import build_application
from bot.runtime import open_services, wait_for_stop_signal
from bot.webhook import add_webhook_route
from dialogs.context import BotContext
from services.settings import load_settings


async def echo(update: Update, context: BotContext) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def _ready() -> web.Response:
    return web.Response(text="ok")


async def main(token: str, secret: str, base_url: str, port: int) -> None:
    settings = load_settings(telegram_max_rate=0)
    async with open_services(settings, with_sample=False) as deps:
        application = build_application(deps, token=token, base_url=base_url, rate_limit=False)
        application.handlers.clear()  # none of the bot's dialogs: only the echo
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
        async with application:
            await application.start()
            http = web.Application()
            add_webhook_route(http, application, "/telegram", secret)
            http.router.add_get("/healthz", lambda _: _ready())
            runner = web.AppRunner(http, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                await wait_for_stop_signal()
            finally:
                await runner.cleanup()
                await application.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
